import { Type, type TSchema } from '@sinclair/typebox';
import { apiRoute, connectorOperationOf, operationOf, PAGE_QUERY, pageLimit, type ApiCall, type ApiRoute } from '../api/management-api.ts';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { collectInvalid, type InvalidInputError } from '../lib/errors.ts';
import { addAppConnector, appConnectorErrors, deleteAppConnector, getAppConnector, listAppConnectors, providerOrError, updateAppConnector } from './app-connector-admin.ts';
import type { AppConnector } from './connector.ts';
import { connectRedirectUri } from './connect/connect-deps.ts';
import { MAX_SCOPES } from './connector-rules.ts';

// App connectors: secrets are write-only (client_secret is taken, never shown: client_secret_set
// says whether one is stored).

const iso = (ms: number): string => new Date(ms).toISOString();
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);


const AppConnectorBody = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  name: Type.String(),
  client_id: Nullable(Type.String()),
  client_secret_set: Type.Boolean(),
  scopes: Type.Array(Type.String()),
  config: Type.Record(Type.String(), Type.String()),
  /** The redirect URI to register at the provider: PUBLIC_URL/o/<slug>/connectorauth/callback. */
  redirect_uri: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

const Fields = {
  name: Type.String({ maxLength: 200 }),
  client_id: Type.String({ maxLength: 2000 }),
  client_secret: Type.String({ maxLength: 2000 }),
  scopes: Type.Array(Type.String({ maxLength: 200 }), { maxItems: MAX_SCOPES }),
  config: Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 2000 }), { maxProperties: 50 }),
};
const NewAppConnectorBody = Type.Object(
  {
    provider: Type.String({ maxLength: 100 }),
    name: Fields.name,
    client_id: Type.Optional(Fields.client_id),
    client_secret: Type.Optional(Fields.client_secret),
    scopes: Type.Optional(Fields.scopes),
    config: Type.Optional(Fields.config),
  },
  { additionalProperties: false },
);
const AppConnectorChangeBody = Type.Object(
  {
    name: Type.Optional(Fields.name),
    client_id: Type.Optional(Nullable(Fields.client_id)),
    client_secret: Type.Optional(Nullable(Fields.client_secret)),
    scopes: Type.Optional(Fields.scopes),
    config: Type.Optional(Fields.config),
  },
  { additionalProperties: false },
);
const AppConnectorParams = Type.Object({ app_connector_id: Type.String({ maxLength: 100 }) });

function appConnectorBody(call: ApiCall, app: AppConnector) {
  return {
    id: app.id,
    provider: app.provider,
    name: app.name,
    client_id: app.clientId,
    client_secret_set: app.sealedClientSecret !== null,
    scopes: [...app.scopes],
    config: { ...app.config },
    redirect_uri: connectRedirectUri(call.connectors?.publicUrl ?? '', call.org.slug),
    created_at: iso(app.createdAt),
    updated_at: iso(app.updatedAt),
  };
}

export const APP_CONNECTOR_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'POST',
    url: '/app-connectors',
    permission: 'connectors:write',
    summary: 'Install a provider with the organization\'s app credentials (client_secret is sealed and never shown again); redirect_uri is what to register at the provider',
    tag: 'connectors',
    schema: { body: NewAppConnectorBody, response: { 201: AppConnectorBody } },
    checkBody: (fields) => {
      const errors: InvalidInputError[] = [];
      const provider = fields.provider === undefined ? undefined : collectInvalid(errors, () => providerOrError(fields.provider!));
      return [...errors, ...appConnectorErrors(provider, { name: fields.name, clientId: fields.client_id, clientSecret: fields.client_secret, scopes: fields.scopes, config: fields.config })];
    },
    async handler(call) {
      const { body } = call;
      const app = await addAppConnector(connectorOperationOf(call), {
        provider: body.provider,
        name: body.name,
        clientId: body.client_id,
        clientSecret: body.client_secret,
        scopes: body.scopes,
        config: body.config,
      });
      return { status: 201, body: appConnectorBody(call, app) };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/app-connectors',
    permission: 'connectors:read',
    summary: 'List the app connectors, oldest first',
    tag: 'connectors',
    schema: {
      querystring: Type.Object({ ...PAGE_QUERY }, { additionalProperties: false }),
      response: { 200: Type.Object({ data: Type.Array(AppConnectorBody), next_cursor: Nullable(Type.String()) }) },
    },
    async handler(call) {
      const page = await listAppConnectors(operationOf(call), { limit: pageLimit(call.query), cursor: call.query.cursor });
      return { body: { data: page.items.map((app) => appConnectorBody(call, app)), next_cursor: page.nextCursor } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/app-connectors/:app_connector_id',
    permission: 'connectors:read',
    summary: 'An app connector (never its client secret)',
    tag: 'connectors',
    schema: { params: AppConnectorParams, response: { 200: AppConnectorBody } },
    async handler(call) {
      const app = await getAppConnector(operationOf(call), call.params.app_connector_id);
      return { body: appConnectorBody(call, app), etag: etagOf(app.updatedAt) };
    },
  }),
  apiRoute({
    method: 'PATCH',
    url: '/app-connectors/:app_connector_id',
    permission: 'connectors:write',
    summary: 'Change an app connector: scopes and config replace the stored ones whole; client_id or client_secret null removes it. If-Match (the ETag of a read) refuses a change over another one (412)',
    tag: 'connectors',
    schema: { params: AppConnectorParams, body: AppConnectorChangeBody, response: { 200: AppConnectorBody } },
    // The provider is the stored connector's: config is judged by the handler, the rest here.
    checkBody: (fields) => appConnectorErrors(undefined, { name: fields.name, clientId: fields.client_id, clientSecret: fields.client_secret, scopes: fields.scopes }),
    async handler(call) {
      const { body } = call;
      const app = await updateAppConnector(connectorOperationOf(call), call.params.app_connector_id, {
        name: body.name,
        clientId: body.client_id,
        clientSecret: body.client_secret,
        scopes: body.scopes,
        config: body.config,
      }, { expectedVersion: versionFromIfMatch(call.ifMatch) });
      return { body: appConnectorBody(call, app), etag: etagOf(app.updatedAt) };
    },
  }),
  apiRoute({
    method: 'DELETE',
    url: '/app-connectors/:app_connector_id',
    permission: 'connectors:write',
    summary: 'Delete an app connector no account connector uses (409 while one does)',
    tag: 'connectors',
    schema: { params: AppConnectorParams, response: { 204: Type.Null() } },
    async handler(call) {
      await deleteAppConnector(operationOf(call), call.params.app_connector_id);
      return { status: 204 };
    },
  }),
];
