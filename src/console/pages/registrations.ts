import type { Client } from '../../clients/client.ts';
import { html, type SafeHtml } from '../../http/html.ts';
import type { RegistrationPolicy } from '../../orgs/registration-policy.ts';
import type { ClientRegistrationMode } from '../../orgs/settings.ts';
import { copyable, field, formState, problemSummary, type FormProblems } from '../forms.ts';

/** How a registration came in, in words. */
const SOURCES: Readonly<Record<Client['registrationSource'], string>> = {
  staff: 'created by staff',
  registration_page: 'the registration page',
  dynamic: 'dynamic registration (RFC 7591)',
};

export const POLICY_FIELD_LABELS: Readonly<Record<string, string>> = { mode: 'Registration requests', initial_access_token: 'Initial access token' };
export const DECISION_FIELD_LABELS: Readonly<Record<string, string>> = { reason: 'Reason' };

export interface PolicyFormValues {
  readonly mode: ClientRegistrationMode;
  readonly initialAccessToken: 'keep' | 'none' | 'new';
}

export interface RegistrationsModel {
  readonly consoleUrl: string;
  readonly policy: RegistrationPolicy;
  /** Where people ask, when registration is open: the registration page and the RFC 7591 endpoint. */
  readonly registrationPageUrl: string;
  readonly registrationEndpointUrl: string;
  readonly pending: readonly Client[];
  readonly nextCursor: string | null;
  /** The policy's form, for a role that may change it (org:write); null shows the policy only. */
  readonly policyForm: { readonly action: string; readonly csrfToken: string; readonly version: number; readonly values: PolicyFormValues; readonly problems: FormProblems | null } | null;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** Neos's manual approval: the requests waiting for a decision, and whether people may ask at all. */
export function renderRegistrations(model: RegistrationsModel): SafeHtml {
  const href = (client: Client): string => `${model.consoleUrl}/registrations/${encodeURIComponent(client.clientId)}`;
  return html`<p>Applications asked for by people outside the organization wait here until someone approves or rejects them.</p>
<section class="panel" aria-labelledby="queue-heading">
<h2 id="queue-heading">Waiting for a decision</h2>
${
  model.pending.length === 0
    ? html`<p>No registration is waiting.</p>`
    : html`<div class="table-wrap"><table>
<caption class="visually-hidden">Pending registrations</caption>
<thead><tr><th scope="col">Application</th><th scope="col">Asked by</th><th scope="col">Through</th><th scope="col">Asked on (UTC)</th></tr></thead>
<tbody>${model.pending.map(
        (client) => html`<tr><td><a href="${href(client)}">${client.name}</a></td><td>${client.requesterEmail ?? client.requesterName ?? 'not given'}</td><td>${SOURCES[client.registrationSource]}</td><td>${isoDay(client.createdAt)}</td></tr>`,
      )}</tbody>
</table></div>`
}
${model.nextCursor === null ? null : html`<p><a href="${model.consoleUrl}/registrations?${new URLSearchParams({ cursor: model.nextCursor }).toString()}">Next page</a></p>`}
</section>
<section class="panel" aria-labelledby="policy-heading">
<h2 id="policy-heading">Registration policy</h2>
${policyFacts(model)}
${model.policyForm === null ? null : policyForm(model.policyForm, model.policy)}
</section>`;
}

function policyFacts(model: RegistrationsModel): SafeHtml {
  const open = model.policy.mode === 'approval';
  return html`<dl class="facts">
<dt>Requests</dt><dd>${open ? 'Open, with approval: requests wait here until approved' : 'Closed: only staff create clients'}</dd>
<dt>Initial access token</dt><dd>${model.policy.initialAccessTokenRequired ? 'Required by dynamic registration (RFC 7591 §3)' : 'Not required'}</dd>
${open ? html`<dt>Registration page</dt><dd>${copyable('registration-page', 'registration page address', model.registrationPageUrl)}</dd>
<dt>Dynamic registration</dt><dd>${copyable('registration-endpoint', 'dynamic registration endpoint', model.registrationEndpointUrl)}</dd>` : null}
</dl>`;
}

function policyForm(form: NonNullable<RegistrationsModel['policyForm']>, policy: RegistrationPolicy): SafeHtml {
  const v = form.values;
  const errors = form.problems?.fields ?? {};
  const radio = (name: string, value: string, checked: boolean, label: string): SafeHtml =>
    html`<label class="choice"><input type="radio" name="${name}" value="${value}"${checked ? html` checked` : null}> ${label}</label>`;
  return html`${problemSummary(form.problems, POLICY_FIELD_LABELS)}
<form method="post" action="${form.action}" novalidate>
${formState(form.csrfToken, form.version)}
<fieldset id="mode"${errors.mode ? html` aria-describedby="mode-error"` : null}>
<legend>Registration requests</legend>
${errors.mode ? html`<p class="field-error" id="mode-error">${errors.mode}</p>` : null}
${radio('mode', 'closed', v.mode === 'closed', 'Closed: only staff create clients')}
${radio('mode', 'approval', v.mode === 'approval', 'Open, with approval: anyone may ask, staff decide')}
</fieldset>
<fieldset id="initial_access_token"${errors.initial_access_token ? html` aria-describedby="initial_access_token-error"` : null}>
<legend>Initial access token for dynamic registration</legend>
${errors.initial_access_token ? html`<p class="field-error" id="initial_access_token-error">${errors.initial_access_token}</p>` : null}
${radio('initial_access_token', 'keep', v.initialAccessToken === 'keep', `Keep as it is (${policy.initialAccessTokenRequired ? 'required' : 'not required'})`)}
${radio('initial_access_token', 'none', v.initialAccessToken === 'none', 'Not required')}
${radio('initial_access_token', 'new', v.initialAccessToken === 'new', 'A new token, shown once after saving (the current one stops working)')}
</fieldset>
<div class="actions"><button type="submit">Save policy</button></div>
</form>`;
}

/** The new initial access token, shown once on the answer to the POST that made it. */
export function renderInitialAccessTokenPage(model: { readonly consoleUrl: string; readonly token: string }): SafeHtml {
  return html`<div class="alert" role="alert"><p><strong>Copy the token now.</strong> It is shown only on this page and cannot be displayed again; dynamic registration requests must send it as <code>Authorization: Bearer</code>.</p></div>
<section class="panel" aria-labelledby="token-heading">
<h2 id="token-heading">Initial access token</h2>
${copyable('initial-access-token', 'initial access token', model.token)}
</section>
<p><a href="${model.consoleUrl}/registrations">Done: go to the registrations</a></p>`;
}

export interface RegistrationModel {
  readonly consoleUrl: string;
  readonly client: Client;
  /** The decision forms, for a role that may decide (clients:write) and a pending request; null otherwise. */
  readonly decide: {
    readonly approveAction: string;
    readonly approveToken: string;
    readonly rejectAction: string;
    readonly rejectToken: string;
    /** The reason typed for a rejection refused (kept). */
    readonly reason: string;
  } | null;
  /** What was wrong with a decision sent: the reason's rule beside it, or a conflict (decided meanwhile) in the summary. */
  readonly problems: FormProblems | null;
}

/** A registration request: what the application asks for, who asked and why, and the decision. */
export function renderRegistration(model: RegistrationModel): SafeHtml {
  const { client } = model;
  const list = (values: readonly string[]): SafeHtml | string => (values.length === 0 ? 'none' : html`<ul>${values.map((value) => html`<li><code>${value}</code></li>`)}</ul>`);
  const decide = model.decide;
  return html`${problemSummary(model.problems, DECISION_FIELD_LABELS)}
<section class="panel" aria-labelledby="asks-heading">
<h2 id="asks-heading">What it asks for</h2>
<dl class="facts">
<dt>Client ID</dt><dd><code>${client.clientId}</code></dd>
<dt>Status</dt><dd><span class="badge">${client.status}</span></dd>
<dt>Kind</dt><dd>${client.clientType === 'public' ? 'public (a browser or device app, uses PKCE)' : 'confidential (a server, with a secret)'}</dd>
<dt>Redirect URIs</dt><dd>${list(client.redirectUris)}</dd>
<dt>Post-logout redirect URIs</dt><dd>${list(client.postLogoutRedirectUris)}</dd>
<dt>Grant types</dt><dd>${client.grantTypes.join(', ')}</dd>
<dt>Scopes</dt><dd><code>${client.scope}</code></dd>
</dl>
</section>
<section class="panel" aria-labelledby="who-heading">
<h2 id="who-heading">Who asked</h2>
<dl class="facts">
<dt>Name</dt><dd>${client.requesterName ?? 'not given'}</dd>
<dt>Email</dt><dd>${client.requesterEmail ?? 'not given'}</dd>
<dt>Why</dt><dd>${client.requestReason ?? 'not given'}</dd>
<dt>Through</dt><dd>${SOURCES[client.registrationSource]}</dd>
<dt>Asked on</dt><dd>${isoDay(client.createdAt)} UTC</dd>
</dl>
</section>
${
  decide === null
    ? client.status === 'pending'
      ? null
      : html`<p>This request was decided already. <a href="${model.consoleUrl}/clients/${encodeURIComponent(client.clientId)}">Go to the client</a>.</p>`
    : html`<section class="panel" aria-labelledby="decide-heading">
<h2 id="decide-heading">Decision</h2>
<form method="post" action="${decide.approveAction}">
${formState(decide.approveToken)}
<p class="hint" id="approve-hint">Approving lets the application sign people in at once${client.clientType === 'confidential' ? ', with the secret the requester was given' : ''}.</p>
<div class="actions"><button type="submit" aria-describedby="approve-hint">Approve</button></div>
</form>
<form method="post" action="${decide.rejectAction}" novalidate>
${formState(decide.rejectToken)}
${field({ name: 'reason', label: 'Reason for rejecting', type: 'textarea', value: decide.reason, error: model.problems?.fields.reason, autofocus: model.problems?.fields.reason !== undefined, hint: 'Required to reject: it goes to the audit log and the webhook event, so the requester can be told why (at most 500 characters).', attributes: 'maxlength="500"' })}
<div class="actions"><button type="submit" class="secondary">Reject</button></div>
</form>
</section>`
}`;
}
