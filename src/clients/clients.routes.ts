import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { apiRoute, operationOf, PAGE_QUERY, pageLimit, type ApiCall, type ApiRoute } from '../api/management-api.ts';
import type { RegistrationPolicy } from '../orgs/registration-policy.ts';
import {
  addClient,
  changeClientStatus,
  changeRegistrationPolicy,
  deleteClient,
  getClient,
  getRegistrationPolicy,
  listClients,
  rotateClientSecret,
  SECRET_ROTATION_GRACE_SECONDS,
  updateClient,
  type ClientAction,
} from './client-admin.ts';
import { GRANT_TYPES, type Client, type ClientSettings, type ClientStatus } from './client.ts';
import { clientSettingsErrors, newClientSettingsErrors } from './clients.ts';
import { DYNAMIC_REGISTRATION_PATH, REGISTRATION_PAGE_PATH } from './registration.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const STATUSES = ['active', 'pending', 'rejected', 'suspended'] as const satisfies readonly ClientStatus[];

const ClientBody = Type.Object({
  client_id: Type.String(),
  name: Type.String(),
  client_type: Type.Union([Type.Literal('confidential'), Type.Literal('public')]),
  status: Type.Union(STATUSES.map((s) => Type.Literal(s))),
  redirect_uris: Type.Array(Type.String()),
  post_logout_redirect_uris: Type.Array(Type.String()),
  grant_types: Type.Array(Type.String()),
  scope: Type.String(),
  consent_required: Type.Boolean(),
  code_ttl_seconds: Type.Union([Type.Integer(), Type.Null()]),
  id_token_signed_response_alg: Type.String(),
  access_token_format: Type.String(),
  registration_source: Type.Union([Type.Literal('staff'), Type.Literal('registration_page'), Type.Literal('dynamic')]),
  requester_name: Nullable(Type.String()),
  requester_email: Nullable(Type.String()),
  request_reason: Nullable(Type.String()),
  /** Until when the secret replaced by the last rotation still works. */
  previous_secret_expires_at: Nullable(Type.String({ format: 'date-time' })),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

const UriList = Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 50 });
const ClientFields = {
  name: Type.String({ maxLength: 200 }),
  redirect_uris: UriList,
  post_logout_redirect_uris: UriList,
  grant_types: Type.Array(Type.Union(GRANT_TYPES.map((g) => Type.Literal(g))), { maxItems: GRANT_TYPES.length }),
  scope: Type.String({ maxLength: 2000 }),
  consent_required: Type.Boolean(),
  code_ttl_seconds: Type.Integer(),
  id_token_signed_response_alg: Type.Union([Type.Literal('ES256'), Type.Literal('RS256')]),
  access_token_format: Type.Union([Type.Literal('opaque'), Type.Literal('jwt')]),
};
const NewClientBody = Type.Object(
  {
    name: ClientFields.name,
    client_type: Type.Optional(Type.Union([Type.Literal('confidential'), Type.Literal('public')])),
    redirect_uris: Type.Optional(ClientFields.redirect_uris),
    post_logout_redirect_uris: Type.Optional(ClientFields.post_logout_redirect_uris),
    grant_types: Type.Optional(ClientFields.grant_types),
    scope: Type.Optional(ClientFields.scope),
    consent_required: Type.Optional(ClientFields.consent_required),
    code_ttl_seconds: Type.Optional(ClientFields.code_ttl_seconds),
    id_token_signed_response_alg: Type.Optional(ClientFields.id_token_signed_response_alg),
    access_token_format: Type.Optional(ClientFields.access_token_format),
  },
  { additionalProperties: false },
);
const ClientChangeBody = Type.Object(
  {
    name: Type.Optional(ClientFields.name),
    redirect_uris: Type.Optional(ClientFields.redirect_uris),
    post_logout_redirect_uris: Type.Optional(ClientFields.post_logout_redirect_uris),
    grant_types: Type.Optional(ClientFields.grant_types),
    scope: Type.Optional(ClientFields.scope),
    consent_required: Type.Optional(ClientFields.consent_required),
    // Null first: with type coercion on, null would otherwise be read as the integer 0.
    code_ttl_seconds: Type.Optional(Type.Union([Type.Null(), ClientFields.code_ttl_seconds])),
    id_token_signed_response_alg: Type.Optional(ClientFields.id_token_signed_response_alg),
    access_token_format: Type.Optional(ClientFields.access_token_format),
  },
  { additionalProperties: false },
);
const ClientParams = Type.Object({ client_id: Type.String({ maxLength: 64 }) });
const Reason = Type.String({ minLength: 1, maxLength: 500 });
const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });
/** Other decisions may carry a reason (kept in the audit event); a body is optional, unknown fields are refused. */
const OptionalReasonBody = Type.Optional(Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }));
const RegistrationPolicyBody = Type.Object({
  mode: Type.Union([Type.Literal('closed'), Type.Literal('approval')]),
  initial_access_token_required: Type.Boolean(),
  /** Paths under PUBLIC_URL; null while registration is closed. */
  registration_page_path: Nullable(Type.String()),
  registration_endpoint_path: Nullable(Type.String()),
});

/** The wire name of each client setting a body may carry. */
const SETTING_OF_FIELD = {
  name: 'name',
  redirect_uris: 'redirectUris',
  post_logout_redirect_uris: 'postLogoutRedirectUris',
  grant_types: 'grantTypes',
  scope: 'scope',
  code_ttl_seconds: 'codeTtlSeconds',
  id_token_signed_response_alg: 'idTokenSignedResponseAlg',
  access_token_format: 'accessTokenFormat',
} as const satisfies Record<string, keyof ClientSettings>;

/** The settings of the fields a schema refused, by their domain names (other fields are not settings). */
function refusedSettings(refused: ReadonlySet<string>): Set<keyof ClientSettings> {
  return new Set(Object.entries(SETTING_OF_FIELD).flatMap(([field, setting]) => (refused.has(field) ? [setting] : [])));
}

/** The client settings among a body's fields (as the schema passed them), by their domain names; undefined where absent. */
function settingsOf(fields: Partial<Static<typeof ClientChangeBody>>): Partial<ClientSettings> {
  return {
    name: fields.name,
    redirectUris: fields.redirect_uris,
    postLogoutRedirectUris: fields.post_logout_redirect_uris,
    grantTypes: fields.grant_types,
    scope: fields.scope,
    codeTtlSeconds: fields.code_ttl_seconds,
    idTokenSignedResponseAlg: fields.id_token_signed_response_alg,
    accessTokenFormat: fields.access_token_format,
  };
}

function clientBody(client: Client) {
  return {
    client_id: client.clientId,
    name: client.name,
    client_type: client.clientType,
    status: client.status,
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    grant_types: [...client.grantTypes],
    scope: client.scope,
    consent_required: client.consentRequired,
    code_ttl_seconds: client.codeTtlSeconds,
    id_token_signed_response_alg: client.idTokenSignedResponseAlg,
    access_token_format: client.accessTokenFormat,
    registration_source: client.registrationSource,
    requester_name: client.requesterName,
    requester_email: client.requesterEmail,
    request_reason: client.requestReason,
    previous_secret_expires_at: client.previousSecretExpiresAt === null ? null : iso(client.previousSecretExpiresAt),
    created_at: iso(client.createdAt),
    updated_at: iso(client.updatedAt),
  };
}

/** A lifecycle route: the decision's use case (changeClientStatus), its reason from the body. */
function lifecycleRoute(action: ClientAction, summary: string, options: { readonly reason: 'required' | 'optional' }): ApiRoute {
  return apiRoute({
    method: 'POST',
    url: `/clients/:client_id/${action}`,
    permission: 'clients:write',
    summary,
    tag: 'clients',
    schema: {
      params: ClientParams,
      body: options.reason === 'required' ? ReasonBody : OptionalReasonBody,
      response: { 200: ClientBody },
    },
    async handler(call) {
      const client = await changeClientStatus(operationOf(call), call.params.client_id, action, { reason: call.body?.reason });
      return { body: clientBody(client), etag: etagOf(client.updatedAt) };
    },
  });
}

/** The organization's issuer path under PUBLIC_URL (this API does not know PUBLIC_URL itself). */
function orgPath(call: ApiCall): string {
  return `/o/${call.org.slug}`;
}

export const CLIENT_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'GET',
    url: '/clients',
    permission: 'clients:read',
    summary: 'List clients, oldest first; status=pending lists the registration requests awaiting approval',
    tag: 'clients',
    schema: {
      querystring: Type.Object(
        {
          ...PAGE_QUERY,
          status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ data: Type.Array(ClientBody), next_cursor: Type.Union([Type.String(), Type.Null()]) }) },
    },
    async handler(call) {
      const { query } = call;
      const page = await listClients(operationOf(call), { limit: pageLimit(query), cursor: query.cursor, status: query.status });
      return { body: { data: page.clients.map(clientBody), next_cursor: page.nextCursor } };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/clients',
    permission: 'clients:write',
    summary: 'Register a client, active at once; a confidential client\'s secret is in client_secret, shown once',
    tag: 'clients',
    schema: { body: NewClientBody, response: { 201: Type.Object({ client: ClientBody, client_secret: Nullable(Type.String()) }) } },
    checkBody(fields, refused) {
      const clientType = refused.has('client_type') ? undefined : (fields.client_type ?? 'confidential');
      return newClientSettingsErrors(settingsOf(fields), clientType, refusedSettings(refused));
    },
    async handler(call) {
      const { body } = call;
      const created = await addClient(operationOf(call), {
        name: body.name,
        clientType: body.client_type ?? 'confidential',
        redirectUris: body.redirect_uris ?? [],
        postLogoutRedirectUris: body.post_logout_redirect_uris,
        grantTypes: body.grant_types,
        scope: body.scope,
        consentRequired: body.consent_required,
        codeTtlSeconds: body.code_ttl_seconds,
        idTokenSignedResponseAlg: body.id_token_signed_response_alg,
        accessTokenFormat: body.access_token_format,
      });
      return { status: 201, body: { client: clientBody(created.client), client_secret: created.clientSecret }, etag: etagOf(created.client.updatedAt) };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/clients/:client_id',
    permission: 'clients:read',
    summary: 'A client (never its secret); the ETag is the version an update\'s If-Match must name',
    tag: 'clients',
    schema: { params: ClientParams, response: { 200: ClientBody } },
    async handler(call) {
      const client = await getClient(operationOf(call), call.params.client_id);
      return { body: clientBody(client), etag: etagOf(client.updatedAt) };
    },
  }),
  apiRoute({
    method: 'PATCH',
    url: '/clients/:client_id',
    permission: 'clients:write',
    summary: 'Change a client\'s metadata (send If-Match with the ETag read, to not overwrite a concurrent change); code_ttl_seconds null uses the organization\'s',
    tag: 'clients',
    schema: { params: ClientParams, body: ClientChangeBody, response: { 200: ClientBody } },
    // The fields sent, judged alone: the rules that need the stored client (its type, the settings
    // left out) are the handler's.
    checkBody: (fields) => clientSettingsErrors(settingsOf(fields), undefined),
    async handler(call) {
      const { body } = call;
      const client = await updateClient(
        operationOf(call),
        call.params.client_id,
        { ...settingsOf(body), consentRequired: body.consent_required },
        { expectedVersion: versionFromIfMatch(call.ifMatch) },
      );
      return { body: clientBody(client), etag: etagOf(client.updatedAt) };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/clients/:client_id/rotate-secret',
    permission: 'clients:write',
    summary: `Give a confidential client a new secret, shown once; the previous secret keeps working for ${SECRET_ROTATION_GRACE_SECONDS / 3600} hours (until previous_secret_expires_at), a still older one stops at once`,
    tag: 'clients',
    schema: { params: ClientParams, response: { 201: Type.Object({ client: ClientBody, client_secret: Type.String() }) } },
    async handler(call) {
      const rotated = await rotateClientSecret(operationOf(call), call.params.client_id);
      return { status: 201, body: { client: clientBody(rotated.client), client_secret: rotated.clientSecret }, etag: etagOf(rotated.client.updatedAt) };
    },
  }),
  apiRoute({
    method: 'DELETE',
    url: '/clients/:client_id',
    permission: 'clients:write',
    summary: 'Delete a client and revoke everything issued to it (codes, access and refresh tokens, consent), at once',
    tag: 'clients',
    schema: { params: ClientParams, response: { 204: Type.Null() } },
    async handler(call) {
      await deleteClient(operationOf(call), call.params.client_id);
      return { status: 204 };
    },
  }),
  lifecycleRoute('approve', 'Approve a pending registration request: the client can sign constituents in (records client.approved, with the optional reason)', { reason: 'optional' }),
  lifecycleRoute('reject', 'Reject a pending registration request, with a reason of at most 500 characters (records client.rejected with the reason)', { reason: 'required' }),
  lifecycleRoute('suspend', 'Suspend an active client: every token and code it holds is revoked, and it gets no authorization, token or refresh until reactivated (records client.suspended, with the optional reason)', { reason: 'optional' }),
  lifecycleRoute('reactivate', 'Reactivate a suspended client (records client.reactivated, with the optional reason)', { reason: 'optional' }),
  apiRoute({
    method: 'GET',
    url: '/client-registration',
    permission: 'org:read',
    summary: 'Whether people outside the organization may ask for clients (registration page, RFC 7591), and where',
    tag: 'clients',
    schema: { response: { 200: RegistrationPolicyBody } },
    async handler(call) {
      return { body: policyBody(call, getRegistrationPolicy(operationOf(call))), etag: etagOf(call.org.updatedAt) };
    },
  }),
  apiRoute({
    method: 'PUT',
    url: '/client-registration',
    permission: 'org:write',
    summary:
      'Open (mode approval: requests wait for staff approval) or close registration requests; initial_access_token new returns a token dynamic registration must then carry, shown once; none drops it; keep (default) leaves it',
    tag: 'clients',
    schema: {
      body: Type.Object(
        {
          mode: Type.Union([Type.Literal('closed'), Type.Literal('approval')]),
          initial_access_token: Type.Optional(Type.Union([Type.Literal('keep'), Type.Literal('none'), Type.Literal('new')])),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ ...RegistrationPolicyBody.properties, initial_access_token: Nullable(Type.String()) }) },
    },
    async handler(call) {
      const result = await changeRegistrationPolicy(operationOf(call), { mode: call.body.mode, initialAccessToken: call.body.initial_access_token ?? 'keep' });
      return { body: { ...policyBody(call, result.policy), initial_access_token: result.initialAccessToken } };
    },
  }),
];

function policyBody(call: ApiCall, policy: RegistrationPolicy) {
  const open = policy.mode === 'approval';
  return {
    mode: policy.mode,
    initial_access_token_required: policy.initialAccessTokenRequired,
    registration_page_path: open ? orgPath(call) + REGISTRATION_PAGE_PATH : null,
    registration_endpoint_path: open ? orgPath(call) + DYNAMIC_REGISTRATION_PATH : null,
  };
}
