import { Type } from '@sinclair/typebox';
import { PAGE_QUERY, pageLimit, apiRoute, type ApiRoute } from '../api/management-api.ts';
import { inTransaction } from '../db/transaction.ts';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { collectInvalid, InvalidInputError, throwIfInvalid } from '../lib/errors.ts';
import { ROLE_PERMISSIONS } from './permissions.ts';
import { recordAudit } from '../audit/audit.ts';
import { STAFF_ROLES } from './roles.ts';
import { passwordPolicyErrors, preparePassword } from '../accounts/passwords.ts';
import { checkApiKeyLabel, createApiKey, disableStaffUser, enableStaffUser, getStaffUser, setStaffPassword, updateStaffUser, listApiKeys, listStaffUsers, revokeApiKey, rotateApiKey, staffUserChangeErrors, type ApiKeyInfo, type StaffUser } from './staff-admin.ts';
import { createStaffUser, newStaffUserErrors } from './staff.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const StaffUserBody = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  role: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  has_password: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
const ApiKeyBody = Type.Object({
  id: Type.String(),
  user_id: Type.String(),
  prefix: Type.String(),
  label: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revoked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const Page = Type.Object(PAGE_QUERY, { additionalProperties: false });
const UserParams = Type.Object({ user_id: Type.String({ maxLength: 64 }) });
const KeyParams = Type.Object({ key_id: Type.String({ maxLength: 64 }) });

function userBody(user: StaffUser) {
  return { id: user.id, email: user.email, name: user.name, role: user.role, status: user.status, has_password: user.hasPassword, created_at: iso(user.createdAt)!, updated_at: iso(user.updatedAt)! };
}
function keyBody(key: ApiKeyInfo) {
  return { id: key.id, user_id: key.staffUserId, prefix: key.prefix, label: key.label, created_at: iso(key.createdAt)!, last_used_at: iso(key.lastUsedAt), revoked_at: iso(key.revokedAt) };
}

export const STAFF_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'GET',
    url: '/staff',
    permission: 'staff:read',
    summary: 'List staff users',
    tag: 'staff',
    schema: { querystring: Page, response: { 200: Type.Object({ data: Type.Array(StaffUserBody), next_cursor: Type.Union([Type.String(), Type.Null()]) }) } },
    async handler({ db, org, query }) {
      const limit = pageLimit(query);
      const cursor = query.cursor as string | undefined;
      if (cursor !== undefined && !/^stf_[a-z2-7]{20}$/.test(cursor)) throw new InvalidInputError('cursor', 'is not a cursor returned by this API');
      const users = await listStaffUsers(db, org.id, { limit: limit + 1, ...(cursor === undefined ? {} : { afterId: cursor }) });
      const page = users.slice(0, limit);
      return { body: { data: page.map(userBody), next_cursor: users.length > limit ? page.at(-1)!.id : null } };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/staff',
    permission: 'staff:write',
    summary: 'Create a staff user; with api_key: true, an integration user with a key in one call (the key is shown once)',
    tag: 'staff',
    schema: {
      body: Type.Object(
        {
          email: Type.String({ maxLength: 254 }),
          name: Type.Optional(Type.String({ maxLength: 200 })),
          role: Type.Optional(Type.Union(STAFF_ROLES.map((r) => Type.Literal(r)))),
          password: Type.Optional(Type.String({ maxLength: 1024 })),
          api_key: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      response: { 201: Type.Object({ user: StaffUserBody, api_key: Type.Union([Type.String(), Type.Null()]) }) },
    },
    checkBody: (fields) => newStaffUserErrors(fields as { email?: string; name?: string; role?: string; password?: string }),
    async handler(call) {
      const body = call.body as { email: string; name?: string; role?: string; password?: string; api_key?: boolean };
      // Every bad field at once: preparePassword below would name the password's alone.
      throwIfInvalid(newStaffUserErrors(body));
      const password = body.password === undefined ? undefined : await preparePassword(body.password);
      const created = await inTransaction(call.db, async (trx) => {
        const result = await createStaffUser(trx, call.clock, call.org.id, { email: body.email, name: body.name, role: body.role, password, withApiKey: body.api_key === true });
        await recordAudit(trx, call.clock, call.org.id, call.auditEvent({ action: 'staff.created', target: { type: 'staff_user', id: result.userId }, details: { role: result.role, api_key: result.apiKey !== null } }));
        return { user: await getStaffUser(trx, call.org.id, result.userId), apiKey: result.apiKey };
      });
      return { status: 201, body: { user: userBody(created.user), api_key: created.apiKey } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/staff/:user_id',
    permission: 'staff:read',
    summary: 'A staff user',
    tag: 'staff',
    schema: { params: UserParams, response: { 200: StaffUserBody } },
    async handler({ db, org, params }) {
      const user = await getStaffUser(db, org.id, params.user_id!);
      return { body: userBody(user), etag: etagOf(user.updatedAt) };
    },
  }),
  apiRoute({
    method: 'PATCH',
    url: '/staff/:user_id',
    permission: 'staff:write',
    summary: "Change a staff user's role or name (send If-Match with the ETag read); the last active owner cannot be demoted",
    tag: 'staff',
    schema: {
      params: UserParams,
      body: Type.Object(
        {
          name: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 200 })])),
          role: Type.Optional(Type.Union(STAFF_ROLES.map((r) => Type.Literal(r)))),
        },
        { additionalProperties: false },
      ),
      response: { 200: StaffUserBody },
    },
    checkBody: (fields) => staffUserChangeErrors(fields as { name?: string | null; role?: string }),
    async handler(call) {
      const body = call.body as { name?: string | null; role?: string };
      const userId = call.params.user_id!;
      const result = await inTransaction(call.db, async (trx) => {
        const updated = await updateStaffUser(trx, call.clock, call.org.id, userId, { name: body.name, role: body.role }, { expectedVersion: versionFromIfMatch(call.ifMatch) });
        if (updated.changed.length > 0) {
          const roleChange: Record<string, string> = updated.changed.includes('role') ? { role_from: updated.previous.role, role_to: updated.user.role } : {};
          await recordAudit(trx, call.clock, call.org.id, call.auditEvent({ action: 'staff.updated', target: { type: 'staff_user', id: userId }, details: { fields: updated.changed.join(','), ...roleChange } }));
        }
        return updated.user;
      });
      return { body: userBody(result), etag: etagOf(result.updatedAt) };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/staff/:user_id/disable',
    permission: 'staff:write',
    summary: 'Disable a staff user: its keys and sessions stop working at once',
    tag: 'staff',
    schema: { params: UserParams, response: { 200: StaffUserBody } },
    async handler(call) {
      const user = await inTransaction(call.db, async (trx) => {
        const disabled = await disableStaffUser(trx, call.clock, call.org.id, call.params.user_id!, { actingStaffUserId: call.principal.staffUserId });
        await recordAudit(trx, call.clock, call.org.id, call.auditEvent({ action: 'staff.disabled', target: { type: 'staff_user', id: disabled.id } }));
        return disabled;
      });
      return { body: userBody(user), etag: etagOf(user.updatedAt) };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/staff/:user_id/enable',
    permission: 'staff:write',
    summary: 'Re-enable a disabled staff user; the keys and sessions disabling revoked stay revoked',
    tag: 'staff',
    schema: { params: UserParams, response: { 200: StaffUserBody } },
    async handler(call) {
      const user = await inTransaction(call.db, async (trx) => {
        const enabled = await enableStaffUser(trx, call.clock, call.org.id, call.params.user_id!);
        if (enabled.changed) await recordAudit(trx, call.clock, call.org.id, call.auditEvent({ action: 'staff.enabled', target: { type: 'staff_user', id: enabled.user.id } }));
        return enabled.user;
      });
      return { body: userBody(user), etag: etagOf(user.updatedAt) };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/staff/:user_id/password',
    permission: 'staff:write',
    summary: "Set a staff user's sign-in password (argon2id); its browser sessions end, its API keys keep working",
    tag: 'staff',
    schema: { params: UserParams, body: Type.Object({ password: Type.String({ maxLength: 4096 }) }, { additionalProperties: false }), response: { 200: StaffUserBody } },
    checkBody: (fields) => (typeof fields.password === 'string' ? passwordPolicyErrors(fields.password) : []),
    async handler(call) {
      const password = await preparePassword((call.body as { password: string }).password);
      const user = await inTransaction(call.db, async (trx) => {
        const set = await setStaffPassword(trx, call.clock, call.org.id, call.params.user_id!, password);
        await recordAudit(trx, call.clock, call.org.id, call.auditEvent({ action: 'staff.password_set', target: { type: 'staff_user', id: set.id } }));
        return set;
      });
      return { body: userBody(user), etag: etagOf(user.updatedAt) };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/roles',
    permission: 'staff:read',
    summary: 'The staff roles and the permissions each bundles (an API key has exactly its user\'s)',
    tag: 'staff',
    schema: { response: { 200: Type.Object({ data: Type.Array(Type.Object({ role: Type.String(), permissions: Type.Array(Type.String()) })) }) } },
    async handler() {
      return { body: { data: STAFF_ROLES.map((role) => ({ role, permissions: [...ROLE_PERMISSIONS[role]] })) } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/staff/:user_id/api-keys',
    permission: 'staff:read',
    summary: "A staff user's API keys (prefix, created, last used; never the secret)",
    tag: 'api keys',
    schema: { params: UserParams, response: { 200: Type.Object({ data: Type.Array(ApiKeyBody) }) } },
    async handler({ db, org, params }) {
      return { body: { data: (await listApiKeys(db, org.id, params.user_id!)).map(keyBody) } };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/staff/:user_id/api-keys',
    permission: 'staff:write',
    summary: 'Enable API access: a new key for the user, shown once',
    tag: 'api keys',
    schema: {
      params: UserParams,
      body: Type.Optional(Type.Object({ label: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false })),
      response: { 201: Type.Object({ key: ApiKeyBody, api_key: Type.String() }) },
    },
    checkBody(fields) {
      const errors: InvalidInputError[] = [];
      if (typeof fields.label === 'string') collectInvalid(errors, () => checkApiKeyLabel(fields.label as string));
      return errors;
    },
    async handler(call) {
      const label = (call.body as { label?: string } | undefined)?.label;
      const created = await inTransaction(call.db, async (trx) => {
        const result = await createApiKey(trx, call.clock, call.org.id, call.params.user_id!, label === undefined ? {} : { label });
        await recordAudit(trx, call.clock, call.org.id, call.auditEvent({ action: 'api_key.created', target: { type: 'api_key', id: result.key.id }, details: { user_id: result.key.staffUserId, prefix: result.key.prefix } }));
        return result;
      });
      return { status: 201, body: { key: keyBody(created.key), api_key: created.apiKey } };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/api-keys/:key_id/rotate',
    permission: 'staff:write',
    summary: 'Replace a key: a new key is shown once, the old one stops working at once',
    tag: 'api keys',
    schema: { params: KeyParams, response: { 201: Type.Object({ key: ApiKeyBody, api_key: Type.String(), replaced: Type.String() }) } },
    async handler(call) {
      const rotated = await inTransaction(call.db, async (trx) => {
        const result = await rotateApiKey(trx, call.clock, call.org.id, call.params.key_id!);
        await recordAudit(trx, call.clock, call.org.id, call.auditEvent({ action: 'api_key.rotated', target: { type: 'api_key', id: result.key.id }, details: { replaced: result.replaced } }));
        return result;
      });
      return { status: 201, body: { key: keyBody(rotated.key), api_key: rotated.apiKey, replaced: rotated.replaced } };
    },
  }),
  apiRoute({
    method: 'DELETE',
    url: '/api-keys/:key_id',
    permission: 'staff:write',
    summary: 'Revoke a key (and end the API sessions opened with it)',
    tag: 'api keys',
    schema: { params: KeyParams, response: { 204: Type.Null() } },
    async handler(call) {
      await inTransaction(call.db, async (trx) => {
        await revokeApiKey(trx, call.clock, call.org.id, call.params.key_id!);
        await recordAudit(trx, call.clock, call.org.id, call.auditEvent({ action: 'api_key.revoked', target: { type: 'api_key', id: call.params.key_id! } }));
      });
      return { status: 204 };
    },
  }),
];
