import type { FastifyInstance, FastifyReply } from 'fastify';
import { readForm, readQuery } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { ForbiddenError } from '../lib/errors.ts';
import type { RawParams } from '../lib/url-encoded.ts';
import { param } from '../oauth/params.ts';
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey } from '../staff/api-key-admin.ts';
import { PERMISSIONS, roleAllows } from '../staff/permissions.ts';
import { DEFAULT_STAFF_ROLE, STAFF_ROLES, type StaffRole } from '../staff/roles.ts';
import { addStaffUser, disableStaffUser, enableStaffUser, getStaffUser, listStaffRoles, listStaffUsers, setStaffPassword, staffAccessOf, updateStaffUser } from '../staff/staff-admin.ts';
import type { StaffUser } from '../staff/staff-user.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import { flashKeyOf, type FlashKey } from './flash.ts';
import { attemptForm, MISSING_VERSION, type FormProblems } from './forms.ts';
import { NEW_STAFF_FIELDS, renderApiKeyPage, renderNewStaffForm, renderStaffList, renderStaffUserView, STAFF_EDIT_FIELDS, type NewStaffValues } from './pages/staff.ts';

/** Staff users per page of the list: the list is three statements whatever the org holds. */
export const STAFF_PER_PAGE = 50;

/**
 * Staff and API access (NeonCRM's "Settings cog > User Management"): the staff users, a new one
 * (its API key shown once), one user's role, disable/enable, and its API keys (enable API access,
 * rotate, revoke). Every action calls the use case of staff/staff-admin.ts or api-key-admin.ts,
 * which checks the role and audits; what they refuse (disabling yourself, demoting the last owner)
 * comes back as a form error.
 */
export function registerStaffPages(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get(
    '/console/staff',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const cursor = param(readQuery(call.request), 'cursor');
      const page = await listStaffUsers(call.op, { limit: STAFF_PER_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      const access = await staffAccessOf(call.op, page.users.map((user) => user.id));
      const body = renderStaffList({
        consoleUrl: call.frame.consoleUrl,
        users: page.users,
        access,
        nextCursor: page.nextCursor,
        canWrite: call.frame.permissions.has('staff:write'),
        roles: listStaffRoles(call.op),
        permissions: PERMISSIONS,
      });
      return call.render({ title: 'Staff and API access', section: 'staff', body, flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.get(
    '/console/staff/new',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      // Only hides the form from a role that could not use it: addStaffUser refuses such a role anyway.
      if (!call.frame.permissions.has('staff:write')) throw new ForbiddenError('staff:write');
      return newStaffPage(call, { email: '', name: '', role: DEFAULT_STAFF_ROLE, withApiKey: false }, null);
    }),
  );

  scope.post(
    '/console/staff',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      if (!call.csrfMatches(form, 'staff-create')) return expiredForm(call, 'staff/new');
      const values: NewStaffValues = { email: text(form, 'email'), name: text(form, 'name'), role: text(form, 'role'), withApiKey: param(form, 'api_key') !== undefined };
      const password = text(form, 'password');
      const outcome = await attemptForm(NEW_STAFF_FIELDS, () =>
        addStaffUser(call.op, {
          email: values.email,
          role: values.role,
          withApiKey: values.withApiKey,
          ...(values.name.trim() === '' ? {} : { name: values.name }),
          ...(password === '' ? {} : { password }),
        }),
      );
      if (!outcome.ok) return newStaffPage(call, values, outcome.problems);
      call.changed();
      const { user, apiKey } = outcome.value;
      if (apiKey === null) return call.redirect(`staff/${encodeURIComponent(user.id)}?flash=staff_created`);
      return apiKeyPage(call, deps, user, apiKey, { rotated: false });
    }),
  );

  scope.get(
    '/console/staff/:userId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const user = await getStaffUser(call.op, call.params.userId ?? '');
      return userPage(call, user, { flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.post(
    '/console/staff/:userId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      // Read first: an unknown user is a 404 page, whatever the form holds.
      const current = await getStaffUser(call.op, call.params.userId ?? '');
      if (!call.csrfMatches(form, `staff-update:${current.id}`)) return expiredForm(call, userPath(current));
      const values = { name: text(form, 'name'), role: text(form, 'role') };
      const version = param(form, 'version');
      if (version === undefined || !/^\d{1,16}$/.test(version)) return userPage(call, current, { editProblems: MISSING_VERSION });
      const outcome = await attemptForm(STAFF_EDIT_FIELDS, () =>
        updateStaffUser(call.op, current.id, { name: values.name.trim() === '' ? null : values.name, role: values.role }, { expectedVersion: Number(version) }),
      );
      if (outcome.ok) {
        call.changed();
        // Someone who just gave up seeing staff would land on a 403 page: the overview, which every role sees.
        const lostSight = outcome.value.id === call.op.actor.staffUserId && !roleAllowsRaw(outcome.value.role, 'staff:read');
        return call.redirect(lostSight ? '?flash=staff_updated' : `${userPath(outcome.value)}?flash=staff_updated`);
      }
      if (outcome.problems.stale) {
        // The form again with the values now stored and their version: what the person would overwrite.
        return userPage(call, await getStaffUser(call.op, current.id), { editProblems: outcome.problems });
      }
      return userPage(call, current, { editProblems: outcome.problems, editValues: values, version: Number(version) });
    }),
  );

  for (const [action, flash] of [['disable', 'staff_disabled'], ['enable', 'staff_enabled']] as const) {
    scope.post(
      `/console/staff/:userId/${action}`,
      CONSOLE_PAGE,
      consoleHandler(deps, async (call) => {
        const form = await readForm(call.request);
        const current = await getStaffUser(call.op, call.params.userId ?? '');
        if (!call.csrfMatches(form, `staff-status:${current.id}`)) return expiredForm(call, userPath(current));
        const outcome = await attemptForm(['user_id'], () => (action === 'disable' ? disableStaffUser(call.op, current.id) : enableStaffUser(call.op, current.id)));
        if (!outcome.ok) return userPage(call, current, { statusProblems: outcome.problems });
        call.changed();
        return call.redirect(`${userPath(current)}?flash=${flash}`);
      }),
    );
  }

  scope.post(
    '/console/staff/:userId/password',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const current = await getStaffUser(call.op, call.params.userId ?? '');
      if (!call.csrfMatches(form, `staff-password:${current.id}`)) return expiredForm(call, userPath(current));
      // Never put back in the form: a refused password is typed again.
      const outcome = await attemptForm(['password'], () => setStaffPassword(call.op, current.id, text(form, 'password')));
      if (!outcome.ok) return userPage(call, current, { passwordProblems: outcome.problems });
      call.changed();
      return call.redirect(`${userPath(current)}?flash=staff_password_set`);
    }),
  );

  scope.post(
    '/console/staff/:userId/api-keys',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const current = await getStaffUser(call.op, call.params.userId ?? '');
      if (!call.csrfMatches(form, `api-key-create:${current.id}`)) return expiredForm(call, userPath(current));
      const label = text(form, 'label');
      const outcome = await attemptForm(['label'], () => createApiKey(call.op, current.id, label.trim() === '' ? {} : { label }));
      if (!outcome.ok) return userPage(call, current, { keyProblems: outcome.problems, keyLabel: label });
      call.changed();
      return apiKeyPage(call, deps, current, outcome.value.apiKey, { rotated: false });
    }),
  );

  scope.post(
    '/console/api-keys/:keyId/rotate',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const keyId = call.params.keyId ?? '';
      if (!call.csrfMatches(form, `api-key-rotate:${keyId}`)) return expiredForm(call, 'staff');
      // A revoked or unknown key is a 404 page; a key's user is active while the key is (disabling revokes them all).
      const outcome = await attemptForm([], () => rotateApiKey(call.op, keyId));
      if (!outcome.ok) return call.render({ title: 'Not rotated', section: 'staff', body: html`<p role="alert">${outcome.problems.general.join(' ')}</p><p><a href="${call.frame.consoleUrl}/staff">Back to the staff users</a></p>` }, outcome.problems.status);
      call.changed();
      return apiKeyPage(call, deps, await getStaffUser(call.op, outcome.value.key.staffUserId), outcome.value.apiKey, { rotated: true });
    }),
  );

  scope.post(
    '/console/api-keys/:keyId/revoke',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const keyId = call.params.keyId ?? '';
      if (!call.csrfMatches(form, `api-key-revoke:${keyId}`)) return expiredForm(call, 'staff');
      const key = await revokeApiKey(call.op, keyId);
      call.changed();
      return call.redirect(`staff/${encodeURIComponent(key.staffUserId)}?flash=api_key_revoked`);
    }),
  );
}

/** A stored role's permission (a role never written by us has none). */
function roleAllowsRaw(role: string, permission: 'staff:read'): boolean {
  return (STAFF_ROLES as readonly string[]).includes(role) && roleAllows(role as StaffRole, permission);
}

function text(form: RawParams, name: string): string {
  return param(form, name) ?? '';
}

function userPath(user: Pick<StaffUser, 'id'>): string {
  return `staff/${encodeURIComponent(user.id)}`;
}

function newStaffPage(call: ConsoleCall, values: NewStaffValues, problems: FormProblems | null): FastifyReply {
  const body = renderNewStaffForm({ consoleUrl: call.frame.consoleUrl, csrfToken: call.csrf('staff-create'), values, problems, roles: listStaffRoles(call.op), permissions: PERMISSIONS });
  return call.render({ title: 'New staff user', section: 'staff', body }, problems?.status ?? 200);
}

interface UserPageState {
  readonly flash?: FlashKey | null;
  readonly editProblems?: FormProblems;
  readonly editValues?: { readonly name: string; readonly role: string };
  /** The version a refused edit was sent with (kept, so the form is not silently refreshed). */
  readonly version?: number;
  readonly statusProblems?: FormProblems;
  readonly keyProblems?: FormProblems;
  readonly keyLabel?: string;
  readonly passwordProblems?: FormProblems;
}

async function userPage(call: ConsoleCall, user: StaffUser, state: UserPageState): Promise<FastifyReply> {
  const canWrite = call.frame.permissions.has('staff:write');
  const keys = await listApiKeys(call.op, user.id);
  const access = (await staffAccessOf(call.op, [user.id])).get(user.id);
  const self = call.op.actor.staffUserId === user.id;
  const body = renderStaffUserView({
    consoleUrl: call.frame.consoleUrl,
    user,
    access,
    keys,
    roles: listStaffRoles(call.op),
    self,
    edit: canWrite
      ? {
          csrfToken: call.csrf(`staff-update:${user.id}`),
          version: state.version ?? user.updatedAt,
          values: state.editValues ?? { name: user.name ?? '', role: user.role },
          problems: state.editProblems ?? null,
          self,
        }
      : null,
    actions: canWrite
      ? {
          statusToken: call.csrf(`staff-status:${user.id}`),
          statusProblems: state.statusProblems ?? null,
          passwordToken: call.csrf(`staff-password:${user.id}`),
          passwordProblems: state.passwordProblems ?? null,
          createKeyToken: call.csrf(`api-key-create:${user.id}`),
          keyProblems: state.keyProblems ?? null,
          keyLabel: state.keyLabel ?? '',
          keyTokens: new Map(keys.map((key) => [key.id, { rotate: call.csrf(`api-key-rotate:${key.id}`), revoke: call.csrf(`api-key-revoke:${key.id}`) }])),
        }
      : null,
  });
  const problems = state.editProblems ?? state.statusProblems ?? state.passwordProblems ?? state.keyProblems;
  return call.render({ title: user.name ?? user.email, section: 'staff', body, flash: state.flash ?? null }, problems?.status ?? 200);
}

/** The key in clear, on the answer to the POST that made it only (`no-store`, as every console page). */
function apiKeyPage(call: ConsoleCall, deps: ConsoleDeps, user: StaffUser, apiKey: string, options: { readonly rotated: boolean }): FastifyReply {
  const apiUrl = `${deps.publicUrl.replace(/\/+$/, '')}/api/v2`;
  const body = renderApiKeyPage({ consoleUrl: call.frame.consoleUrl, user, orgId: call.op.org.id, apiUrl, apiKey, rotated: options.rotated });
  return call.render({ title: options.rotated ? 'New API key' : 'API access enabled', section: 'staff', body });
}
