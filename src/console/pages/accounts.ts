import type { AccountConnector, AccountConnectorStatus, AppConnector, ConnectorAccount } from '../../connectors/connector.ts';
import { html, type SafeHtml } from '../../http/html.ts';
import { copyable, field, formState, problemSummary, type FormProblems } from '../forms.ts';
import { statusLabel, utcMinute } from './app-connectors.ts';

// Cyclr's accounts (the org's customers) and their account connectors: status, next refresh, the
// last refresh's error, the actions on a connection, and a connect link to send a customer.

export const ACCOUNT_FIELD_LABELS: Readonly<Record<string, string>> = { id: 'Account ID', name: 'Name' };
export const ACCOUNT_CONNECTOR_FIELD_LABELS: Readonly<Record<string, string>> = { app_connector_id: 'App connector', name: 'Name' };
export const CONNECT_LINK_FIELD_LABELS: Readonly<Record<string, string>> = { username: 'Username', target_origin: 'Where the customer lands' };

const accountHref = (consoleUrl: string, id: string): string => `${consoleUrl}/connectors/accounts/${encodeURIComponent(id)}`;
const connectorHref = (consoleUrl: string, id: string): string => `${consoleUrl}/connectors/account-connectors/${encodeURIComponent(id)}`;

export interface AccountListModel {
  readonly consoleUrl: string;
  readonly accounts: readonly ConnectorAccount[];
  readonly nextCursor: string | null;
  /** The create form (a role that may write), with what was typed after a refusal. */
  readonly create: { readonly csrfToken: string; readonly values: { readonly id: string; readonly name: string }; readonly problems: FormProblems | null } | null;
}

export function renderAccountList(model: AccountListModel): SafeHtml {
  const { consoleUrl } = model;
  return html`<p>Your customers, each with their own connections. <a href="${consoleUrl}/connectors">Back to connectors</a></p>
${
  model.accounts.length === 0
    ? html`<p class="panel">No accounts yet.</p>`
    : html`<div class="table-wrap panel"><table>
<caption>Accounts</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Account ID</th><th scope="col">Created</th></tr></thead>
<tbody>${model.accounts.map((a) => html`<tr><td><a href="${accountHref(consoleUrl, a.id)}">${a.name}</a></td><td><code>${a.id}</code></td><td>${utcMinute(a.createdAt)}</td></tr>`)}</tbody>
</table></div>`
}
${model.nextCursor === null ? null : html`<p><a href="${consoleUrl}/connectors/accounts?${new URLSearchParams({ cursor: model.nextCursor }).toString()}">Next page</a></p>`}
${
  model.create === null
    ? null
    : html`<section class="panel" aria-labelledby="new-account-heading">
<h2 id="new-account-heading">New account</h2>
${problemSummary(model.create.problems, ACCOUNT_FIELD_LABELS)}
<form method="post" action="${consoleUrl}/connectors/accounts" novalidate>
${formState(model.create.csrfToken)}
${field({ name: 'name', label: 'Name', value: model.create.values.name, required: true, error: model.create.problems?.fields.name, attributes: 'maxlength="200"' })}
${field({ name: 'id', label: 'Account ID (optional)', value: model.create.values.id, error: model.create.problems?.fields.id, hint: "Your own customer's ID, to find the account by it from your systems. Empty: one is made." })}
<div class="actions"><button type="submit">Create account</button></div>
</form>
</section>`
}`;
}

export interface AccountViewModel {
  readonly consoleUrl: string;
  readonly account: ConnectorAccount;
  readonly connectors: readonly AccountConnector[];
  readonly nextCursor: string | null;
  readonly apps: ReadonlyMap<string, AppConnector>;
  readonly add: { readonly csrfToken: string; readonly values: { readonly appConnectorId: string; readonly name: string }; readonly problems: FormProblems | null } | null;
}

/** One account: its connectors with their status, and a form adding one (a connection to an installed app connector). */
export function renderAccountView(model: AccountViewModel): SafeHtml {
  const { consoleUrl, account } = model;
  return html`<p>Account <code>${account.id}</code>. <a href="${consoleUrl}/connectors/accounts">All accounts</a></p>
<section class="panel" aria-labelledby="connectors-heading">
<h2 id="connectors-heading">Connectors</h2>
${
  model.connectors.length === 0
    ? html`<p>No connectors yet.</p>`
    : html`<div class="table-wrap"><table>
<caption>Connectors of ${account.name}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">App connector</th><th scope="col">Status</th><th scope="col">Next refresh</th><th scope="col">Last refresh error</th></tr></thead>
<tbody>${model.connectors.map(
        (c) =>
          html`<tr><td><a href="${connectorHref(consoleUrl, c.id)}">${c.name}</a></td><td>${model.apps.get(c.appConnectorId)?.name ?? c.appConnectorId}</td><td><span class="badge">${statusLabel(c.status)}</span></td><td>${c.nextRefreshAt === null ? 'not scheduled' : utcMinute(c.nextRefreshAt)}</td><td>${c.lastRefreshError === null ? 'none' : html`<code>${c.lastRefreshError.code}</code>`}</td></tr>`,
      )}</tbody>
</table></div>`
}
${model.nextCursor === null ? null : html`<p><a href="${accountHref(consoleUrl, account.id)}?${new URLSearchParams({ cursor: model.nextCursor }).toString()}">Next page</a></p>`}
</section>
${model.add === null ? null : addConnectorForm(consoleUrl, account, model.apps, model.add)}`;
}

function addConnectorForm(consoleUrl: string, account: ConnectorAccount, apps: ReadonlyMap<string, AppConnector>, add: NonNullable<AccountViewModel['add']>): SafeHtml {
  const errors = add.problems?.fields ?? {};
  if (apps.size === 0) return html`<p class="panel">Install an app connector from the <a href="${consoleUrl}/connectors/library">library</a> to add a connector to this account.</p>`;
  return html`<section class="panel" aria-labelledby="add-heading">
<h2 id="add-heading">Add a connector</h2>
${problemSummary(add.problems, ACCOUNT_CONNECTOR_FIELD_LABELS)}
<form method="post" action="${accountHref(consoleUrl, account.id)}/connectors" novalidate>
${formState(add.csrfToken)}
<label for="app_connector_id">App connector</label>
${errors.app_connector_id ? html`<p class="field-error" id="app_connector_id-error">${errors.app_connector_id}</p>` : null}
<select id="app_connector_id" name="app_connector_id"${errors.app_connector_id ? html` aria-invalid="true" aria-describedby="app_connector_id-error"` : null}>${[...apps.values()].map((app) => html`<option value="${app.id}"${app.id === add.values.appConnectorId ? html` selected` : null}>${app.name}</option>`)}</select>
${field({ name: 'name', label: 'Name (optional)', value: add.values.name, error: errors.name, hint: "Empty: the app connector's name.", attributes: 'maxlength="200"' })}
<div class="actions"><button type="submit">Add connector</button></div>
</form>
</section>`;
}

export interface ConnectorsByStatusModel {
  readonly consoleUrl: string;
  readonly status: AccountConnectorStatus;
  readonly connectors: readonly AccountConnector[];
  readonly nextCursor: string | null;
}

/** The org's connectors of one status, every account's: where "needs reauthentication" leads. */
export function renderConnectorsByStatus(model: ConnectorsByStatusModel): SafeHtml {
  const { consoleUrl } = model;
  return html`<p><a href="${consoleUrl}/connectors">Back to connectors</a></p>
${
  model.connectors.length === 0
    ? html`<p class="panel">None.</p>`
    : html`<div class="table-wrap panel"><table>
<caption>Connectors: ${statusLabel(model.status)}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Account</th><th scope="col">Next refresh</th><th scope="col">Last refresh error</th></tr></thead>
<tbody>${model.connectors.map(
        (c) =>
          html`<tr><td><a href="${connectorHref(consoleUrl, c.id)}">${c.name}</a></td><td><a href="${accountHref(consoleUrl, c.accountId)}"><code>${c.accountId}</code></a></td><td>${c.nextRefreshAt === null ? 'not scheduled' : utcMinute(c.nextRefreshAt)}</td><td>${c.lastRefreshError === null ? 'none' : html`<code>${c.lastRefreshError.code}</code>`}</td></tr>`,
      )}</tbody>
</table></div>`
}
${model.nextCursor === null ? null : html`<p><a href="${consoleUrl}/connectors/account-connectors?${new URLSearchParams({ status: model.status, cursor: model.nextCursor }).toString()}">Next page</a></p>`}`;
}

export interface ConnectLinkForm {
  readonly csrfToken: string;
  readonly origins: readonly string[];
  readonly values: { readonly username: string; readonly targetOrigin: string };
  readonly problems: FormProblems | null;
}

export interface AccountConnectorViewModel {
  readonly consoleUrl: string;
  readonly connector: AccountConnector;
  readonly app: AppConnector;
  /** CSRF tokens of the actions, for a role that may write; null hides them all. */
  readonly actions: { readonly deauthenticate: string; readonly disable: string; readonly enable: string } | null;
  readonly link: ConnectLinkForm | null;
  readonly problems?: FormProblems | null;
}

/** One connection: its state in words and times, the actions a writer may take, and the connect-link form. */
export function renderAccountConnectorView(model: AccountConnectorViewModel): SafeHtml {
  const { consoleUrl, connector: c } = model;
  const base = connectorHref(consoleUrl, c.id);
  const action = (path: string, token: string, label: string, hint: string): SafeHtml =>
    html`<form method="post" action="${base}/${path}">${formState(token)}<p class="hint" id="${path}-hint">${hint}</p><button type="submit" class="secondary" aria-describedby="${path}-hint">${label}</button></form>`;
  return html`${model.problems ? problemSummary(model.problems, {}) : null}<section class="panel" aria-labelledby="state-heading">
<h2 id="state-heading">State</h2>
<dl class="facts">
<dt>Status</dt><dd><span class="badge">${statusLabel(c.status)}</span></dd>
<dt>Account</dt><dd><a href="${accountHref(consoleUrl, c.accountId)}"><code>${c.accountId}</code></a></dd>
<dt>App connector</dt><dd><a href="${consoleUrl}/connectors/apps/${encodeURIComponent(c.appConnectorId)}">${model.app.name}</a></dd>
<dt>Access token expires</dt><dd>${c.accessExpiresAt === null ? 'not known, or never' : utcMinute(c.accessExpiresAt)}</dd>
<dt>Next refresh</dt><dd>${c.nextRefreshAt === null ? 'not scheduled' : utcMinute(c.nextRefreshAt)}</dd>
<dt>Last refreshed</dt><dd>${c.lastRefreshedAt === null ? 'never' : utcMinute(c.lastRefreshedAt)}</dd>
<dt>Last refresh error</dt><dd>${c.lastRefreshError === null ? 'none' : html`<code>${c.lastRefreshError.code}</code>${c.lastRefreshError.description === null ? null : html`: ${c.lastRefreshError.description}`} (${c.refreshAttempts} failed in a row)`}</dd>
</dl>
${
  model.actions === null
    ? null
    : html`<div class="actions">${c.status === 'disabled' ? action('enable', model.actions.enable, 'Enable', 'Lets it be used, refreshed and connected again.') : action('disable', model.actions.disable, 'Disable', 'Keeps its credentials but stops handing them out and refreshing them.')}
${c.sealedCredentials === null && !c.selfAuthenticate ? null : action('deauthenticate', model.actions.deauthenticate, 'Deauthenticate', 'Drops its credentials: the customer must connect again.')}
<p><a class="button secondary" href="${base}/edit">Edit settings…</a></p></div>`
}
</section>
${model.link === null ? null : connectLinkForm(base, model.link)}`;
}

function connectLinkForm(base: string, link: ConnectLinkForm): SafeHtml {
  if (link.origins.length === 0) {
    return html`<section class="panel" aria-labelledby="link-heading"><h2 id="link-heading">Connect link for a customer</h2><p>Add a connect target origin in the organization's settings first: it is where the customer lands after connecting.</p></section>`;
  }
  const errors = link.problems?.fields ?? {};
  return html`<section class="panel" aria-labelledby="link-heading">
<h2 id="link-heading">Connect link for a customer</h2>
<p>A link the customer opens to connect this account at the provider. It works once, within five minutes, and is shown only once.</p>
${problemSummary(link.problems, CONNECT_LINK_FIELD_LABELS)}
<form method="post" action="${base}/connect-link" novalidate>
${formState(link.csrfToken)}
${field({ name: 'username', label: 'Username', value: link.values.username, required: true, error: errors.username, hint: "The customer's user of this account (made on first use).", attributes: 'maxlength="200" autocomplete="off"' })}
<label for="target_origin">Where the customer lands</label>
${errors.target_origin ? html`<p class="field-error" id="target_origin-error">${errors.target_origin}</p>` : null}
<select id="target_origin" name="target_origin"${errors.target_origin ? html` aria-invalid="true" aria-describedby="target_origin-error"` : null}>${link.origins.map((o) => html`<option value="${o}"${o === link.values.targetOrigin ? html` selected` : null}>${o}</option>`)}</select>
<div class="actions"><button type="submit">Make connect link</button></div>
</form>
</section>`;
}

/** The connect link, on the answer to the POST only: it holds a single-use token. */
export function renderConnectLinkPage(model: { readonly consoleUrl: string; readonly connector: AccountConnector; readonly url: string; readonly expiresAt: number }): SafeHtml {
  return html`<div class="alert" role="alert"><p><strong>Copy the link now and send it to the customer.</strong> It is shown only on this page, works once, and expires at ${utcMinute(model.expiresAt)}.</p></div>
<section class="panel" aria-labelledby="link-heading">
<h2 id="link-heading">Connect link for ${model.connector.name}</h2>
${copyable('connect-link', 'connect link', model.url)}
</section>
<p><a href="${connectorHref(model.consoleUrl, model.connector.id)}">Done: go to the connector</a></p>`;
}
