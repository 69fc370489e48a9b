import type { Client } from '../../clients/client.ts';
import { MAX_CODE_TTL_SECONDS } from '../../clients/clients.ts';
import { escapeHtml, html, type SafeHtml } from '../../http/html.ts';
import { checkbox, copyable, field, formState, problemSummary, type FormProblems } from '../forms.ts';

/** The client form's fields, by their names in the form (the use case's field names), with their labels. */
export const CLIENT_FIELD_LABELS: Readonly<Record<string, string>> = {
  name: 'Name',
  client_type: 'Kind of application',
  redirect_uris: 'Redirect URIs',
  post_logout_redirect_uris: 'Post-logout redirect URIs',
  scope: 'Scopes',
  code_ttl_seconds: 'Authorization code lifetime',
  consent_required: 'Consent',
};
export const CLIENT_FIELDS = Object.keys(CLIENT_FIELD_LABELS);

/** What the form shows: as typed (after a refusal), or the client's current values. */
export interface ClientFormValues {
  readonly name: string;
  readonly clientType: 'confidential' | 'public';
  readonly redirectUris: string;
  readonly postLogoutRedirectUris: string;
  readonly scope: string;
  readonly consentRequired: boolean;
  /** Empty: the organization's lifetime. */
  readonly codeTtlSeconds: string;
}

export function formValuesOf(client: Client): ClientFormValues {
  return {
    name: client.name,
    clientType: client.clientType,
    redirectUris: client.redirectUris.join('\n'),
    postLogoutRedirectUris: client.postLogoutRedirectUris.join('\n'),
    scope: client.scope,
    consentRequired: client.consentRequired,
    codeTtlSeconds: client.codeTtlSeconds === null ? '' : String(client.codeTtlSeconds),
  };
}

export interface ClientListModel {
  readonly consoleUrl: string;
  readonly clients: readonly Client[];
  readonly nextCursor: string | null;
  readonly canWrite: boolean;
}

/** Neon's "OAuth Configuration": every client with its ID, kind and status; a new one for those who may. */
export function renderClientList(model: ClientListModel): SafeHtml {
  const href = (client: Client): string => `${model.consoleUrl}/clients/${encodeURIComponent(client.clientId)}`;
  return html`<p>Applications that sign constituents in, or call the API as themselves.</p>
${model.canWrite ? html`<p><a class="button" href="${model.consoleUrl}/clients/new">New client</a></p>` : null}
<p><a href="${model.consoleUrl}/scopes">Scopes and custom scopes</a>: what applications may ask for, and the attributes each custom scope releases.</p>
${
  model.clients.length === 0
    ? html`<p class="panel">No clients yet.</p>`
    : html`<div class="table-wrap panel"><table>
<caption>OAuth clients</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Client ID</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Consent</th></tr></thead>
<tbody>${model.clients.map(
        (client) => html`<tr><td><a href="${href(client)}">${client.name}</a></td><td><code>${client.clientId}</code></td><td>${client.clientType}</td><td><span class="badge">${client.status}</span></td><td>${client.consentRequired ? 'asked' : 'not asked'}</td></tr>`,
      )}</tbody>
</table></div>`
}
${model.nextCursor === null ? null : html`<p><a href="${model.consoleUrl}/clients?${new URLSearchParams({ cursor: model.nextCursor }).toString()}">Next page</a></p>`}`;
}

export interface ClientFormModel {
  readonly action: string;
  readonly csrfToken: string;
  /** The version the form was rendered with (an edit), sent back as the expected version. */
  readonly version?: number;
  readonly values: ClientFormValues;
  readonly problems: FormProblems | null;
  /** A new client chooses its kind; an existing one keeps it. */
  readonly isNew: boolean;
  readonly orgCodeTtlSeconds: number;
  readonly submitLabel: string;
}

/** The client's settings as a form: each field with its hint, its error beside it, the values kept. */
export function renderClientForm(model: ClientFormModel): SafeHtml {
  const v = model.values;
  const errors = model.problems?.fields ?? {};
  const first = Object.keys(errors)[0];
  return html`${problemSummary(model.problems, CLIENT_FIELD_LABELS)}
<form method="post" action="${model.action}" novalidate>
${formState(model.csrfToken, model.version)}
${field({ name: 'name', label: 'Name', value: v.name, required: true, error: errors.name, autofocus: first === 'name', attributes: 'maxlength="200"' })}
${
  model.isNew
    ? html`<fieldset id="client_type">
<legend>Kind of application</legend>
<label class="choice"><input type="radio" name="client_type" value="confidential"${v.clientType === 'confidential' ? html` checked` : null}> Runs on a server and can keep a secret (confidential)</label>
<label class="choice"><input type="radio" name="client_type" value="public"${v.clientType === 'public' ? html` checked` : null}> Runs in a browser or on a device: no secret, uses PKCE (public)</label>
</fieldset>`
    : null
}
${field({ name: 'redirect_uris', label: 'Redirect URIs, one per line', type: 'textarea', value: v.redirectUris, error: errors.redirect_uris, autofocus: first === 'redirect_uris', hint: 'Exact URIs the application receives the sign-in result at: https, or http on 127.0.0.1 or localhost while developing. No wildcards, no #fragments.' })}
${field({ name: 'post_logout_redirect_uris', label: 'Post-logout redirect URIs, one per line', type: 'textarea', value: v.postLogoutRedirectUris, error: errors.post_logout_redirect_uris, autofocus: first === 'post_logout_redirect_uris', hint: 'Where the application may send people after they sign out. Optional.' })}
${field({ name: 'scope', label: 'Scopes', value: v.scope, error: errors.scope, autofocus: first === 'scope', hint: 'Space-separated scopes the application may ask for, such as openid profile email.' })}
${field({ name: 'code_ttl_seconds', label: 'Authorization code lifetime (seconds)', type: 'number', value: v.codeTtlSeconds, error: errors.code_ttl_seconds, autofocus: first === 'code_ttl_seconds', hint: `From 1 to ${MAX_CODE_TTL_SECONDS}. Leave empty for the organization's (${model.orgCodeTtlSeconds} seconds).`, attributes: `min="1" max="${MAX_CODE_TTL_SECONDS}" step="1" inputmode="numeric"` })}
<fieldset>
<legend>Consent</legend>
${checkbox({ name: 'consent_required', label: 'Ask constituents to consent before the application gets their details', checked: v.consentRequired })}
</fieldset>
<div class="actions"><button type="submit">${model.submitLabel}</button></div>
</form>`;
}

export interface ClientViewModel {
  readonly consoleUrl: string;
  /** The login widget's URL (`<issuer>/widget.js`), for the snippet and its preview. */
  readonly widgetUrl: string;
  readonly client: Client;
  readonly now: number;
  /** Null for a role that may not change clients: it sees the settings, and no control. */
  readonly edit: ClientFormModel | null;
  /** The rotate form's CSRF token, for a role that may change clients. */
  readonly rotateToken: string | null;
  readonly graceHours: number;
  /** The status panel (suspend, reactivate, delete: pages/client-lifecycle.ts), for a role that may change clients. */
  readonly lifecycle?: SafeHtml | null;
}

/** One client: its ID to copy, its settings (a form for those who may change them), its secret's rotation. */
export function renderClientView(model: ClientViewModel): SafeHtml {
  const { client } = model;
  const graceActive = client.previousSecretExpiresAt !== null && client.previousSecretExpiresAt > model.now;
  return html`<section class="panel" aria-labelledby="ids-heading">
<h2 id="ids-heading">Credentials</h2>
<dl class="facts">
<dt>Client ID</dt><dd>${copyable('client-id', 'client ID', client.clientId)}</dd>
<dt>Kind</dt><dd>${client.clientType}</dd>
<dt>Status</dt><dd><span class="badge">${client.status}</span></dd>
<dt>Client secret</dt><dd>${client.clientType === 'public' ? 'None: a public client uses PKCE.' : 'Stored only as a hash; it was shown once, when made. Rotate it to get a new one.'}${graceActive ? html`<br><strong>The previous secret keeps working until ${isoMinute(client.previousSecretExpiresAt!)} UTC.</strong>` : null}</dd>
</dl>
${
  client.clientType === 'confidential' && model.rotateToken !== null
    ? html`<form method="post" action="${model.consoleUrl}/clients/${encodeURIComponent(client.clientId)}/rotate-secret">
${formState(model.rotateToken)}
<p class="hint" id="rotate-hint">A new secret is shown once. The current one keeps working for ${model.graceHours} hours, time to roll the new one out; a secret replaced before that stops at once.</p>
<div class="actions"><button type="submit" class="secondary" aria-describedby="rotate-hint">Rotate secret</button></div>
</form>`
    : null
}
</section>
${model.lifecycle ?? null}
${widgetSection(model.widgetUrl, client)}
<section class="panel" aria-labelledby="settings-heading">
<h2 id="settings-heading">Settings</h2>
${model.edit === null ? settingsList(client) : renderClientForm(model.edit)}
</section>`;
}

/** Whether the client signs people in through the browser, so the login widget can start its flow. */
export function hasWidget(client: Client): boolean {
  return client.status === 'active' && client.grantTypes.includes('authorization_code') && client.redirectUris.length > 0;
}

/**
 * Neon's "copy the JavaScript widget code" for this client: the tag to paste in a page's body,
 * with its first redirect URI, and the button it renders, live (the widget itself, from this
 * server, as a site would load it).
 */
function widgetSection(widgetUrl: string, client: Client): SafeHtml | null {
  if (!hasWidget(client)) return null;
  // The tag as text to paste: its attribute values escaped for HTML, as the person's page needs them.
  const attr = (value: string): string => escapeHtml(value);
  const snippet = `<script src="${attr(widgetUrl)}"\n        data-client-id="${attr(client.clientId)}"\n        data-redirect-uri="${attr(client.redirectUris[0]!)}"\n        data-scope="openid profile"></script>`;
  return html`<section class="panel" aria-labelledby="widget-heading">
<h2 id="widget-heading">Login widget</h2>
<p>Paste this inside the <code>&lt;body&gt;</code> of a page, where the button should appear. It sends people to sign in and back to the redirect URI with a code; change <code>data-redirect-uri</code> to another registered URI if needed, and add <code>data-state</code> for your CSRF state.</p>
${copyable('widget-snippet', 'widget code', snippet)}
<h3 class="hint" id="widget-preview-label">Preview</h3>
<div class="widget-preview" role="group" aria-labelledby="widget-preview-label"><script src="${widgetUrl}" data-client-id="${client.clientId}" data-redirect-uri="${client.redirectUris[0]!}" data-scope="openid profile"></script></div>
</section>`;
}

function settingsList(client: Client): SafeHtml {
  const list = (values: readonly string[]): SafeHtml | string => (values.length === 0 ? 'none' : html`<ul>${values.map((value) => html`<li><code>${value}</code></li>`)}</ul>`);
  return html`<dl class="facts">
<dt>Name</dt><dd>${client.name}</dd>
<dt>Redirect URIs</dt><dd>${list(client.redirectUris)}</dd>
<dt>Post-logout redirect URIs</dt><dd>${list(client.postLogoutRedirectUris)}</dd>
<dt>Scopes</dt><dd><code>${client.scope}</code></dd>
<dt>Authorization code lifetime</dt><dd>${client.codeTtlSeconds === null ? "the organization's" : `${client.codeTtlSeconds} seconds`}</dd>
<dt>Consent</dt><dd>${client.consentRequired ? 'asked' : 'not asked'}</dd>
</dl>`;
}

export interface SecretPageModel {
  readonly consoleUrl: string;
  readonly client: Client;
  readonly clientSecret: string;
  readonly rotated: boolean;
}

/**
 * A client secret, shown once: the answer to the POST that made it (never stored, never in a
 * URL), with its ID, both to copy. Reloading would send the form again, so the page says where to go.
 */
export function renderSecretPage(model: SecretPageModel): SafeHtml {
  const { client } = model;
  return html`<div class="alert" role="alert"><p><strong>Copy the secret now.</strong> It is shown only on this page and cannot be displayed again${model.rotated && client.previousSecretExpiresAt !== null ? html`; the previous secret keeps working until ${isoMinute(client.previousSecretExpiresAt)} UTC` : null}.</p></div>
<section class="panel" aria-labelledby="credentials-heading">
<h2 id="credentials-heading">${client.name}</h2>
<dl class="facts">
<dt>Client ID</dt><dd>${copyable('client-id', 'client ID', client.clientId)}</dd>
<dt>Client secret</dt><dd>${copyable('client-secret', 'client secret', model.clientSecret)}</dd>
</dl>
</section>
<p><a href="${model.consoleUrl}/clients/${encodeURIComponent(client.clientId)}">Done: go to the client</a></p>`;
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
