import { Type } from '@sinclair/typebox';
import { PAGE_QUERY, pageLimit, apiRoute, operationOf, type ApiRoute } from '../api/management-api.ts';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { collectInvalid, InvalidInputError } from '../lib/errors.ts';
import { passwordPolicyErrors } from '../accounts/passwords.ts';
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey } from './api-key-admin.ts';
import { STAFF_ROLES } from './roles.ts';
import { addStaffUser, disableStaffUser, enableStaffUser, getStaffUser, listStaffRoles, listStaffUsers, setStaffPassword, updateStaffUser } from './staff-admin.ts';
import { checkApiKeyLabel, newStaffUserErrors, staffUserChangeErrors } from './staff.ts';
import type { ApiKeyInfo, StaffUser } from './staff-user.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

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
  return { id: user.id, email: user.email, name: user.name, role: user.role, status: user.status, has_password: user.hasPassword, created_at: iso(user.createdAt), updated_at: iso(user.updatedAt) };
}
function keyBody(key: ApiKeyInfo) {
  return { id: key.id, user_id: key.staffUserId, prefix: key.prefix, label: key.label, created_at: iso(key.createdAt), last_used_at: isoOrNull(key.lastUsedAt), revoked_at: isoOrNull(key.revokedAt) };
}

export const STAFF_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'GET',
    url: '/staff',
    permission: 'staff:read',
    summary: 'List staff users',
    tag: 'staff',
    schema: { querystring: Page, response: { 200: Type.Object({ data: Type.Array(StaffUserBody), next_cursor: Type.Union([Type.String(), Type.Null()]) }) } },
    async handler(call) {
      const { cursor } = call.query;
      const page = await listStaffUsers(operationOf(call), { limit: pageLimit(call.query), ...(cursor === undefined ? {} : { cursor }) });
      return { body: { data: page.users.map(userBody), next_cursor: page.nextCursor } };
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
    checkBody: (fields) => newStaffUserErrors(fields),
    async handler(call) {
      const { body } = call;
      const created = await addStaffUser(operationOf(call), { email: body.email, name: body.name, role: body.role, password: body.password, withApiKey: body.api_key === true });
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
    async handler(call) {
      const user = await getStaffUser(operationOf(call), call.params.user_id);
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
    checkBody: (fields) => staffUserChangeErrors(fields),
    async handler(call) {
      const { body } = call;
      const user = await updateStaffUser(operationOf(call), call.params.user_id, { name: body.name, role: body.role }, { expectedVersion: versionFromIfMatch(call.ifMatch) });
      return { body: userBody(user), etag: etagOf(user.updatedAt) };
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
      const user = await disableStaffUser(operationOf(call), call.params.user_id);
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
      const user = await enableStaffUser(operationOf(call), call.params.user_id);
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
      const user = await setStaffPassword(operationOf(call), call.params.user_id, call.body.password);
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
    async handler(call) {
      return { body: { data: listStaffRoles(operationOf(call)) } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/staff/:user_id/api-keys',
    permission: 'staff:read',
    summary: "A staff user's API keys (prefix, created, last used; never the secret)",
    tag: 'api keys',
    schema: { params: UserParams, response: { 200: Type.Object({ data: Type.Array(ApiKeyBody) }) } },
    async handler(call) {
      return { body: { data: (await listApiKeys(operationOf(call), call.params.user_id)).map(keyBody) } };
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
      const { label } = fields;
      if (typeof label === 'string') collectInvalid(errors, () => checkApiKeyLabel(label));
      return errors;
    },
    async handler(call) {
      const label = call.body?.label;
      const created = await createApiKey(operationOf(call), call.params.user_id, label === undefined ? {} : { label });
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
      const rotated = await rotateApiKey(operationOf(call), call.params.key_id);
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
      await revokeApiKey(operationOf(call), call.params.key_id);
      return { status: 204 };
    },
  }),
];
