import { Type } from '@sinclair/typebox';
import { apiRoute, operationOf, PAGE_QUERY, pageLimit, type ApiRoute } from '../api/management-api.ts';
import { InvalidInputError } from '../lib/errors.ts';
import type { ActorUser } from '../staff/staff-user.ts';
import { readAuditLog } from './audit-admin.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** An RFC 3339 time of the query (its format checked by the schema) in ms; refused if no such instant exists. */
function timeParameter(query: Record<string, unknown>, name: string): number | undefined {
  const value = query[name];
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  if (!Number.isSafeInteger(ms)) throw new InvalidInputError(name, 'must be an RFC 3339 date-time, such as 2026-01-31T09:00:00Z');
  return ms;
}

function actorBody(actor: { readonly type: string; readonly id: string | null }, user: ActorUser | null) {
  return { type: actor.type, id: actor.id, user_id: user?.id ?? null, user_email: user?.email ?? null, user_name: user?.name ?? null };
}

export const AUDIT_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'GET',
    url: '/audit',
    permission: 'audit:read',
    summary: 'The audit log, newest first; since and until (RFC 3339) bound the time, at or after since and before until',
    tag: 'audit',
    schema: {
      querystring: Type.Object(
        {
          ...PAGE_QUERY,
          action: Type.Optional(Type.String({ maxLength: 100 })),
          actor_id: Type.Optional(Type.String({ maxLength: 100 })),
          target_id: Type.Optional(Type.String({ maxLength: 100 })),
          since: Type.Optional(Type.String({ format: 'date-time', maxLength: 64, description: 'Events at or after this time (RFC 3339, as occurred_at).' })),
          until: Type.Optional(Type.String({ format: 'date-time', maxLength: 64, description: 'Events before this time (RFC 3339).' })),
        },
        { additionalProperties: false },
      ),
      response: {
        200: Type.Object({
          data: Type.Array(
            Type.Object({
              id: Type.String(),
              occurred_at: Type.String({ format: 'date-time' }),
              action: Type.String(),
              actor: Type.Object({
                type: Type.String(),
                id: Type.Union([Type.String(), Type.Null()]),
                /** The staff user behind the actor: the owner of the API key (directly or through an API v1 session), or the staff user; null for other actors. */
                user_id: Type.Union([Type.String(), Type.Null()]),
                user_email: Type.Union([Type.String(), Type.Null()]),
                user_name: Type.Union([Type.String(), Type.Null()]),
              }),
              target: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
              ip: Type.Union([Type.String(), Type.Null()]),
              details: Type.Record(Type.String(), Type.Unknown()),
            }),
          ),
          next_cursor: Type.Union([Type.String(), Type.Null()]),
        }),
      },
    },
    async handler(call) {
      const { query } = call;
      const since = timeParameter(query, 'since');
      const until = timeParameter(query, 'until');
      if (since !== undefined && until !== undefined && until <= since) throw new InvalidInputError('until', 'must be later than since');
      const result = await readAuditLog(operationOf(call), {
        limit: pageLimit(query),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        ...(query.action === undefined ? {} : { action: query.action }),
        ...(query.actor_id === undefined ? {} : { actorId: query.actor_id }),
        ...(query.target_id === undefined ? {} : { targetId: query.target_id }),
      });
      return {
        body: {
          data: result.entries.map((e) => ({
            id: e.id,
            occurred_at: iso(e.occurredAt),
            action: e.action,
            actor: actorBody(e.actor, e.actorUser),
            target: e.target,
            ip: e.ip,
            details: e.details,
          })),
          next_cursor: result.nextCursor,
        },
      };
    },
  }),
];
