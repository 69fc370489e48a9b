import { Type, type TSchema } from '@sinclair/typebox';
import { apiRoute, connectorOperationOf, operationOf, PAGE_QUERY, pageLimit, type ApiRoute } from '../api/management-api.ts';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import {
  accountConnectorErrors,
  addAccountConnector,
  deauthenticateAccountConnector,
  deleteAccountConnector,
  disableAccountConnector,
  enableAccountConnector,
  getAccountConnector,
  listAccountConnectors,
  listOrgAccountConnectors,
  updateAccountConnector,
} from './account-connector-admin.ts';
import { connectLinkErrors, issueConnectLink } from './connect-link-admin.ts';
import { readConnectorStatus } from './refresh/connector-status-admin.ts';
import { ACCOUNT_CONNECTOR_STATUSES, type AccountConnector } from './connector.ts';
import { MAX_PROPERTIES } from './connector-rules.ts';

// Account connectors: properties in clear are shown, secret ones (ClientSecret, ApiKey, Password)
// only by name; credentials never (GET …/credentials, credentials.routes.ts, is the one read that returns them).

const iso = (ms: number): string => new Date(ms).toISOString();
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const AccountConnectorBody = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  app_connector_id: Type.String(),
  name: Type.String(),
  status: Type.Union(ACCOUNT_CONNECTOR_STATUSES.map((s) => Type.Literal(s))),
  properties: Type.Record(Type.String(), Type.String()),
  /** The names of the secret properties set; their values are never shown. */
  secret_properties: Type.Array(Type.String()),
  config: Type.Record(Type.String(), Type.String()),
  /** AuthValue "{}" was set: the hub obtains the token itself on the next credential request. */
  self_authenticate: Type.Boolean(),
  access_expires_at: Nullable(Type.String({ format: 'date-time' })),
  refresh_expires_at: Nullable(Type.String({ format: 'date-time' })),
  /** When the background refresh renews the token; null when not scheduled (not authenticated, or a token that does not expire). */
  next_refresh_at: Nullable(Type.String({ format: 'date-time' })),
  last_refreshed_at: Nullable(Type.String({ format: 'date-time' })),
  /** The last refresh's failure until one succeeds: the provider's error code and description (`invalid_grant`) or ours (`upstream_server_error`). */
  last_refresh_error: Nullable(Type.Object({ code: Type.String(), description: Nullable(Type.String()) })),
  /** Failed refreshes in a row. */
  refresh_attempts: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

const PropertyName = Type.String({ maxLength: 64 });
const PropertyValue = Type.String({ maxLength: 4000 });
const Fields = {
  name: Type.String({ maxLength: 200 }),
  config: Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 2000 }), { maxProperties: 50 }),
  auth_value: Type.String({ maxLength: 16 * 1024 }),
};
const NewAccountConnectorBody = Type.Object(
  {
    app_connector_id: Type.String({ maxLength: 100 }),
    name: Type.Optional(Fields.name),
    properties: Type.Optional(Type.Record(PropertyName, PropertyValue, { maxProperties: MAX_PROPERTIES })),
    config: Type.Optional(Fields.config),
    auth_value: Type.Optional(Fields.auth_value),
  },
  { additionalProperties: false },
);
const AccountConnectorChangeBody = Type.Object(
  {
    name: Type.Optional(Fields.name),
    properties: Type.Optional(Type.Record(PropertyName, Nullable(PropertyValue), { maxProperties: MAX_PROPERTIES })),
    config: Type.Optional(Fields.config),
    auth_value: Type.Optional(Fields.auth_value),
  },
  { additionalProperties: false },
);
const ConnectorParams = Type.Object({ account_connector_id: Type.String({ maxLength: 100 }) });
const StatusFilter = Type.Optional(Type.Union(ACCOUNT_CONNECTOR_STATUSES.map((s) => Type.Literal(s))));
const ConnectorPage = Type.Object({ data: Type.Array(AccountConnectorBody), next_cursor: Nullable(Type.String()) });
const AccountParams = Type.Object({ account_id: Type.String({ maxLength: 200 }) });

function accountConnectorBody(connector: AccountConnector) {
  return {
    id: connector.id,
    account_id: connector.accountId,
    app_connector_id: connector.appConnectorId,
    name: connector.name,
    status: connector.status,
    properties: { ...connector.properties },
    secret_properties: [...connector.secretPropertyNames],
    config: { ...connector.config },
    self_authenticate: connector.selfAuthenticate,
    access_expires_at: connector.accessExpiresAt === null ? null : iso(connector.accessExpiresAt),
    refresh_expires_at: connector.refreshExpiresAt === null ? null : iso(connector.refreshExpiresAt),
    next_refresh_at: connector.nextRefreshAt === null ? null : iso(connector.nextRefreshAt),
    last_refreshed_at: connector.lastRefreshedAt === null ? null : iso(connector.lastRefreshedAt),
    last_refresh_error: connector.lastRefreshError === null ? null : { code: connector.lastRefreshError.code, description: connector.lastRefreshError.description },
    refresh_attempts: connector.refreshAttempts,
    created_at: iso(connector.createdAt),
    updated_at: iso(connector.updatedAt),
  };
}

export const ACCOUNT_CONNECTOR_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'POST',
    url: '/accounts/:account_id/connectors',
    permission: 'connectors:write',
    summary:
      'Connect an account to an app connector: properties (ClientId/ClientSecret for a per-customer app), config, and auth_value (the serialized {"AccessToken","RefreshToken","Expires","RefreshExpires"} imports tokens; "{}" lets the hub authenticate itself)',
    tag: 'connectors',
    schema: { params: AccountParams, body: NewAccountConnectorBody, response: { 201: AccountConnectorBody } },
    // The config's rules are the provider's, which the stored app connector names: the handler's.
    checkBody: (fields) => accountConnectorErrors({ name: fields.name, properties: fields.properties, authValue: fields.auth_value }),
    async handler(call) {
      const { body } = call;
      const connector = await addAccountConnector(connectorOperationOf(call), call.params.account_id, {
        appConnectorId: body.app_connector_id,
        name: body.name,
        properties: body.properties,
        config: body.config,
        authValue: body.auth_value,
      });
      return { status: 201, body: accountConnectorBody(connector), etag: etagOf(connector.version) };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/accounts/:account_id/connectors',
    permission: 'connectors:read',
    summary: 'The account\'s connectors, oldest first; ?status= keeps those of one status',
    tag: 'connectors',
    schema: {
      params: AccountParams,
      querystring: Type.Object({ ...PAGE_QUERY, status: StatusFilter }, { additionalProperties: false }),
      response: { 200: ConnectorPage },
    },
    async handler(call) {
      const page = await listAccountConnectors(operationOf(call), call.params.account_id, { limit: pageLimit(call.query), cursor: call.query.cursor, status: call.query.status });
      return { body: { data: page.items.map(accountConnectorBody), next_cursor: page.nextCursor } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/account-connectors',
    permission: 'connectors:read',
    summary: 'The organization\'s account connectors of every account, oldest first; ?status=needs_reauth lists those to reconnect',
    tag: 'connectors',
    schema: {
      querystring: Type.Object({ ...PAGE_QUERY, status: StatusFilter }, { additionalProperties: false }),
      response: { 200: ConnectorPage },
    },
    async handler(call) {
      const page = await listOrgAccountConnectors(operationOf(call), { limit: pageLimit(call.query), cursor: call.query.cursor, status: call.query.status });
      return { body: { data: page.items.map(accountConnectorBody), next_cursor: page.nextCursor } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/connector-status',
    permission: 'connectors:read',
    summary: 'How the organization\'s connections are doing: account connectors counted by status, the next background refreshes, and those whose last refresh failed (`gatehouse connectors status`)',
    tag: 'connectors',
    schema: {
      response: {
        200: Type.Object({
          counts: Type.Object(Object.fromEntries(ACCOUNT_CONNECTOR_STATUSES.map((s) => [s, Type.Integer()]))),
          next_refreshes: Type.Array(AccountConnectorBody),
          failing: Type.Array(AccountConnectorBody),
        }),
      },
    },
    async handler(call) {
      // 20 of each list: a glance, not a listing (GET /account-connectors?status= pages through all).
      const report = await readConnectorStatus(operationOf(call));
      return { body: { counts: { ...report.counts }, next_refreshes: report.nextRefreshes.map(accountConnectorBody), failing: report.failing.map(accountConnectorBody) } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/account-connectors/:account_connector_id',
    permission: 'connectors:read',
    summary: 'An account connector (never its secrets or tokens); the ETag is the version an update\'s If-Match must name',
    tag: 'connectors',
    schema: { params: ConnectorParams, response: { 200: AccountConnectorBody } },
    async handler(call) {
      const connector = await getAccountConnector(operationOf(call), call.params.account_connector_id);
      return { body: accountConnectorBody(connector), etag: etagOf(connector.version) };
    },
  }),
  apiRoute({
    method: 'PATCH',
    url: '/account-connectors/:account_connector_id',
    permission: 'connectors:write',
    summary: 'Change an account connector: properties merge by name (null removes one), config replaces the stored one, auth_value imports tokens or ("{}") asks the hub to authenticate itself',
    tag: 'connectors',
    schema: { params: ConnectorParams, body: AccountConnectorChangeBody, response: { 200: AccountConnectorBody } },
    checkBody: (fields) => accountConnectorErrors({ name: fields.name, properties: fields.properties, authValue: fields.auth_value }),
    async handler(call) {
      const { body } = call;
      const connector = await updateAccountConnector(
        connectorOperationOf(call),
        call.params.account_connector_id,
        { name: body.name, properties: body.properties, config: body.config, authValue: body.auth_value },
        { expectedVersion: versionFromIfMatch(call.ifMatch) },
      );
      return { body: accountConnectorBody(connector), etag: etagOf(connector.version) };
    },
  }),
  apiRoute({
    method: 'DELETE',
    url: '/account-connectors/:account_connector_id',
    permission: 'connectors:write',
    summary: 'Delete an account connector and its credentials',
    tag: 'connectors',
    schema: { params: ConnectorParams, response: { 204: Type.Null() } },
    async handler(call) {
      await deleteAccountConnector(operationOf(call), call.params.account_connector_id);
      return { status: 204 };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/account-connectors/:account_connector_id/deauthenticate',
    permission: 'connectors:write',
    summary: 'Drop an account connector\'s credentials: it is unauthenticated until connected again',
    tag: 'connectors',
    schema: { params: ConnectorParams, response: { 200: AccountConnectorBody } },
    async handler(call) {
      const connector = await deauthenticateAccountConnector(connectorOperationOf(call), call.params.account_connector_id);
      return { body: accountConnectorBody(connector), etag: etagOf(connector.version) };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/account-connectors/:account_connector_id/disable',
    permission: 'connectors:write',
    summary: 'Disable an account connector: its credentials are kept, but not handed out or refreshed, and it cannot be connected, until enabled',
    tag: 'connectors',
    schema: { params: ConnectorParams, response: { 200: AccountConnectorBody } },
    async handler(call) {
      const connector = await disableAccountConnector(connectorOperationOf(call), call.params.account_connector_id);
      return { body: accountConnectorBody(connector), etag: etagOf(connector.version) };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/account-connectors/:account_connector_id/enable',
    permission: 'connectors:write',
    summary: 'Enable a disabled account connector: authenticated again if it holds credentials, else unauthenticated',
    tag: 'connectors',
    schema: { params: ConnectorParams, response: { 200: AccountConnectorBody } },
    async handler(call) {
      const connector = await enableAccountConnector(connectorOperationOf(call), call.params.account_connector_id);
      return { body: accountConnectorBody(connector), etag: etagOf(connector.version) };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/account-connectors/:account_connector_id/connect-link',
    permission: 'connectors:write',
    summary:
      'A connect link for a customer: a sign-in token for `username` of the connector\'s account (single use, 5 minutes) in the updateaccountconnectoroauth URL, landing on `target_origin` (one of the org\'s connect target origins). The URL is shown in this answer only',
    tag: 'connectors',
    schema: {
      params: ConnectorParams,
      body: Type.Object({ username: Type.String({ maxLength: 1000 }), target_origin: Type.String({ maxLength: 2000 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ url: Type.String(), expires_at: Type.String({ format: 'date-time' }) }) },
    },
    // The target origin's rule is the org's list: the handler's.
    checkBody: (fields) => connectLinkErrors({ username: fields.username }),
    async handler(call) {
      if (call.connectors === undefined) throw new Error('the management API was built without the connector hub (ManagementApiDeps.connectors)');
      const link = await issueConnectLink({ ...operationOf(call), publicUrl: call.connectors.publicUrl }, call.params.account_connector_id, { username: call.body.username, targetOrigin: call.body.target_origin });
      return { body: { url: link.url, expires_at: iso(link.expiresAt) } };
    },
  }),
];
