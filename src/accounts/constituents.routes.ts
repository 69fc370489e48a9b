import { Type, type Static } from '@sinclair/typebox';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { PAGE_QUERY, pageLimit, apiRoute, operationOf, type ApiRoute } from '../api/management-api.ts';
import type { AttributeValue, ConstituentRecord } from './constituent.ts';
import type { ConstituentGrant, ConstituentSession } from './constituent-access-admin.ts';
import {
  addConstituent,
  disableConstituent,
  enableConstituent,
  endConstituentSession,
  endConstituentSessions,
  getConstituent,
  listConstituentGrants,
  listConstituentSessions,
  revokeConstituentGrant,
  searchConstituents,
  setConstituentPassword,
  updateConstituent,
} from './constituent-admin.ts';
import { constituentChangeErrors, type ConstituentChange } from './constituent-changes.ts';
import { newConstituentErrors } from './constituents.ts';
import { passwordPolicyErrors } from './passwords.ts';

const iso = (ms: number) => new Date(ms).toISOString();

// `type: [..., 'null']` rather than a union: with Fastify's type coercion each anyOf branch
// coerces in turn, so a union of string and null would turn null into "".
const nullable = <T>(type: string, options: Record<string, unknown> = {}) => Type.Unsafe<T | null>({ type: [type, 'null'], ...options });
// Left to the domain's attribute rules (createConstituent, setConstituentAttributes): a schema
// union of scalars would coerce true into "true", and a multi-type `type` trips Ajv's strict mode.
const AttributeValueSchema = Type.Unsafe<AttributeValue>({ description: 'A string, number, boolean or null.' });

const ConstituentBody = Type.Object({
  account_id: Type.String(),
  username: Type.String(),
  email: nullable<string>('string'),
  email_verified: Type.Boolean(),
  name: nullable<string>('string'),
  picture_url: nullable<string>('string'),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
const GrantBody = Type.Object({
  client_id: Type.String(),
  client_name: nullable<string>('string'),
  scope: nullable<string>('string', { description: 'The scopes consented to; null for a client that needs no consent.' }),
  created_at: nullable<string>('string', { format: 'date-time' }),
  updated_at: nullable<string>('string', { format: 'date-time' }),
  token_families: Type.Array(
    Type.Object({ id: Type.String(), scope: Type.String(), created_at: Type.String({ format: 'date-time' }), expires_at: Type.String({ format: 'date-time' }) }),
  ),
});
const SessionBody = Type.Object({
  id: Type.String({ description: 'A short, stable reference to the session; never usable as its cookie.' }),
  auth_time: Type.String({ format: 'date-time' }),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
});
const AccountParams = Type.Object({ account_id: Type.String({ maxLength: 64 }) });
const SessionParams = Type.Object({ account_id: Type.String({ maxLength: 64 }), session_id: Type.String({ maxLength: 64 }) });
const GrantParams = Type.Object({ account_id: Type.String({ maxLength: 64 }), client_id: Type.String({ maxLength: 128 }) });
const Status = Type.Union([Type.Literal('active'), Type.Literal('disabled')]);

const Search = Type.Object(
  {
    ...PAGE_QUERY,
    login_name: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'A prefix of the login name or the email, case-insensitive.' })),
    status: Type.Optional(Status),
    attribute: Type.Optional(Type.String({ minLength: 3, maxLength: 1100, description: '`name:value`: a custom attribute equal to value (`tier:gold`, `age:42`, `vip:true`).' })),
  },
  { additionalProperties: false },
);
const NewConstituentBody = Type.Object(
  {
    username: Type.String({ maxLength: 512 }),
    password: Type.Optional(Type.String({ maxLength: 4096 })),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    name: Type.Optional(Type.String({ maxLength: 800 })),
    attributes: Type.Optional(Type.Record(Type.String(), AttributeValueSchema)),
  },
  { additionalProperties: false },
);
const ConstituentChangeBody = Type.Object(
  {
    username: Type.Optional(Type.String({ maxLength: 512 })),
    email: Type.Optional(nullable<string>('string', { maxLength: 254 })),
    name: Type.Optional(nullable<string>('string', { maxLength: 800 })),
    picture_url: Type.Optional(nullable<string>('string', { maxLength: 2048, description: 'https only.' })),
    email_verified: Type.Optional(Type.Boolean()),
    attributes: Type.Optional(Type.Record(Type.String(), AttributeValueSchema, { description: 'Merged into the attributes; a null removes that attribute.' })),
  },
  { additionalProperties: false },
);
const PasswordBody = Type.Object({ password: Type.String({ maxLength: 4096 }) }, { additionalProperties: false });

type ChangeBody = Static<typeof ConstituentChangeBody>;

/**
 * A PATCH body as the change updateConstituent takes, its fields in the order sent: the audit
 * event names them in that order, as it always has.
 */
function changeOf(body: Partial<ChangeBody>): ConstituentChange {
  const changeOfField = {
    username: { username: body.username },
    email: { email: body.email },
    name: { name: body.name },
    picture_url: { pictureUrl: body.picture_url },
    email_verified: { emailVerified: body.email_verified },
    attributes: { attributes: body.attributes },
  } satisfies Record<keyof ChangeBody, ConstituentChange>;
  const isField = (key: string): key is keyof ChangeBody => Object.hasOwn(changeOfField, key);
  return Object.keys(body).filter(isField).reduce<ConstituentChange>((change, key) => ({ ...change, ...changeOfField[key] }), {});
}

function constituentBody(c: ConstituentRecord) {
  return {
    account_id: c.accountId,
    username: c.loginName,
    email: c.email,
    email_verified: c.emailVerified,
    name: c.displayName,
    picture_url: c.pictureUrl,
    attributes: c.attributes,
    status: c.status,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
  };
}
function grantBody(g: ConstituentGrant) {
  return {
    client_id: g.clientId,
    client_name: g.clientName,
    scope: g.consent?.scope ?? null,
    created_at: g.consent === null ? null : iso(g.consent.createdAt),
    updated_at: g.consent === null ? null : iso(g.consent.updatedAt),
    token_families: g.tokenFamilies.map((f) => ({ id: f.id, scope: f.scope, created_at: iso(f.createdAt), expires_at: iso(f.expiresAt) })),
  };
}
function sessionBody(s: ConstituentSession) {
  return { id: s.id, auth_time: iso(s.authTime), created_at: iso(s.createdAt), expires_at: iso(s.expiresAt) };
}
/** The constituent with its version, as every route answering one does. */
function one(c: ConstituentRecord, status = 200) {
  return { status, body: constituentBody(c), etag: etagOf(c.updatedAt) };
}

export const CONSTITUENT_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'GET',
    url: '/constituents',
    permission: 'constituents:read',
    summary: 'Search constituents (every filter given must match), oldest first, by pages',
    tag: 'constituents',
    schema: { querystring: Search, response: { 200: Type.Object({ data: Type.Array(ConstituentBody), next_cursor: nullable<string>('string') }) } },
    async handler(call) {
      const { query } = call;
      const page = await searchConstituents(operationOf(call), {
        limit: pageLimit(query),
        cursor: query.cursor,
        loginName: query.login_name,
        email: query.email,
        q: query.q,
        status: query.status,
        attribute: query.attribute,
      });
      return { body: { data: page.constituents.map(constituentBody), next_cursor: page.nextCursor } };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/constituents',
    permission: 'constituents:write',
    summary: 'Create a constituent; without a password it cannot sign in until one is set',
    tag: 'constituents',
    schema: { body: NewConstituentBody, response: { 201: ConstituentBody } },
    checkBody: (fields) => newConstituentErrors(fields),
    async handler(call) {
      const { body } = call;
      const created = await addConstituent(operationOf(call), { username: body.username, password: body.password, email: body.email, name: body.name, attributes: body.attributes });
      return one(created, 201);
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/constituents/:account_id',
    permission: 'constituents:read',
    summary: 'A constituent (the ETag names its version, for If-Match on PATCH)',
    tag: 'constituents',
    schema: { params: AccountParams, response: { 200: ConstituentBody } },
    async handler(call) {
      return one(await getConstituent(operationOf(call), call.params.account_id));
    },
  }),
  apiRoute({
    method: 'PATCH',
    url: '/constituents/:account_id',
    permission: 'constituents:write',
    summary: 'Change the login name, email, name, picture, email verification or attributes (send If-Match with the ETag read)',
    tag: 'constituents',
    schema: { params: AccountParams, body: ConstituentChangeBody, response: { 200: ConstituentBody } },
    checkBody: (fields) => constituentChangeErrors(changeOf(fields)),
    async handler(call) {
      const expectedVersion = versionFromIfMatch(call.ifMatch);
      const updated = await updateConstituent(operationOf(call), call.params.account_id, changeOf(call.body), expectedVersion === undefined ? {} : { expectedVersion });
      return one(updated);
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/constituents/:account_id/disable',
    permission: 'constituents:write',
    summary: 'Disable a constituent: its sessions end and every token it holds is revoked at once',
    tag: 'constituents',
    schema: { params: AccountParams, response: { 200: ConstituentBody } },
    async handler(call) {
      return one((await disableConstituent(operationOf(call), call.params.account_id)).constituent);
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/constituents/:account_id/enable',
    permission: 'constituents:write',
    summary: 'Enable a disabled constituent: it can sign in again (revoked tokens stay revoked)',
    tag: 'constituents',
    schema: { params: AccountParams, response: { 200: ConstituentBody } },
    async handler(call) {
      return one(await enableConstituent(operationOf(call), call.params.account_id));
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/constituents/:account_id/password',
    permission: 'constituents:write',
    summary: "Set a constituent's password; its SSO sessions end",
    tag: 'constituents',
    schema: { params: AccountParams, body: PasswordBody, response: { 200: ConstituentBody } },
    checkBody: (fields) => (typeof fields.password === 'string' ? passwordPolicyErrors(fields.password) : []),
    async handler(call) {
      return one((await setConstituentPassword(operationOf(call), call.params.account_id, call.body.password)).constituent);
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/constituents/:account_id/grants',
    permission: 'constituents:read',
    summary: 'The clients a constituent uses: the scopes it allowed each, and the authorizations (token families) still live',
    tag: 'constituents',
    schema: { params: AccountParams, response: { 200: Type.Object({ data: Type.Array(GrantBody) }) } },
    async handler(call) {
      return { body: { data: (await listConstituentGrants(operationOf(call), call.params.account_id)).map(grantBody) } };
    },
  }),
  apiRoute({
    method: 'DELETE',
    url: '/constituents/:account_id/grants/:client_id',
    permission: 'constituents:write',
    summary: "Revoke a client's access: forget the consent and revoke every token the client holds for the constituent",
    tag: 'constituents',
    schema: { params: GrantParams, response: { 204: Type.Null() } },
    async handler(call) {
      await revokeConstituentGrant(operationOf(call), call.params.account_id, call.params.client_id);
      return { status: 204 };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/constituents/:account_id/sessions',
    permission: 'constituents:read',
    summary: "A constituent's live single sign-on sessions, newest first",
    tag: 'constituents',
    schema: { params: AccountParams, response: { 200: Type.Object({ data: Type.Array(SessionBody) }) } },
    async handler(call) {
      return { body: { data: (await listConstituentSessions(operationOf(call), call.params.account_id)).map(sessionBody) } };
    },
  }),
  apiRoute({
    method: 'DELETE',
    url: '/constituents/:account_id/sessions',
    permission: 'constituents:write',
    summary: 'Sign a constituent out everywhere: end every SSO session (issued tokens are kept; revoke grants for those)',
    tag: 'constituents',
    schema: { params: AccountParams, response: { 204: Type.Null() } },
    async handler(call) {
      await endConstituentSessions(operationOf(call), call.params.account_id);
      return { status: 204 };
    },
  }),
  apiRoute({
    method: 'DELETE',
    url: '/constituents/:account_id/sessions/:session_id',
    permission: 'constituents:write',
    summary: 'End one single sign-on session of a constituent (its id as the sessions list gives it); issued tokens are kept',
    tag: 'constituents',
    schema: { params: SessionParams, response: { 204: Type.Null() } },
    async handler(call) {
      await endConstituentSession(operationOf(call), call.params.account_id, call.params.session_id);
      return { status: 204 };
    },
  }),
];
