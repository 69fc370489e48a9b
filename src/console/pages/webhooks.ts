import { html, type SafeHtml } from '../../http/html.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookDelivery, type WebhookEndpoint } from '../../webhooks/webhook.ts';
import { checkbox, copyable, field, formState, problemSummary, type FormProblems } from '../forms.ts';
import { utcMinute } from './app-connectors.ts';

// The org's webhook endpoints: what each receives, its secret (shown once), a test message, and
// the delivery log with every attempt.

export const WEBHOOK_FIELD_LABELS: Readonly<Record<string, string>> = { url: 'URL', description: 'Description', event_types: 'Events', enabled: 'Enabled' };
export const WEBHOOK_FIELDS = Object.keys(WEBHOOK_FIELD_LABELS);

export interface WebhookFormValues {
  readonly url: string;
  readonly description: string;
  /** null: every event, including those added later. */
  readonly eventTypes: readonly string[] | null;
  readonly enabled: boolean;
}

export function webhookValuesOf(endpoint: WebhookEndpoint): WebhookFormValues {
  return { url: endpoint.url, description: endpoint.description, eventTypes: endpoint.eventTypes, enabled: endpoint.enabled };
}

const webhookHref = (consoleUrl: string, id: string): string => `${consoleUrl}/webhooks/${encodeURIComponent(id)}`;

export function renderWebhookList(model: { readonly consoleUrl: string; readonly endpoints: readonly WebhookEndpoint[]; readonly nextCursor: string | null; readonly canWrite: boolean }): SafeHtml {
  const { consoleUrl } = model;
  return html`<p>Addresses of your systems that receive a signed message when something happens here (a connector needs reauthentication, a client registration waits).</p>
${model.canWrite ? html`<p><a class="button" href="${consoleUrl}/webhooks/new">New endpoint</a></p>` : null}
${
  model.endpoints.length === 0
    ? html`<p class="panel">No endpoints yet.</p>`
    : html`<div class="table-wrap panel"><table>
<caption>Webhook endpoints</caption>
<thead><tr><th scope="col">URL</th><th scope="col">Description</th><th scope="col">Events</th><th scope="col">Status</th></tr></thead>
<tbody>${model.endpoints.map(
        (e) =>
          html`<tr><td><a href="${webhookHref(consoleUrl, e.id)}"><code>${e.url}</code></a></td><td>${e.description}</td><td>${e.eventTypes === null ? 'every event' : e.eventTypes.join(', ')}</td><td><span class="badge">${e.enabled ? 'enabled' : 'disabled'}</span></td></tr>`,
      )}</tbody>
</table></div>`
}
${model.nextCursor === null ? null : html`<p><a href="${consoleUrl}/webhooks?${new URLSearchParams({ cursor: model.nextCursor }).toString()}">Next page</a></p>`}`;
}

export interface WebhookFormModel {
  readonly action: string;
  readonly csrfToken: string;
  readonly version?: number;
  readonly values: WebhookFormValues;
  readonly problems: FormProblems | null;
  readonly submitLabel: string;
}

export function renderWebhookForm(model: WebhookFormModel): SafeHtml {
  const v = model.values;
  const errors = model.problems?.fields ?? {};
  const chosen = new Set(v.eventTypes ?? []);
  return html`${problemSummary(model.problems, WEBHOOK_FIELD_LABELS)}
<form method="post" action="${model.action}" novalidate>
${formState(model.csrfToken, model.version)}
${field({ name: 'url', label: 'URL', value: v.url, required: true, error: errors.url, hint: 'An https address of your system that answers 2xx to a POST.', attributes: 'maxlength="2000" inputmode="url" autocomplete="off"' })}
${field({ name: 'description', label: 'Description (optional)', value: v.description, error: errors.description, attributes: 'maxlength="500"' })}
<fieldset id="event_types"${errors.event_types ? html` aria-describedby="event_types-error"` : null}>
<legend>Events</legend>
${errors.event_types ? html`<p class="field-error" id="event_types-error">${errors.event_types}</p>` : null}
<label class="choice"><input type="radio" name="event_scope" value="all"${v.eventTypes === null ? html` checked` : null}> Every event, including those added later</label>
<label class="choice"><input type="radio" name="event_scope" value="some"${v.eventTypes === null ? null : html` checked`}> Only these:</label>
<div class="webhook-events">${WEBHOOK_EVENT_TYPES.map((type) => html`<label class="choice"><input type="checkbox" name="event_types" value="${type}"${chosen.has(type) ? html` checked` : null}> <code>${type}</code></label>`)}</div>
</fieldset>
<fieldset>
<legend>Status</legend>
${checkbox({ name: 'enabled', label: 'Enabled: send it messages', checked: v.enabled })}
</fieldset>
<div class="actions"><button type="submit">${model.submitLabel}</button></div>
</form>`;
}

export interface WebhookViewModel {
  readonly consoleUrl: string;
  readonly endpoint: WebhookEndpoint;
  readonly now: number;
  readonly deliveries: readonly WebhookDelivery[];
  readonly nextCursor: string | null;
  readonly edit: WebhookFormModel | null;
  /** CSRF tokens of rotate and test, for a role that may write. */
  readonly actions: { readonly rotate: string; readonly test: string } | null;
  readonly graceHours: number;
}

export function renderWebhookView(model: WebhookViewModel): SafeHtml {
  const { endpoint: e, consoleUrl } = model;
  const base = webhookHref(consoleUrl, e.id);
  const graceActive = e.previousSecretExpiresAt !== null && e.previousSecretExpiresAt > model.now;
  return html`<section class="panel" aria-labelledby="secret-heading">
<h2 id="secret-heading">Signing secret</h2>
<p>Messages are signed with the endpoint's secret (Standard Webhooks: <code>webhook-signature</code>). It is stored sealed and was shown once, when made.${graceActive ? html` <strong>The previous secret also signs until ${utcMinute(e.previousSecretExpiresAt!)}.</strong>` : null}</p>
${
  model.actions === null
    ? null
    : html`<div class="actions">
<form method="post" action="${base}/rotate-secret">${formState(model.actions.rotate)}<p class="hint" id="rotate-hint">A new secret is shown once; the current one keeps signing beside it for ${model.graceHours} hours.</p><button type="submit" class="secondary" aria-describedby="rotate-hint">Rotate secret</button></form>
<form method="post" action="${base}/test">${formState(model.actions.test)}<p class="hint" id="test-hint">Sends a <code>webhook.test</code> message now; its result is the first delivery below.</p><button type="submit" class="secondary" aria-describedby="test-hint">Send a test message</button></form>
</div>`
}
</section>
<section class="panel" aria-labelledby="settings-heading">
<h2 id="settings-heading">Settings</h2>
${
  model.edit === null
    ? html`<dl class="facts"><dt>URL</dt><dd><code>${e.url}</code></dd><dt>Description</dt><dd>${e.description || 'none'}</dd><dt>Events</dt><dd>${e.eventTypes === null ? 'every event' : e.eventTypes.join(', ')}</dd><dt>Status</dt><dd>${e.enabled ? 'enabled' : 'disabled'}</dd></dl>`
    : renderWebhookForm(model.edit)
}
</section>
<section class="panel" aria-labelledby="deliveries-heading">
<h2 id="deliveries-heading">Deliveries</h2>
${model.deliveries.length === 0 ? html`<p>No messages yet.</p>` : model.deliveries.map(deliveryBlock)}
${model.nextCursor === null ? null : html`<p><a href="${base}?${new URLSearchParams({ cursor: model.nextCursor }).toString()}">Older deliveries</a></p>`}
</section>${model.actions === null ? null : html`
<p class="actions"><a class="button secondary" href="${base}/delete">Delete endpoint…</a></p>`}`;
}

/** The confirmation of an endpoint's deletion: what goes with it, and one button; Cancel goes back. */
export function renderWebhookDeleteConfirm(model: { readonly consoleUrl: string; readonly endpoint: WebhookEndpoint; readonly csrfToken: string; readonly problems: FormProblems | null }): SafeHtml {
  const base = webhookHref(model.consoleUrl, model.endpoint.id);
  return html`${problemSummary(model.problems, {})}
<section class="panel" aria-labelledby="confirm-heading">
<h2 id="confirm-heading">Delete this endpoint?</h2>
<p>No more messages are sent to it, and its pending and past deliveries are deleted with it. This cannot be undone: a new endpoint would have a new secret.</p>
<dl class="facts"><dt>URL</dt><dd><code>${model.endpoint.url}</code></dd><dt>Description</dt><dd>${model.endpoint.description || 'none'}</dd></dl>
<form method="post" action="${base}/delete" novalidate>
${formState(model.csrfToken)}
<div class="actions"><button type="submit" class="danger">Delete the endpoint for good</button><a class="button secondary" href="${base}">Cancel</a></div>
</form>
</section>`;
}

/** One delivery and its attempts, newest first as the log reads. */
function deliveryBlock(d: WebhookDelivery): SafeHtml {
  return html`<h3 class="delivery-head"><code>${d.eventType}</code>, ${utcMinute(d.createdAt)}: <span class="badge">${d.state}</span>${d.nextAttemptAt === null || d.state !== 'pending' ? null : html`, next attempt ${utcMinute(d.nextAttemptAt)}`}</h3>
<p class="muted">Message <code>${d.messageId}</code></p>
<div class="table-wrap delivery"><table>
<caption class="visually-hidden">Attempts of the ${d.eventType} message of ${utcMinute(d.createdAt)}</caption>
<thead><tr><th scope="col">Attempt</th><th scope="col">Outcome</th><th scope="col" class="num">HTTP status</th><th scope="col" class="num">Time (ms)</th><th scope="col">Error</th></tr></thead>
<tbody>${
    d.attemptLog.length === 0
      ? html`<tr><td colspan="5">Not attempted yet.</td></tr>`
      : d.attemptLog.map((a) => html`<tr><td>${utcMinute(a.attemptedAt)}</td><td>${a.outcome}</td><td class="num">${a.statusCode ?? '–'}</td><td class="num">${a.durationMs}</td><td>${a.error ?? ''}</td></tr>`)
  }</tbody>
</table></div>`;
}

/** A webhook secret, shown once on the answer to the POST that made it. */
export function renderWebhookSecretPage(model: { readonly consoleUrl: string; readonly endpoint: WebhookEndpoint; readonly secret: string; readonly rotated: boolean }): SafeHtml {
  const e = model.endpoint;
  return html`<div class="alert" role="alert"><p><strong>Copy the secret now.</strong> It is shown only on this page and cannot be displayed again${model.rotated && e.previousSecretExpiresAt !== null ? html`; the previous one also signs until ${utcMinute(e.previousSecretExpiresAt)}` : null}.</p></div>
<section class="panel" aria-labelledby="secret-heading">
<h2 id="secret-heading"><code>${e.url}</code></h2>
<dl class="facts">
<dt>Signing secret</dt><dd>${copyable('webhook-secret', 'signing secret', model.secret)}</dd>
</dl>
</section>
<p><a href="${webhookHref(model.consoleUrl, e.id)}">Done: go to the endpoint</a></p>`;
}
