import { Type } from '@sinclair/typebox';
import { apiRoute, type ApiRoute } from '../api/management-api.ts';
import { NotFoundError } from '../lib/errors.ts';
import { AUTH_MODES } from './catalogue/provider-schema.ts';
import { findProviderView, listProviderViews } from './catalogue/catalogue.ts';

// The provider catalogue, read-only: what a partner picks from and what each connection must give.

const ConfigFieldBody = Type.Object({
  name: Type.String(),
  description: Type.String(),
  required: Type.Boolean(),
  format: Type.String(),
  pattern: Type.Optional(Type.String()),
  enum: Type.Optional(Type.Array(Type.String())),
  default: Type.Optional(Type.String()),
});

const ProviderBody = Type.Object({
  id: Type.String(),
  display_name: Type.String(),
  auth_mode: Type.Union(AUTH_MODES.map((mode) => Type.Literal(mode))),
  categories: Type.Array(Type.String()),
  docs_url: Type.String(),
  config_fields: Type.Array(ConfigFieldBody),
  default_scopes: Type.Array(Type.String()),
});

export const PROVIDER_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'GET',
    url: '/connector-providers',
    permission: 'connectors:read',
    summary: 'The providers an app connector can be made of, ordered by id, with the config fields a connection needs',
    tag: 'connectors',
    schema: { response: { 200: Type.Object({ data: Type.Array(ProviderBody) }) } },
    async handler() {
      return { body: { data: listProviderViews() } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/connector-providers/:provider',
    permission: 'connectors:read',
    summary: 'One provider of the catalogue',
    tag: 'connectors',
    schema: { params: Type.Object({ provider: Type.String({ maxLength: 100 }) }), response: { 200: ProviderBody } },
    async handler(call) {
      const view = findProviderView(call.params.provider);
      if (view === undefined) throw new NotFoundError('provider', call.params.provider);
      return { body: view };
    },
  }),
];
