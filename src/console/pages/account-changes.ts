import type { ProviderView } from '../../connectors/catalogue/public-view.ts';
import type { AccountConnector, ConnectorAccount } from '../../connectors/connector.ts';
import { html, type SafeHtml } from '../../http/html.ts';
import { field, formState, problemSummary, type FormProblems } from '../forms.ts';

// The changes to an account and to an account connector: an account renamed or deleted (confirmed
// first), a connector's name, config and per-customer app credentials edited with its version.

const accountHref = (consoleUrl: string, id: string): string => `${consoleUrl}/connectors/accounts/${encodeURIComponent(id)}`;
const connectorHref = (consoleUrl: string, id: string): string => `${consoleUrl}/connectors/account-connectors/${encodeURIComponent(id)}`;

/** The account page's panel of changes, for a role that may make them. */
export function renderAccountManage(model: { readonly consoleUrl: string; readonly account: ConnectorAccount }): SafeHtml {
  const base = accountHref(model.consoleUrl, model.account.id);
  return html`<section class="panel" aria-labelledby="manage-heading">
<h2 id="manage-heading">Account</h2>
<div class="actions"><a class="button secondary" href="${base}/rename">Rename…</a><a class="button secondary" href="${base}/delete">Delete…</a></div>
</section>`;
}

export function renderAccountRename(model: { readonly consoleUrl: string; readonly account: ConnectorAccount; readonly csrfToken: string; readonly name: string; readonly problems: FormProblems | null }): SafeHtml {
  const base = accountHref(model.consoleUrl, model.account.id);
  return html`${problemSummary(model.problems, { name: 'Name' })}
<section class="panel" aria-labelledby="rename-heading">
<h2 id="rename-heading">Rename <q>${model.account.name}</q></h2>
<form method="post" action="${base}/rename" novalidate>
${formState(model.csrfToken)}
${field({ name: 'name', label: 'Name', value: model.name, required: true, autofocus: true, error: model.problems?.fields.name, attributes: 'maxlength="200"' })}
<div class="actions"><button type="submit">Rename</button><a class="button secondary" href="${base}">Cancel</a></div>
</form>
</section>`;
}

/** The confirmation of an account's deletion: what goes with it, one button; Cancel goes back. */
export function renderAccountDeleteConfirm(model: { readonly consoleUrl: string; readonly account: ConnectorAccount; readonly csrfToken: string; readonly problems: FormProblems | null }): SafeHtml {
  const base = accountHref(model.consoleUrl, model.account.id);
  return html`${problemSummary(model.problems, {})}
<section class="panel" aria-labelledby="confirm-heading">
<h2 id="confirm-heading">Delete the account <q>${model.account.name}</q>?</h2>
<p>Its users and all its connectors are deleted with it, and the connectors' credentials with them: the customer's applications stop working at once. This cannot be undone.</p>
<dl class="facts"><dt>Account ID</dt><dd><code>${model.account.id}</code></dd></dl>
<form method="post" action="${base}/delete" novalidate>
${formState(model.csrfToken)}
<div class="actions"><button type="submit" class="danger">Delete the account for good</button><a class="button secondary" href="${base}">Cancel</a></div>
</form>
</section>`;
}

/** What the connector form shows: its name and config fields as typed, the ClientId in clear (never the secret). */
export interface AccountConnectorFormValues {
  readonly name: string;
  readonly clientId: string;
  readonly config: Readonly<Record<string, string>>;
}

export function accountConnectorValuesOf(connector: AccountConnector): AccountConnectorFormValues {
  return { name: connector.name, clientId: connector.properties['ClientId'] ?? '', config: connector.config };
}

/** The form's field names, as the use case names its errors. */
export function accountConnectorEditFields(provider: ProviderView | undefined): string[] {
  return ['name', 'properties.ClientId', 'properties.ClientSecret', ...(provider?.config_fields ?? []).map((f) => `config.${f.name}`)];
}

export interface AccountConnectorEditModel {
  readonly consoleUrl: string;
  readonly connector: AccountConnector;
  /** The app connector's provider, for its config fields (none if the catalogue no longer has it). */
  readonly provider: ProviderView | undefined;
  readonly csrfToken: string;
  readonly version: number;
  readonly values: AccountConnectorFormValues;
  readonly problems: FormProblems | null;
}

/**
 * A connector's settings. ClientId and ClientSecret are this customer's own app at the provider
 * (when the app connector has none, or the customer brings theirs): the ID in clear, the secret
 * write-only (stored sealed; empty keeps it), as the API's properties are.
 */
export function renderAccountConnectorEdit(model: AccountConnectorEditModel): SafeHtml {
  const v = model.values;
  const errors = model.problems?.fields ?? {};
  const configFields = model.provider?.config_fields ?? [];
  const base = connectorHref(model.consoleUrl, model.connector.id);
  const secretStored = model.connector.secretPropertyNames.includes('ClientSecret');
  const labels: Record<string, string> = { name: 'Name', 'properties.ClientId': 'Client ID', 'properties.ClientSecret': 'Client secret', ...Object.fromEntries(configFields.map((f) => [`config.${f.name}`, f.name])) };
  const secretError = errors['properties.ClientSecret'];
  return html`${problemSummary(model.problems, labels)}
<section class="panel" aria-labelledby="edit-heading">
<h2 id="edit-heading">Edit <q>${model.connector.name}</q></h2>
<form method="post" action="${base}/edit" novalidate>
${formState(model.csrfToken, model.version)}
${field({ name: 'name', label: 'Name', value: v.name, required: true, error: errors.name, attributes: 'maxlength="200"' })}
${configFields.map((f) => field({ name: `config.${f.name}`, label: `${f.name}${f.required ? '' : ' (optional)'}`, value: v.config[f.name] ?? '', error: errors[`config.${f.name}`], hint: f.description }))}
${field({ name: 'properties.ClientId', label: 'Client ID (optional)', value: v.clientId, error: errors['properties.ClientId'], hint: "This customer's own application at the provider, if it has one. Empty: none." })}
<label for="properties.ClientSecret">Client secret (optional)</label>
<p class="hint" id="properties.ClientSecret-hint">${secretStored ? 'A secret is stored (never shown). Leave empty to keep it; type a new one to replace it.' : 'None stored. Stored sealed; it is never shown again.'}</p>
${secretError ? html`<p class="field-error" id="properties.ClientSecret-error">${secretError}</p>` : null}
<input type="password" id="properties.ClientSecret" name="properties.ClientSecret" value="" autocomplete="off" aria-describedby="properties.ClientSecret-hint${secretError ? ' properties.ClientSecret-error' : ''}"${secretError ? html` aria-invalid="true"` : null}>
<div class="actions"><button type="submit">Save changes</button><a class="button secondary" href="${base}">Cancel</a></div>
</form>
</section>`;
}
