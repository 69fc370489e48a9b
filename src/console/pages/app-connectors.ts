import type { ProviderView } from '../../connectors/catalogue/public-view.ts';
import type { AccountConnectorStatus, AppConnector } from '../../connectors/connector.ts';
import type { ConnectorStatusReport } from '../../connectors/refresh/connector-status-admin.ts';
import { html, type SafeHtml } from '../../http/html.ts';
import { copyable, field, formState, problemSummary, type FormProblems } from '../forms.ts';

// Cyclr's "Connectors > Application Connector Library": the catalogue, the providers installed
// with the org's app credentials, and the org's connections by status.

export const APP_CONNECTOR_FIELD_LABELS: Readonly<Record<string, string>> = {
  name: 'Name',
  client_id: 'Client ID',
  client_secret: 'Client secret',
  scopes: 'Scopes',
};

/** The form's field names: the labels' and each config field's (`config.<Name>`, as the use case names its errors). */
export function appConnectorFields(provider: ProviderView): string[] {
  return [...Object.keys(APP_CONNECTOR_FIELD_LABELS), ...provider.config_fields.map((f) => `config.${f.name}`)];
}

/** What the form shows: as typed (after a refusal), or the app connector's values. Never a secret. */
export interface AppConnectorFormValues {
  readonly name: string;
  readonly clientId: string;
  readonly scopes: string;
  readonly config: Readonly<Record<string, string>>;
}

export function appConnectorValuesOf(app: AppConnector): AppConnectorFormValues {
  return { name: app.name, clientId: app.clientId ?? '', scopes: app.scopes.join(' '), config: app.config };
}

export function utcMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface ConnectorsHomeModel {
  readonly consoleUrl: string;
  readonly apps: readonly AppConnector[];
  readonly nextCursor: string | null;
  readonly providers: ReadonlyMap<string, ProviderView>;
  readonly status: ConnectorStatusReport;
  readonly canWrite: boolean;
}

const STATUS_LABELS: Readonly<Record<AccountConnectorStatus, string>> = {
  authenticated: 'Authenticated',
  needs_reauth: 'Needs reauthentication',
  unauthenticated: 'Not connected',
  disabled: 'Disabled',
};

export function statusLabel(status: AccountConnectorStatus): string {
  return STATUS_LABELS[status];
}

/** The connectors section's first page: installed app connectors, the org's connections by status, and where to go next. */
export function renderConnectorsHome(model: ConnectorsHomeModel): SafeHtml {
  const { consoleUrl, status } = model;
  const connectorHref = (id: string): string => `${consoleUrl}/connectors/account-connectors/${encodeURIComponent(id)}`;
  return html`<p>Providers installed with this organization's app credentials, and your customers' connections to them.</p>
<p class="actions"><a class="button" href="${consoleUrl}/connectors/library">Application connector library</a> <a class="button secondary" href="${consoleUrl}/connectors/accounts">Accounts</a></p>
<section class="panel" aria-labelledby="apps-heading">
<h2 id="apps-heading">Installed app connectors</h2>
${
  model.apps.length === 0
    ? html`<p>None installed yet.${model.canWrite ? html` Install one from the <a href="${consoleUrl}/connectors/library">library</a>.` : null}</p>`
    : html`<div class="table-wrap"><table>
<caption>Installed app connectors</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Provider</th><th scope="col">Client ID</th></tr></thead>
<tbody>${model.apps.map(
        (app) =>
          html`<tr><td><a href="${consoleUrl}/connectors/apps/${encodeURIComponent(app.id)}">${app.name}</a></td><td>${model.providers.get(app.provider)?.display_name ?? app.provider}</td><td>${app.clientId === null ? 'not set' : html`<code>${app.clientId}</code>`}</td></tr>`,
      )}</tbody>
</table></div>`
}
${model.nextCursor === null ? null : html`<p><a href="${consoleUrl}/connectors?${new URLSearchParams({ cursor: model.nextCursor }).toString()}">Next page</a></p>`}
</section>
<section class="panel" aria-labelledby="status-heading">
<h2 id="status-heading">Connections by status</h2>
<div class="table-wrap"><table>
<caption>Account connectors by status</caption>
<thead><tr><th scope="col">Status</th><th scope="col" class="num">Connections</th></tr></thead>
<tbody>${(Object.keys(STATUS_LABELS) as AccountConnectorStatus[]).map((s) => html`<tr><td><a href="${consoleUrl}/connectors/account-connectors?status=${s}">${STATUS_LABELS[s]}</a></td><td class="num">${status.counts[s]}</td></tr>`)}</tbody>
</table></div>
<h3>Failing or needing reauthentication</h3>
${
  status.failing.length === 0
    ? html`<p>None.</p>`
    : html`<ul>${status.failing.map((c) => html`<li><a href="${connectorHref(c.id)}">${c.name}</a> (account <code>${c.accountId}</code>): ${statusLabel(c.status)}${c.lastRefreshError === null ? null : html`, last error <code>${c.lastRefreshError.code}</code>`}</li>`)}</ul>`
}
<h3>Next refreshes</h3>
${
  status.nextRefreshes.length === 0
    ? html`<p>None scheduled.</p>`
    : html`<ul>${status.nextRefreshes.map((c) => html`<li><a href="${connectorHref(c.id)}">${c.name}</a>: ${c.nextRefreshAt === null ? 'not scheduled' : utcMinute(c.nextRefreshAt)}</li>`)}</ul>`
}
</section>`;
}

export interface LibraryModel {
  readonly consoleUrl: string;
  readonly providers: readonly ProviderView[];
  readonly categories: readonly string[];
  readonly query: string;
  readonly category: string;
  readonly canWrite: boolean;
}

/** The catalogue, searchable by name and category (a GET form: the search is in the URL, and works without JavaScript). */
export function renderLibrary(model: LibraryModel): SafeHtml {
  return html`<form method="get" action="${model.consoleUrl}/connectors/library" class="panel" role="search">
${field({ name: 'q', label: 'Search by name', value: model.query })}
<label for="category">Category</label>
<select id="category" name="category"><option value="">Every category</option>${model.categories.map((c) => html`<option value="${c}"${c === model.category ? html` selected` : null}>${c}</option>`)}</select>
<div class="actions"><button type="submit" class="secondary">Search</button></div>
</form>
<p role="status">${model.providers.length === 1 ? '1 provider' : `${model.providers.length} providers`}</p>
<div class="table-wrap panel"><table>
<caption>Providers of the catalogue</caption>
<thead><tr><th scope="col">Provider</th><th scope="col">Categories</th><th scope="col">Authentication</th>${model.canWrite ? html`<th scope="col"><span class="visually-hidden">Action</span></th>` : null}</tr></thead>
<tbody>${model.providers.map(
    (p) =>
      html`<tr><td>${p.display_name} <code>${p.id}</code></td><td>${p.categories.join(', ')}</td><td>${p.auth_mode.replace(/_/g, ' ')}</td>${
        model.canWrite ? html`<td><a href="${model.consoleUrl}/connectors/install/${encodeURIComponent(p.id)}">Install<span class="visually-hidden"> ${p.display_name}</span></a></td>` : null
      }</tr>`,
  )}</tbody>
</table></div>`;
}

export interface AppConnectorFormModel {
  readonly action: string;
  readonly csrfToken: string;
  readonly provider: ProviderView;
  readonly values: AppConnectorFormValues;
  readonly problems: FormProblems | null;
  /** An edit: whether a secret is stored (it is never shown, only replaced). */
  readonly secretSet: boolean | null;
  readonly version?: number;
  readonly submitLabel: string;
}

/** An app connector's settings: the client secret is write-only (empty keeps the stored one), config fields from the entry. */
export function renderAppConnectorForm(model: AppConnectorFormModel): SafeHtml {
  const v = model.values;
  const errors = model.problems?.fields ?? {};
  const labels: Record<string, string> = { ...APP_CONNECTOR_FIELD_LABELS, ...Object.fromEntries(model.provider.config_fields.map((f) => [`config.${f.name}`, f.name])) };
  const secretHint =
    model.secretSet === null ? 'Stored sealed; it is never shown again.' : model.secretSet ? 'A secret is stored (never shown). Leave empty to keep it; type a new one to replace it.' : 'None stored yet.';
  return html`${problemSummary(model.problems, labels)}
<form method="post" action="${model.action}" novalidate>
${formState(model.csrfToken, model.version)}
${field({ name: 'name', label: 'Name', value: v.name, required: true, error: errors.name, attributes: 'maxlength="200"' })}
${field({ name: 'client_id', label: 'Client ID', value: v.clientId, error: errors.client_id, hint: "The ID of this organization's application at the provider." })}
<label for="client_secret">Client secret</label>
<p class="hint" id="client_secret-hint">${secretHint}</p>
${errors.client_secret ? html`<p class="field-error" id="client_secret-error">${errors.client_secret}</p>` : null}
<input type="password" id="client_secret" name="client_secret" value="" autocomplete="off" aria-describedby="client_secret-hint${errors.client_secret ? ' client_secret-error' : ''}"${errors.client_secret ? html` aria-invalid="true"` : null}>
${field({ name: 'scopes', label: 'Scopes', value: v.scopes, error: errors.scopes, hint: `Space-separated. Empty: the provider's defaults${model.provider.default_scopes.length === 0 ? '' : ` (${model.provider.default_scopes.join(' ')})`}.` })}
${model.provider.config_fields.map((f) => field({ name: `config.${f.name}`, label: `${f.name}${f.required ? '' : ' (optional)'}`, value: v.config[f.name] ?? '', error: errors[`config.${f.name}`], hint: f.description }))}
<div class="actions"><button type="submit">${model.submitLabel}</button></div>
</form>`;
}

/** The install page: what to register at the provider first (the redirect URI, to copy), then the form. */
export function renderInstallPage(model: { readonly provider: ProviderView; readonly redirectUri: string; readonly form: SafeHtml }): SafeHtml {
  return html`<section class="panel" aria-labelledby="register-heading">
<h2 id="register-heading">At ${model.provider.display_name}</h2>
<p>Create an application there (<a href="${model.provider.docs_url}">its documentation</a>) with this redirect URI, then fill in its client ID and secret below.</p>
${copyable('redirect-uri', 'redirect URI', model.redirectUri)}
</section>
<section class="panel" aria-labelledby="settings-heading">
<h2 id="settings-heading">Settings</h2>
${model.form}
</section>`;
}

export interface AppConnectorViewModel {
  readonly consoleUrl: string;
  readonly app: AppConnector;
  readonly provider: ProviderView | undefined;
  readonly redirectUri: string;
  readonly edit: AppConnectorFormModel | null;
  readonly deleteToken: string | null;
}

/** One app connector: the redirect URI to register at the provider (to copy), its settings, and its removal. */
export function renderAppConnectorView(model: AppConnectorViewModel): SafeHtml {
  const { app } = model;
  return html`<section class="panel" aria-labelledby="register-heading">
<h2 id="register-heading">At the provider</h2>
<p>Register this redirect URI with ${model.provider?.display_name ?? app.provider}${model.provider === undefined ? null : html` (<a href="${model.provider.docs_url}">its documentation</a>)`}:</p>
${copyable('redirect-uri', 'redirect URI', model.redirectUri)}
<dl class="facts">
<dt>Provider</dt><dd><code>${app.provider}</code></dd>
<dt>ID</dt><dd><code>${app.id}</code></dd>
<dt>Client secret</dt><dd>${app.sealedClientSecret === null ? 'not set' : 'set (never shown)'}</dd>
</dl>
</section>
<section class="panel" aria-labelledby="settings-heading">
<h2 id="settings-heading">Settings</h2>
${
  model.edit === null
    ? html`<dl class="facts"><dt>Name</dt><dd>${app.name}</dd><dt>Client ID</dt><dd>${app.clientId ?? 'not set'}</dd><dt>Scopes</dt><dd>${app.scopes.length === 0 ? "the provider's defaults" : app.scopes.join(' ')}</dd>${Object.entries(app.config).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`
    : renderAppConnectorForm(model.edit)
}
</section>
${
  model.deleteToken === null
    ? null
    : html`<section class="panel" aria-labelledby="remove-heading">
<h2 id="remove-heading">Remove</h2>
<form method="post" action="${model.consoleUrl}/connectors/apps/${encodeURIComponent(app.id)}/delete">
${formState(model.deleteToken)}
<p class="hint" id="remove-hint">Only an app connector no account connector uses can be removed; its sealed secret goes with it.</p>
<div class="actions"><button type="submit" class="secondary" aria-describedby="remove-hint">Remove app connector</button></div>
</form>
</section>`
}`;
}
