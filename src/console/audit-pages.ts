import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { readAuditLog, type AuditLogEntry } from '../audit/audit-admin.ts';
import type { AuditQuery } from '../audit/audit-event.ts';
import { readQuery } from '../http/forms.ts';
import { csvRow } from '../lib/csv.ts';
import type { RawParams } from '../lib/url-encoded.ts';
import { param } from '../oauth/params.ts';
import { CONSOLE_PAGE, consoleHandler, type ConsoleDeps } from './console-context.ts';
import { renderAuditLog, type AuditFilterValues } from './pages/audit.ts';

/** Events per page of the log. */
export const AUDIT_PER_PAGE = 50;
/** Events per statement of the CSV export, and the most an export holds (so at most 20 pages of the use case). */
export const EXPORT_PAGE_SIZE = 500;
export const EXPORT_MAX_ROWS = 10_000;

type Filter = Omit<AuditQuery, 'limit' | 'cursor'>;
type Parsed = { readonly ok: true; readonly filter: Filter } | { readonly ok: false; readonly errors: Partial<Record<keyof AuditFilterValues, string>> };

/**
 * The audit log (`audit:read`): filters by action, actor, target and time in a GET form, so a
 * search is a URL; cursor paging; and the CSV export of the same filters, paged through the same
 * use case (readAuditLog), bounded, streamed as it is read.
 */
export function registerAuditPages(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get(
    '/console/audit',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const query = readQuery(call.request);
      const values = valuesOf(query);
      const parsed = parseFilter(values);
      const model = { consoleUrl: call.frame.consoleUrl, values, exportLimit: EXPORT_MAX_ROWS };
      if (!parsed.ok) {
        // The permission first, as for a valid filter: a role without it gets the 403 page, not the form.
        await readAuditLog(call.op, { limit: 1 });
        return call.render({ title: 'Audit log', section: 'audit', body: renderAuditLog({ ...model, errors: parsed.errors, entries: [], nextCursor: null }) }, 400);
      }
      const cursor = param(query, 'cursor');
      const page = await readAuditLog(call.op, { ...parsed.filter, limit: AUDIT_PER_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      return call.render({ title: 'Audit log', section: 'audit', body: renderAuditLog({ ...model, errors: {}, entries: page.entries, nextCursor: page.nextCursor }) });
    }),
  );

  scope.get(
    '/console/audit/export.csv',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const values = valuesOf(readQuery(call.request));
      const parsed = parseFilter(values);
      // A bad filter is the log's page with its errors beside the fields (the export link is only on a valid one).
      if (!parsed.ok) return call.redirect(`audit?${new URLSearchParams(Object.entries(values).filter(([, v]) => v !== '')).toString()}`);
      // The first page before any byte is sent: a refusal (the role, a bad value) is still a console page.
      const { filter } = parsed;
      const first = await readAuditLog(call.op, { ...filter, limit: EXPORT_PAGE_SIZE });
      const op = call.op;
      async function* rows(): AsyncGenerator<string> {
        yield csvRow(CSV_HEADER);
        let page = first;
        let written = 0;
        for (;;) {
          for (const entry of page.entries.slice(0, EXPORT_MAX_ROWS - written)) yield csvRow(csvCells(entry));
          written += page.entries.length;
          if (page.nextCursor === null || written >= EXPORT_MAX_ROWS) return;
          page = await readAuditLog(op, { ...filter, limit: EXPORT_PAGE_SIZE, cursor: page.nextCursor });
        }
      }
      const day = new Date(op.clock()).toISOString().slice(0, 10);
      return call.reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-${op.org.slug}-${day}.csv"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(rows()));
    }),
  );
}

const CSV_HEADER = ['occurred_at', 'action', 'actor_type', 'actor_id', 'actor_user_email', 'actor_user_name', 'target_type', 'target_id', 'ip', 'details'];

function csvCells(e: AuditLogEntry): Array<string | null> {
  return [new Date(e.occurredAt).toISOString(), e.action, e.actor.type, e.actor.id, e.actorUser?.email ?? null, e.actorUser?.name ?? null, e.target?.type ?? null, e.target?.id ?? null, e.ip, JSON.stringify(e.details)];
}

function valuesOf(query: RawParams): AuditFilterValues {
  const text = (name: string): string => (param(query, name) ?? '').trim();
  return { action: text('action'), actor: text('actor'), target: text('target'), from: text('from'), to: text('to') };
}

// A UTC date, or a date and time to the minute or second, optionally with a trailing Z.
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?Z?)?$/;
const TIME_RULE = 'must be a date such as 2026-01-31, or a date and time such as 2026-01-31T09:30 (UTC)';

/** The instant a typed time names (UTC), and whether it named a whole day; undefined when it names none. */
function timeOf(raw: string): { ms: number; wholeDay: boolean } | undefined {
  const match = TIME.exec(raw);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? '0')) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  // Date rolls 2026-02-31 over to March and 25:00 to the next day: a time that does not exist is refused, not moved.
  const exact = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  if (exact.some((part, i) => part !== [year, month, day, hour, minute, second][i])) return undefined;
  return { ms: date.getTime(), wholeDay: match[4] === undefined };
}

/** The filters as the use case takes them, or each bad one's rule (the API's limits: 100 characters an ID or action). */
export function parseFilter(values: AuditFilterValues): Parsed {
  const errors: Partial<Record<keyof AuditFilterValues, string>> = {};
  for (const name of ['action', 'actor', 'target'] as const) if (values[name].length > 100) errors[name] = 'must be at most 100 characters';
  const from = values.from === '' ? undefined : timeOf(values.from);
  const to = values.to === '' ? undefined : timeOf(values.to);
  if (values.from !== '' && from === undefined) errors.from = TIME_RULE;
  if (values.to !== '' && to === undefined) errors.to = TIME_RULE;
  const since = from?.ms;
  // A date alone as the end includes that day: events before the next midnight.
  const until = to === undefined ? undefined : to.wholeDay ? to.ms + 86_400_000 : to.ms;
  if (since !== undefined && until !== undefined && until <= since) errors.to = 'must be later than From';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    filter: {
      ...(values.action === '' ? {} : { action: values.action }),
      ...(values.actor === '' ? {} : { actorId: values.actor }),
      ...(values.target === '' ? {} : { targetId: values.target }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
    },
  };
}
