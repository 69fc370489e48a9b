import { PASSWORD_MIN_LENGTH } from '../../accounts/passwords.ts';
import { html, type SafeHtml } from '../../http/html.ts';
import type { StaffAccess } from '../../staff/staff-admin.ts';
import type { Permission } from '../../staff/permissions.ts';
import type { StaffRole } from '../../staff/roles.ts';
import type { ApiKeyInfo, StaffUser } from '../../staff/staff-user.ts';
import { checkbox, copyable, field, formState, problemSummary, type FormProblems } from '../forms.ts';

/** The new staff user form's fields (the use case's names), with their labels. */
export const NEW_STAFF_FIELD_LABELS: Readonly<Record<string, string>> = {
  email: 'Email',
  name: 'Name',
  role: 'Role',
  password: 'Console password',
};
export const NEW_STAFF_FIELDS = Object.keys(NEW_STAFF_FIELD_LABELS);

/** A staff user's edit form's fields. */
export const STAFF_EDIT_FIELD_LABELS: Readonly<Record<string, string>> = { name: 'Name', role: 'Role' };
export const STAFF_EDIT_FIELDS = Object.keys(STAFF_EDIT_FIELD_LABELS);

/** The disable form has no field: its refusal (disabling yourself) is shown beside its button. */
export const DISABLE_FIELD_LABELS: Readonly<Record<string, string>> = { user_id: 'Disable this staff user' };

/** The password form's one field. */
export const PASSWORD_FIELD_LABELS: Readonly<Record<string, string>> = { password: 'Console password' };

/** The API key form's one field. */
export const API_KEY_FIELD_LABELS: Readonly<Record<string, string>> = { label: 'Label of the new key' };

/** What each role is for, in the words of staff/permissions.ts. */
const ROLE_SUMMARIES: Readonly<Record<StaffRole, string>> = {
  owner: 'Everything, including staff users and their API keys.',
  admin: 'Everything but staff users and API keys.',
  developer: 'Manages clients, connectors and webhooks; reads the rest but staff.',
  support: 'Helps constituents (accounts, passwords, grants); reads clients and the audit log.',
  read_only: 'Reads everything but staff and the audit log.',
};

/** What a permission lets staff do, for people who do not read `area:action`. */
const PERMISSION_SUMMARIES: Readonly<Record<Permission, string>> = {
  'org:read': 'See the organization and its settings',
  'org:write': 'Change settings, branding, scopes and signing keys',
  'constituents:read': 'See constituents',
  'constituents:write': 'Create, change and disable constituents',
  'clients:read': 'See OAuth clients',
  'clients:write': 'Create and change clients, rotate secrets',
  'staff:read': 'See staff users and their API keys',
  'staff:write': 'Manage staff users and API keys',
  'connectors:read': 'See connectors',
  'connectors:write': 'Install and manage connectors',
  'audit:read': 'Read the audit log',
  'webhooks:read': 'See webhooks',
  'webhooks:write': 'Manage webhooks',
};

export function roleLabel(role: string): string {
  return role.replace('_', ' ');
}

/** A time as `YYYY-MM-DD HH:MM UTC`, or the text for never. */
function when(ms: number | null, never: string): string {
  return ms === null ? never : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface RoleRow {
  readonly role: StaffRole;
  readonly permissions: readonly Permission[];
}

/** Rows = permissions, columns = roles, from the one table the API's keys get theirs from (ROLE_PERMISSIONS). */
export function renderPermissionTable(roles: readonly RoleRow[], permissions: readonly Permission[]): SafeHtml {
  return html`<div class="table-wrap"><table class="permission-table">
<caption>What each role may do</caption>
<thead><tr><th scope="col">Permission</th>${roles.map((r) => html`<th scope="col">${roleLabel(r.role)}</th>`)}</tr></thead>
<tbody>${permissions.map(
    (permission) =>
      html`<tr><th scope="row">${PERMISSION_SUMMARIES[permission]} <code class="muted">${permission}</code></th>${roles.map((r) =>
        r.permissions.includes(permission) ? html`<td class="allowed"><span aria-hidden="true">✓</span><span class="visually-hidden">allowed</span></td>` : html`<td class="allowed"><span aria-hidden="true">–</span><span class="visually-hidden">not allowed</span></td>`,
      )}</tr>`,
  )}</tbody>
</table></div>`;
}

export interface StaffListModel {
  readonly consoleUrl: string;
  readonly users: readonly StaffUser[];
  readonly access: ReadonlyMap<string, StaffAccess>;
  readonly nextCursor: string | null;
  readonly canWrite: boolean;
  readonly roles: readonly RoleRow[];
  readonly permissions: readonly Permission[];
}

/** Neon's "User Management": every staff user with role, status, last sign-in and API access. */
export function renderStaffList(model: StaffListModel): SafeHtml {
  const href = (user: StaffUser): string => `${model.consoleUrl}/staff/${encodeURIComponent(user.id)}`;
  const keys = (access: StaffAccess | undefined): string =>
    access === undefined || access.usableApiKeys === 0 ? 'none' : `${access.usableApiKeys} ${access.usableApiKeys === 1 ? 'key' : 'keys'}, last used ${when(access.lastApiKeyUseAt, 'never')}`;
  return html`<p>People who sign in to this console, and integration users whose API keys call the management API with their role's permissions.</p>
${apiAccessHint(model.consoleUrl)}
${model.canWrite ? html`<p><a class="button" href="${model.consoleUrl}/staff/new">New staff user</a></p>` : null}
<div class="table-wrap panel"><table>
<caption>Staff users</caption>
<thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Last sign-in</th><th scope="col">API access</th></tr></thead>
<tbody>${model.users.map((user) => {
    const access = model.access.get(user.id);
    return html`<tr><td><a href="${href(user)}">${user.email}</a>${user.name === null ? null : html`<br><span class="muted">${user.name}</span>`}</td><td>${roleLabel(user.role)}</td><td><span class="badge">${user.status}</span></td><td>${when(access?.lastSignInAt ?? null, 'never')}</td><td>${keys(access)}</td></tr>`;
  })}</tbody>
</table></div>
${model.nextCursor === null ? null : html`<p><a href="${model.consoleUrl}/staff?${new URLSearchParams({ cursor: model.nextCursor }).toString()}">Next page</a></p>`}
<section class="panel" aria-labelledby="roles-heading">
<h2 id="roles-heading">Roles</h2>
<p>A staff user has one role; its API keys have exactly the same permissions.</p>
${renderPermissionTable(model.roles, model.permissions)}
</section>`;
}

/** Where Neon's user looks for the Org ID an API call needs: the organization profile, on the overview. */
function apiAccessHint(consoleUrl: string): SafeHtml {
  return html`<p class="muted">API calls authenticate with HTTP Basic: the <a href="${consoleUrl}/#org-heading">Organization ID</a> (on the overview's organization profile) as user name, the API key as password.</p>`;
}

function roleChoices(roles: readonly RoleRow[], chosen: string, error: string | undefined): SafeHtml {
  return html`<fieldset id="role"${error ? html` aria-describedby="role-error"` : null}>
<legend>Role</legend>
${error ? html`<p class="field-error" id="role-error">${error}</p>` : null}
${roles.map((r) => html`<label class="choice"><input type="radio" name="role" value="${r.role}"${r.role === chosen ? html` checked` : null}> <span><strong>${roleLabel(r.role)}</strong>: ${ROLE_SUMMARIES[r.role]}</span></label>`)}
</fieldset>`;
}

export interface NewStaffValues {
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly withApiKey: boolean;
}

export interface NewStaffFormModel {
  readonly consoleUrl: string;
  readonly csrfToken: string;
  /** As typed; never the password, which is not put back. */
  readonly values: NewStaffValues;
  readonly problems: FormProblems | null;
  readonly roles: readonly RoleRow[];
  readonly permissions: readonly Permission[];
}

/** A new staff user: email, name, role (the permission table beside), a password or none, API access. */
export function renderNewStaffForm(model: NewStaffFormModel): SafeHtml {
  const v = model.values;
  const errors = model.problems?.fields ?? {};
  const first = Object.keys(errors)[0];
  return html`${problemSummary(model.problems, NEW_STAFF_FIELD_LABELS)}
<form method="post" action="${model.consoleUrl}/staff" novalidate>
${formState(model.csrfToken)}
${field({ name: 'email', label: 'Email', value: v.email, required: true, error: errors.email, autofocus: first === 'email', attributes: 'maxlength="254" autocomplete="off" inputmode="email" autocapitalize="none" spellcheck="false"' })}
${field({ name: 'name', label: 'Name', value: v.name, error: errors.name, autofocus: first === 'name', hint: 'Optional: how colleagues and the audit log know this user.', attributes: 'maxlength="200" autocomplete="off"' })}
${roleChoices(model.roles, v.role, errors.role)}
${passwordField(errors.password, first === 'password')}
<fieldset>
<legend>API access</legend>
${checkbox({ name: 'api_key', label: 'Enable API access: make an API key now (shown once)', checked: v.withApiKey, hint: 'An integration user needs no password: it calls the API with its key alone.' })}
</fieldset>
<div class="actions"><button type="submit">Create staff user</button></div>
</form>
<section class="panel staff-roles" aria-labelledby="roles-heading">
<h2 id="roles-heading">Roles</h2>
${renderPermissionTable(model.roles, model.permissions)}
</section>`;
}

const NEW_USER_PASSWORD = { label: 'Console password', hint: `Optional: leave empty for an integration user that only uses API keys. At least ${PASSWORD_MIN_LENGTH} characters.` };

/** The password field: never filled in again (a refused form asks for it anew). */
function passwordField(error: string | undefined, autofocus: boolean, text: { readonly label: string; readonly hint: string } = NEW_USER_PASSWORD): SafeHtml {
  const describedBy = ['password-hint', ...(error ? ['password-error'] : [])].join(' ');
  return html`<label for="password">${text.label}</label>
<p class="hint" id="password-hint">${text.hint}</p>
${error ? html`<p class="field-error" id="password-error">${error}</p>` : null}
<input type="password" id="password" name="password" value="" autocomplete="new-password" maxlength="1024" aria-describedby="${describedBy}"${error ? html` aria-invalid="true"` : null}${autofocus ? html` autofocus` : null}>`;
}

export interface StaffEditModel {
  readonly csrfToken: string;
  readonly version: number;
  readonly values: { readonly name: string; readonly role: string };
  readonly problems: FormProblems | null;
  /** True on the signed-in user's own page: changing one's own role takes effect at once. */
  readonly self: boolean;
}

export interface StaffUserViewModel {
  readonly consoleUrl: string;
  readonly user: StaffUser;
  readonly access: StaffAccess | undefined;
  readonly keys: readonly ApiKeyInfo[];
  readonly roles: readonly RoleRow[];
  /** Null for a role that may not change staff: it sees the user and its keys, and no control. */
  readonly edit: StaffEditModel | null;
  /** The forms' tokens and problems, for a role that may change staff. */
  readonly actions: {
    readonly statusToken: string;
    readonly statusProblems: FormProblems | null;
    readonly passwordToken: string;
    readonly passwordProblems: FormProblems | null;
    readonly createKeyToken: string;
    readonly keyProblems: FormProblems | null;
    readonly keyLabel: string;
    readonly keyTokens: ReadonlyMap<string, { readonly rotate: string; readonly revoke: string }>;
  } | null;
  readonly self: boolean;
}

/** One staff user: who it is, its role (a form for owners), disable/enable, and its API keys. */
export function renderStaffUserView(model: StaffUserViewModel): SafeHtml {
  const { user } = model;
  const userUrl = `${model.consoleUrl}/staff/${encodeURIComponent(user.id)}`;
  return html`<section class="panel" aria-labelledby="user-heading">
<h2 id="user-heading">User</h2>
<dl class="facts">
<dt>Email</dt><dd>${user.email}</dd>
<dt>Status</dt><dd><span class="badge">${user.status}</span></dd>
<dt>Console sign-in</dt><dd>${user.hasPassword ? `with a password; last signed in ${when(model.access?.lastSignInAt ?? null, 'never')}` : 'none: no password (an integration user, or not set yet)'}</dd>
<dt>Created</dt><dd>${when(user.createdAt, '')}</dd>
</dl>
${model.actions === null ? null : statusForm(userUrl, user, model.actions.statusToken, model.actions.statusProblems, model.self)}
</section>
${model.actions === null ? null : passwordForm(userUrl, user, model.actions.passwordToken, model.actions.passwordProblems)}
<section class="panel" aria-labelledby="role-heading">
<h2 id="role-heading">Name and role</h2>
${model.edit === null ? html`<dl class="facts"><dt>Name</dt><dd>${user.name ?? 'none'}</dd><dt>Role</dt><dd>${roleLabel(user.role)}</dd></dl>` : editForm(userUrl, model.edit, model.roles)}
</section>
${keysSection(model, userUrl)}`;
}

function editForm(userUrl: string, edit: StaffEditModel, roles: readonly RoleRow[]): SafeHtml {
  const errors = edit.problems?.fields ?? {};
  const first = Object.keys(errors)[0];
  return html`${problemSummary(edit.problems, STAFF_EDIT_FIELD_LABELS)}
<form method="post" action="${userUrl}" novalidate>
${formState(edit.csrfToken, edit.version)}
${field({ name: 'name', label: 'Name', value: edit.values.name, error: errors.name, autofocus: first === 'name', hint: 'Optional.', attributes: 'maxlength="200" autocomplete="off"' })}
${roleChoices(roles, edit.values.role, errors.role)}
${edit.self ? html`<p class="hint">This is you: a new role applies from your next page. An organization always keeps one active owner.</p>` : null}
<div class="actions"><button type="submit">Save changes</button></div>
</form>`;
}

/** The password a person signs in to the console with: set or replaced (its browser sessions end; its API keys keep working). */
function passwordForm(userUrl: string, user: StaffUser, token: string, problems: FormProblems | null): SafeHtml {
  const error = problems?.fields.password;
  return html`<section class="panel" aria-labelledby="password-heading">
<h2 id="password-heading">Console password</h2>
${problemSummary(problems, PASSWORD_FIELD_LABELS)}
<form method="post" action="${userUrl}/password" novalidate>
${formState(token)}
${passwordField(error, error !== undefined, { label: user.hasPassword ? 'New console password' : 'Console password', hint: `At least ${PASSWORD_MIN_LENGTH} characters. The user's console sessions end; its API keys keep working.` })}
<div class="actions"><button type="submit" class="secondary">${user.hasPassword ? 'Replace password' : 'Set password'}</button></div>
</form>
</section>`;
}

function statusForm(userUrl: string, user: StaffUser, token: string, problems: FormProblems | null, self: boolean): SafeHtml {
  if (user.status === 'disabled') {
    return html`${problemSummary(problems, DISABLE_FIELD_LABELS)}<form class="status-form" method="post" action="${userUrl}/enable">
${formState(token)}
<p class="hint" id="enable-hint">Enabling lets the user sign in again. Its old API keys stay revoked: give it a new one below.</p>
<div class="actions"><button type="submit" class="secondary" aria-describedby="enable-hint">Enable</button></div>
</form>`;
  }
  if (self && problems === null) return html`<p class="hint status-form">You cannot disable yourself: another owner can.</p>`;
  const error = problems?.fields.user_id;
  return html`${problemSummary(problems, DISABLE_FIELD_LABELS)}<form class="status-form" method="post" action="${userUrl}/disable">
${formState(token)}
<p class="hint" id="disable-hint">Disabling signs the user out and revokes all its API keys at once.</p>
${error ? html`<p class="field-error" id="user_id-error">${error}</p>` : null}
<div class="actions"><button type="submit" class="secondary" id="user_id" aria-describedby="disable-hint${error ? ' user_id-error' : ''}">Disable</button></div>
</form>`;
}

function keysSection(model: StaffUserViewModel, userUrl: string): SafeHtml {
  const { actions, user } = model;
  const keyName = (key: ApiKeyInfo): string => `gkey_${key.prefix}_…`;
  return html`<section class="panel" aria-labelledby="keys-heading">
<h2 id="keys-heading">API access</h2>
${apiAccessHint(model.consoleUrl)}
${
  model.keys.length === 0
    ? html`<p>No API keys.</p>`
    : html`<div class="table-wrap"><table>
<caption>API keys</caption>
<thead><tr><th scope="col">Key</th><th scope="col">Label</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th>${actions === null ? null : html`<th scope="col">Actions</th>`}</tr></thead>
<tbody>${model.keys.map((key) => {
        const tokens = actions?.keyTokens.get(key.id);
        const keysUrl = `${model.consoleUrl}/api-keys/${encodeURIComponent(key.id)}`;
        return html`<tr><td><code class="key-name">${keyName(key)}</code></td><td>${key.label ?? ''}</td><td>${when(key.createdAt, '')}</td><td>${when(key.lastUsedAt, 'never')}</td><td>${key.revokedAt === null ? html`<span class="badge">active</span>` : html`<span class="badge">revoked</span> ${when(key.revokedAt, '')}`}</td>${
          actions === null
            ? null
            : html`<td>${
                tokens === undefined || key.revokedAt !== null
                  ? null
                  : html`<div class="row-actions"><form method="post" action="${keysUrl}/rotate">${formState(tokens.rotate)}<button type="submit" class="secondary">Rotate<span class="visually-hidden"> ${keyName(key)}</span></button></form><form method="post" action="${keysUrl}/revoke">${formState(tokens.revoke)}<button type="submit" class="secondary">Revoke<span class="visually-hidden"> ${keyName(key)}</span></button></form></div>`
              }</td>`
        }</tr>`;
      })}</tbody>
</table></div>
<p class="hint">Rotating shows a new key once and stops the old one at once; revoking stops it for good.</p>`
}
${actions === null ? null : user.status === 'active' ? newKeyForm(userUrl, actions.createKeyToken, actions.keyLabel, actions.keyProblems, { another: model.keys.some((key) => key.revokedAt === null) }) : html`<p>Enable the user to give it an API key.</p>`}
</section>`;
}

function newKeyForm(userUrl: string, token: string, label: string, problems: FormProblems | null, options: { readonly another: boolean }): SafeHtml {
  const errors = problems?.fields ?? {};
  return html`${problemSummary(problems, API_KEY_FIELD_LABELS)}
<form method="post" action="${userUrl}/api-keys" novalidate>
${formState(token)}
${field({ name: 'label', label: 'Label of the new key', value: label, error: errors.label, hint: 'Optional: what the key is for, such as the integration using it.', attributes: 'maxlength="100" autocomplete="off"' })}
<div class="actions"><button type="submit">${options.another ? 'Add another API key' : 'Enable API access'}</button></div>
</form>`;
}

export interface ApiKeyPageModel {
  readonly consoleUrl: string;
  readonly user: Pick<StaffUser, 'id' | 'email'>;
  readonly orgId: string;
  /** `PUBLIC_URL/api/v2`. */
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly rotated: boolean;
}

/**
 * An API key, shown once: the answer to the POST that made it (never stored in clear, never in a
 * URL), with the Organization ID it is used with, both to copy. Reloading would send the form
 * again, so the page says where to go.
 */
export function renderApiKeyPage(model: ApiKeyPageModel): SafeHtml {
  return html`<div class="alert" role="alert"><p><strong>Copy the API key now.</strong> It is shown only on this page and cannot be displayed again${model.rotated ? '; the key it replaces has stopped working' : ''}.</p></div>
<section class="panel" aria-labelledby="key-heading">
<h2 id="key-heading">API access for ${model.user.email}</h2>
<dl class="facts">
<dt>API key</dt><dd>${copyable('api-key', 'API key', model.apiKey)}</dd>
<dt>Organization ID</dt><dd>${copyable('org-id', 'Organization ID', model.orgId)}</dd>
<dt>API base URL</dt><dd>${copyable('api-url', 'API base URL', model.apiUrl)}</dd>
</dl>
<p class="muted">Call the API with HTTP Basic: the Organization ID as user name, the key as password. The key has the permissions of this user's role. The Organization ID is also on the <a href="${model.consoleUrl}/#org-heading">overview</a>.</p>
</section>
<p><a href="${model.consoleUrl}/staff/${encodeURIComponent(model.user.id)}">Done: go to the staff user</a></p>`;
}
