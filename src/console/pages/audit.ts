import type { AuditLogEntry } from '../../audit/audit-admin.ts';
import { html, type SafeHtml } from '../../http/html.ts';
import { field } from '../forms.ts';

/** The audit log's filters as typed in the GET form (the URL is the filter: to bookmark or share). */
export interface AuditFilterValues {
  readonly action: string;
  readonly actor: string;
  readonly target: string;
  readonly from: string;
  readonly to: string;
}

export const AUDIT_FILTER_LABELS: Readonly<Record<keyof AuditFilterValues, string>> = { action: 'Action', actor: 'Actor ID', target: 'Target ID', from: 'From', to: 'To' };

/** The query string of the filters given (empty ones left out), for links that keep them. */
export function filterQuery(values: AuditFilterValues, extra: Readonly<Record<string, string>> = {}): string {
  const given = Object.entries(values).filter(([, value]) => value !== '');
  const text = new URLSearchParams([...given, ...Object.entries(extra)]).toString();
  return text === '' ? '' : `?${text}`;
}

export interface AuditLogModel {
  readonly consoleUrl: string;
  readonly values: AuditFilterValues;
  /** By filter name: the rule broken (the page shows no events then). */
  readonly errors: Readonly<Partial<Record<keyof AuditFilterValues, string>>>;
  readonly entries: readonly AuditLogEntry[];
  readonly nextCursor: string | null;
  readonly exportLimit: number;
}

/** The filters, one page of events (newest first) with who did what to what, the next page, and the CSV export of the same filters. */
export function renderAuditLog(model: AuditLogModel): SafeHtml {
  const { values, errors } = model;
  const base = `${model.consoleUrl}/audit`;
  const invalid = Object.keys(errors) as Array<keyof AuditFilterValues>;
  const filterLink = (name: 'actor' | 'target', id: string): string => `${base}${filterQuery({ ...values, [name]: id })}`;
  return html`<p>Everything staff, API keys, applications and constituents did in the organization, newest first. Times are UTC.</p>
${
  invalid.length === 0
    ? null
    : html`<div role="alert" class="alert"><p>Nothing was searched. Correct ${invalid.length === 1 ? 'this' : 'these'}:</p>
<ul>${invalid.map((name) => html`<li><a href="#${name}">${AUDIT_FILTER_LABELS[name]}</a>: ${errors[name]}</li>`)}</ul></div>`
}
<form method="get" action="${base}" class="panel" role="search" aria-label="Audit log">
<div class="filters">
<div>${field({ name: 'action', label: 'Action', value: values.action, error: errors.action, hint: 'Exact, such as constituent.password_set.', attributes: 'maxlength="100" autocomplete="off" spellcheck="false"', autofocus: invalid[0] === 'action' })}</div>
<div>${field({ name: 'actor', label: 'Actor ID', value: values.actor, error: errors.actor, hint: 'A staff user, API key, client or constituent ID.', attributes: 'maxlength="100" autocomplete="off" spellcheck="false"', autofocus: invalid[0] === 'actor' })}</div>
<div>${field({ name: 'target', label: 'Target ID', value: values.target, error: errors.target, hint: 'What was acted on: an account ID, a client ID…', attributes: 'maxlength="100" autocomplete="off" spellcheck="false"', autofocus: invalid[0] === 'target' })}</div>
<div>${field({ name: 'from', label: 'From (UTC)', value: values.from, error: errors.from, hint: 'Such as 2026-01-31 or 2026-01-31T09:30.', attributes: 'maxlength="25" autocomplete="off" spellcheck="false"', autofocus: invalid[0] === 'from' })}</div>
<div>${field({ name: 'to', label: 'To (UTC)', value: values.to, error: errors.to, hint: 'Before this time; a date alone includes that whole day.', attributes: 'maxlength="25" autocomplete="off" spellcheck="false"', autofocus: invalid[0] === 'to' })}</div>
</div>
<div class="actions"><button type="submit">Filter</button><a class="button secondary" href="${base}">Clear filters</a></div>
</form>
${invalid.length > 0 ? null : results(model, filterLink)}`;
}

function results(model: AuditLogModel, filterLink: (name: 'actor' | 'target', id: string) => string): SafeHtml {
  const base = `${model.consoleUrl}/audit`;
  return html`<p><a class="button secondary" href="${base}/export.csv${filterQuery(model.values)}" download>Export these events as CSV</a></p>
<p class="hint">The export holds the events these filters find, newest first, up to ${model.exportLimit.toLocaleString('en')}; narrow the time range for older ones.</p>
${
  model.entries.length === 0
    ? html`<p class="panel">No event matches.</p>`
    : html`<div class="table-wrap panel"><table class="audit">
<caption>Events, newest first</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Details</th></tr></thead>
<tbody>${model.entries.map(
        (e) => html`<tr><td>${isoSecond(e.occurredAt)}</td><td><code>${e.action}</code></td><td>${actorCell(e, filterLink)}</td><td>${e.target === null ? '' : html`${e.target.type}<br><a href="${filterLink('target', e.target.id)}"><code>${e.target.id}</code></a>`}</td><td>${detailsCell(e)}</td></tr>`,
      )}</tbody>
</table></div>`
}
${model.nextCursor === null ? null : html`<p><a href="${base}${filterQuery(model.values, { cursor: model.nextCursor })}">Older events</a></p>`}`;
}

/** Who: the staff user behind the actor by name (as the use case gives them), else the kind of actor and its ID. */
function actorCell(e: AuditLogEntry, filterLink: (name: 'actor' | 'target', id: string) => string): SafeHtml {
  const kind = e.actor.type.replace('_', ' ');
  const id = e.actor.id === null ? null : html`<a href="${filterLink('actor', e.actor.id)}"><code>${e.actor.id}</code></a>`;
  if (e.actorUser !== null) {
    return html`<strong>${e.actorUser.name ?? e.actorUser.email}</strong>${e.actorUser.name === null ? null : html`<br>${e.actorUser.email}`}<br>${kind}${id === null ? null : html` ${id}`}`;
  }
  return html`${kind}${id === null ? null : html`<br>${id}`}`;
}

function detailsCell(e: AuditLogEntry): SafeHtml | null {
  const entries = Object.entries(e.details);
  if (entries.length === 0 && e.ip === null) return null;
  return html`<ul class="details">${e.ip === null ? null : html`<li>from <code>${e.ip}</code></li>`}${entries.map(([key, value]) => html`<li>${key.replace(/_/g, ' ')}: <code>${typeof value === 'string' ? value : JSON.stringify(value)}</code></li>`)}</ul>`;
}

export function isoSecond(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
