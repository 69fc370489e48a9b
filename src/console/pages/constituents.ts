import type { ConstituentRecord } from '../../accounts/constituent.ts';
import type { ConstituentGrant, ConstituentSession } from '../../accounts/constituent-access-admin.ts';
import { PASSWORD_MIN_LENGTH } from '../../accounts/passwords.ts';
import { html, type SafeHtml } from '../../http/html.ts';
import { copyable, field, formState, problemSummary, type FormProblems } from '../forms.ts';

/** The profile form's fields (the use case's names), with their labels. */
export const PROFILE_FIELD_LABELS: Readonly<Record<string, string>> = { username: 'Username', email: 'Email', name: 'Name' };
export const PROFILE_FIELDS = Object.keys(PROFILE_FIELD_LABELS);
/** The new-constituent form's fields: the profile's and a first password. */
export const NEW_CONSTITUENT_FIELD_LABELS: Readonly<Record<string, string>> = { ...PROFILE_FIELD_LABELS, password: 'Password' };
export const NEW_CONSTITUENT_FIELDS = Object.keys(NEW_CONSTITUENT_FIELD_LABELS);
export const PASSWORD_FIELDS = ['password'];

/** The profile as typed (after a refusal) or as stored. Never a password. */
export interface ProfileValues {
  readonly username: string;
  readonly email: string;
  readonly name: string;
}

export function profileValuesOf(constituent: ConstituentRecord): ProfileValues {
  return { username: constituent.loginName, email: constituent.email ?? '', name: constituent.displayName ?? '' };
}

export interface ConstituentListModel {
  readonly consoleUrl: string;
  readonly q: string;
  readonly status: '' | 'active' | 'disabled';
  readonly constituents: readonly ConstituentRecord[];
  readonly nextCursor: string | null;
  readonly canWrite: boolean;
}

const href = (consoleUrl: string, accountId: string): string => `${consoleUrl}/constituents/${encodeURIComponent(accountId)}`;

/** The search (a GET form: the URL is the search, to bookmark or share) and one page of what it found. */
export function renderConstituentList(model: ConstituentListModel): SafeHtml {
  const next = new URLSearchParams({ ...(model.q === '' ? {} : { q: model.q }), ...(model.status === '' ? {} : { status: model.status }), ...(model.nextCursor === null ? {} : { cursor: model.nextCursor }) });
  const option = (value: string, label: string): SafeHtml => html`<option value="${value}"${model.status === value ? html` selected` : null}>${label}</option>`;
  return html`<p>The people who sign in to the organization's applications.</p>
${model.canWrite ? html`<p><a class="button" href="${model.consoleUrl}/constituents/new">New constituent</a></p>` : null}
<form method="get" action="${model.consoleUrl}/constituents" class="panel" role="search" aria-label="Constituents">
${field({ name: 'q', label: 'Username or email starts with', value: model.q, attributes: 'maxlength="254" autocomplete="off"' })}
<label for="status">Status</label>
<select id="status" name="status">${option('', 'Any')}${option('active', 'Active')}${option('disabled', 'Disabled')}</select>
<div class="actions"><button type="submit">Search</button></div>
</form>
${
  model.constituents.length === 0
    ? html`<p class="panel">No constituent matches.</p>`
    : html`<div class="table-wrap panel"><table>
<caption>Constituents, oldest first</caption>
<thead><tr><th scope="col">Username</th><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Account ID</th></tr></thead>
<tbody>${model.constituents.map(
        (c) => html`<tr><td><a href="${href(model.consoleUrl, c.accountId)}">${c.loginName}</a></td><td>${c.email ?? ''}</td><td>${c.displayName ?? ''}</td><td><span class="badge">${c.status}</span></td><td><code>${c.accountId}</code></td></tr>`,
      )}</tbody>
</table></div>`
}
${model.nextCursor === null ? null : html`<p><a href="${model.consoleUrl}/constituents?${next.toString()}">Next page</a></p>`}`;
}

/** A password input: never given a value (a refused form asks for it again). */
function passwordField(options: { readonly label: string; readonly error: string | undefined; readonly required: boolean; readonly autofocus: boolean }): SafeHtml {
  const describedBy = options.error ? 'password-hint password-error' : 'password-hint';
  return html`<label for="password">${options.label}</label>
<p class="hint" id="password-hint">At least ${PASSWORD_MIN_LENGTH} characters; a long passphrase is best.${options.required ? null : ' Leave empty to set one later: until then the constituent cannot sign in with a password.'}</p>
${options.error ? html`<p class="field-error" id="password-error">${options.error}</p>` : null}
<input type="password" id="password" name="password" autocomplete="new-password" aria-describedby="${describedBy}"${options.error ? html` aria-invalid="true"` : null}${options.required ? html` required` : null}${options.autofocus ? html` autofocus` : null}>`;
}

function profileFields(values: ProfileValues, errors: Readonly<Record<string, string>>, first: string | undefined): SafeHtml {
  return html`${field({ name: 'username', label: 'Username', value: values.username, required: true, error: errors.username, autofocus: first === 'username', hint: 'What the constituent signs in with; unique in the organization.', attributes: 'maxlength="512" autocomplete="off" autocapitalize="none" spellcheck="false"' })}
${field({ name: 'email', label: 'Email', value: values.email, error: errors.email, autofocus: first === 'email', hint: 'Optional. A changed email is unverified until the constituent confirms it.', attributes: 'maxlength="254" autocomplete="off" inputmode="email" spellcheck="false"' })}
${field({ name: 'name', label: 'Name', value: values.name, error: errors.name, autofocus: first === 'name', hint: 'Optional. Shown to applications as the name claim.', attributes: 'maxlength="800" autocomplete="off"' })}`;
}

export interface NewConstituentModel {
  readonly action: string;
  readonly csrfToken: string;
  readonly values: ProfileValues;
  readonly problems: FormProblems | null;
}

/** A new constituent: the profile and a first password (never shown again, not even after a refusal). */
export function renderNewConstituentForm(model: NewConstituentModel): SafeHtml {
  const errors = model.problems?.fields ?? {};
  const first = Object.keys(errors)[0];
  return html`${problemSummary(model.problems, NEW_CONSTITUENT_FIELD_LABELS)}
<form method="post" action="${model.action}" class="panel" novalidate>
${formState(model.csrfToken)}
${profileFields(model.values, errors, first)}
${passwordField({ label: 'Password', error: errors.password, required: false, autofocus: first === 'password' })}
<div class="actions"><button type="submit">Create constituent</button></div>
</form>`;
}

/** The forms of a constituent's page a role that may change constituents gets (null for the others: no control at all). */
export interface ConstituentControls {
  readonly profile: { readonly csrfToken: string; readonly version: number; readonly values: ProfileValues; readonly problems: FormProblems | null };
  readonly statusToken: string;
  readonly password: { readonly csrfToken: string; readonly problems: FormProblems | null };
  readonly grantToken: string;
  readonly sessionToken: string;
}

export interface ConstituentViewModel {
  readonly consoleUrl: string;
  readonly constituent: ConstituentRecord;
  readonly grants: readonly ConstituentGrant[];
  readonly sessions: readonly ConstituentSession[];
  readonly controls: ConstituentControls | null;
}

/** One constituent: who it is, its profile (a form for those who may), its status, password, grants and sessions. */
export function renderConstituentView(model: ConstituentViewModel): SafeHtml {
  const { constituent: c, controls } = model;
  const base = href(model.consoleUrl, c.accountId);
  return html`<section class="panel" aria-labelledby="account-heading">
<h2 id="account-heading">Account</h2>
<dl class="facts">
<dt>Account ID</dt><dd>${copyable('account-id', 'account ID', c.accountId)}</dd>
<dt>Status</dt><dd><span class="badge">${c.status}</span></dd>
<dt>Email verified</dt><dd>${c.email === null ? 'no email' : c.emailVerified ? 'yes' : 'no'}</dd>
<dt>Created</dt><dd>${isoMinute(c.createdAt)} UTC</dd>
<dt>Last changed</dt><dd>${isoMinute(c.updatedAt)} UTC</dd>
</dl>
${controls === null ? null : statusForm(base, c, controls.statusToken)}
</section>
<section class="panel" aria-labelledby="profile-heading">
<h2 id="profile-heading">Profile</h2>
${controls === null ? profileList(c) : profileForm(base, controls.profile)}
</section>
${attributesSection(c)}
${controls === null ? null : passwordSection(base, controls.password)}
${grantsSection(base, model.grants, controls?.grantToken ?? null)}
${sessionsSection(base, model.sessions, controls?.sessionToken ?? null)}`;
}

function statusForm(base: string, c: ConstituentRecord, token: string): SafeHtml {
  return c.status === 'active'
    ? html`<form method="post" action="${base}/disable">
${formState(token)}
<p class="hint" id="disable-hint">Disabling signs the constituent out everywhere and revokes every token its applications hold, at once. Enabling it again lets it sign in; what was revoked stays revoked.</p>
<div class="actions"><button type="submit" class="secondary" aria-describedby="disable-hint">Disable</button></div>
</form>`
    : html`<form method="post" action="${base}/enable">
${formState(token)}
<p class="hint" id="enable-hint">A disabled constituent cannot sign in. Enabling lets it sign in again.</p>
<div class="actions"><button type="submit" aria-describedby="enable-hint">Enable</button></div>
</form>`;
}

function profileList(c: ConstituentRecord): SafeHtml {
  return html`<dl class="facts">
<dt>Username</dt><dd>${c.loginName}</dd>
<dt>Email</dt><dd>${c.email ?? 'none'}</dd>
<dt>Name</dt><dd>${c.displayName ?? 'none'}</dd>
</dl>`;
}

function profileForm(base: string, model: ConstituentControls['profile']): SafeHtml {
  const errors = model.problems?.fields ?? {};
  return html`${problemSummary(model.problems, PROFILE_FIELD_LABELS)}
<form method="post" action="${base}" novalidate>
${formState(model.csrfToken, model.version)}
${profileFields(model.values, errors, Object.keys(errors)[0])}
<div class="actions"><button type="submit">Save profile</button></div>
</form>`;
}

function attributesSection(c: ConstituentRecord): SafeHtml {
  const entries = Object.entries(c.attributes);
  return html`<section class="panel" aria-labelledby="attributes-heading">
<h2 id="attributes-heading">Attributes</h2>
${
  entries.length === 0
    ? html`<p>None. Attributes are set through the API, and released to applications by custom scopes.</p>`
    : html`<div class="table-wrap"><table>
<caption class="visually-hidden">Attributes</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Value</th></tr></thead>
<tbody>${entries.map(([name, value]) => html`<tr><td><code>${name}</code></td><td><code>${JSON.stringify(value)}</code></td></tr>`)}</tbody>
</table></div>`
}
</section>`;
}

function passwordSection(base: string, model: ConstituentControls['password']): SafeHtml {
  const error = model.problems?.fields.password;
  return html`<section class="panel" aria-labelledby="password-heading">
<h2 id="password-heading">Password</h2>
${model.problems !== null && error === undefined ? problemSummary(model.problems, NEW_CONSTITUENT_FIELD_LABELS) : null}
<form method="post" action="${base}/password" novalidate>
${formState(model.csrfToken)}
${passwordField({ label: 'New password', error, required: true, autofocus: error !== undefined })}
<p class="hint">Tell the constituent the new password by a safe channel. Setting it signs the constituent out everywhere.</p>
<div class="actions"><button type="submit">Set password</button></div>
</form>
</section>`;
}

function grantsSection(base: string, grants: readonly ConstituentGrant[], token: string | null): SafeHtml {
  return html`<section class="panel" aria-labelledby="grants-heading">
<h2 id="grants-heading">Applications</h2>
${
  grants.length === 0
    ? html`<p>No application holds a consent or a live authorization of this constituent.</p>`
    : html`<div class="table-wrap"><table>
<caption class="visually-hidden">Applications with access</caption>
<thead><tr><th scope="col">Application</th><th scope="col">Scopes consented</th><th scope="col" class="num">Live authorizations</th>${token === null ? null : html`<th scope="col"><span class="visually-hidden">Action</span></th>`}</tr></thead>
<tbody>${grants.map(
        (g) => html`<tr><td>${g.clientName ?? 'A deleted client'}<br><code>${g.clientId}</code></td><td>${g.consent === null ? 'no consent recorded' : html`<code>${g.consent.scope}</code>`}</td><td class="num">${g.tokenFamilies.length}</td>${
          token === null
            ? null
            : html`<td><form method="post" action="${base}/grants/${encodeURIComponent(g.clientId)}/revoke">${formState(token)}<button type="submit" class="secondary">Revoke<span class="visually-hidden"> ${g.clientName ?? g.clientId}'s access</span></button></form></td>`
        }</tr>`,
      )}</tbody>
</table></div>
${token === null ? null : html`<p class="hint">Revoking forgets the consent (the application asks again) and revokes every token it holds for the constituent.</p>`}`
}
</section>`;
}

function sessionsSection(base: string, sessions: readonly ConstituentSession[], token: string | null): SafeHtml {
  return html`<section class="panel" aria-labelledby="sessions-heading">
<h2 id="sessions-heading">Sign-in sessions</h2>
${
  sessions.length === 0
    ? html`<p>The constituent is signed in nowhere.</p>`
    : html`<div class="table-wrap"><table>
<caption class="visually-hidden">Live sign-in sessions, newest first</caption>
<thead><tr><th scope="col">Session</th><th scope="col">Signed in</th><th scope="col">Expires</th>${token === null ? null : html`<th scope="col"><span class="visually-hidden">Action</span></th>`}</tr></thead>
<tbody>${sessions.map(
        (s) => html`<tr><td><code>${s.id}</code></td><td>${isoMinute(s.authTime)} UTC</td><td>${isoMinute(s.expiresAt)} UTC</td>${
          token === null
            ? null
            : html`<td><form method="post" action="${base}/sessions/${encodeURIComponent(s.id)}/end">${formState(token)}<button type="submit" class="secondary">End<span class="visually-hidden"> session ${s.id}</span></button></form></td>`
        }</tr>`,
      )}</tbody>
</table></div>
${
  token === null
    ? null
    : html`<form method="post" action="${base}/sessions/end-all">${formState(token)}<p class="hint" id="end-all-hint">Ending a session signs the constituent out on that browser; tokens already issued to applications are kept (revoke an application for those).</p><div class="actions"><button type="submit" class="secondary" aria-describedby="end-all-hint">End all sessions</button></div></form>`
}`
}
</section>`;
}

export function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
