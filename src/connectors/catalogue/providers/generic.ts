import type { ProviderDefinition } from '../provider-schema.ts';

// The generic entries: their ids and config fields are a public contract (issue 11), for any
// provider the catalogue does not list. URL config values must be https without a query; an
// authorization endpoint that needs a fixed query parameter takes it from the app connector's
// settings, not the URL.

export const GENERIC_PROVIDERS: readonly ProviderDefinition[] = [
  {
    id: 'openid-connect',
    display_name: 'OpenID Connect',
    auth_mode: 'oauth2',
    categories: ['generic', 'identity'],
    docs_url: 'https://openid.net/specs/openid-connect-discovery-1_0.html',
    config_fields: [
      {
        name: 'issuer',
        description: 'The issuer URL; the endpoints are read from {issuer}/.well-known/openid-configuration',
        required: true,
        format: 'url',
      },
      { name: 'api_base_url', description: 'The base URL of the provider\'s API, for the API proxy (https)', required: false, format: 'url' },
    ],
    issuer: '{issuer}',
    api_base_url: '{api_base_url}',
    default_scopes: ['openid'],
    // Sent always: a server without PKCE ignores the parameters (RFC 6749 §3.1), and one with it is protected (RFC 9700 §2.1.1).
    pkce: true,
    example_config: { issuer: 'https://login.example.com', api_base_url: 'https://api.example.com/v1' },
  },
  {
    id: 'oauth2',
    display_name: 'OAuth 2.0 (authorization code)',
    auth_mode: 'oauth2',
    categories: ['generic'],
    docs_url: 'https://www.rfc-editor.org/rfc/rfc6749#section-4.1',
    config_fields: [
      { name: 'authorization_url', description: 'The authorization endpoint (https)', required: true, format: 'url' },
      { name: 'token_url', description: 'The token endpoint (https)', required: true, format: 'url' },
      { name: 'api_base_url', description: 'The base URL of the provider\'s API, for the API proxy (https)', required: false, format: 'url' },
    ],
    authorization_url: '{authorization_url}',
    token_url: '{token_url}',
    api_base_url: '{api_base_url}',
    pkce: true,
    example_config: { authorization_url: 'https://auth.example.com/oauth/authorize', token_url: 'https://auth.example.com/oauth/token', api_base_url: 'https://api.example.com/v1' },
  },
  {
    id: 'oauth2-client-credentials',
    display_name: 'OAuth 2.0 (client credentials)',
    auth_mode: 'oauth2_client_credentials',
    categories: ['generic'],
    docs_url: 'https://www.rfc-editor.org/rfc/rfc6749#section-4.4',
    config_fields: [
      { name: 'token_url', description: 'The token endpoint (https)', required: true, format: 'url' },
      { name: 'api_base_url', description: 'The base URL of the provider\'s API, for the API proxy (https)', required: false, format: 'url' },
    ],
    token_url: '{token_url}',
    api_base_url: '{api_base_url}',
    example_config: { token_url: 'https://auth.example.com/oauth/token', api_base_url: 'https://api.example.com/v1' },
  },
  {
    id: 'api-key',
    display_name: 'API key',
    auth_mode: 'api_key',
    categories: ['generic'],
    docs_url: 'https://www.rfc-editor.org/rfc/rfc6750#section-2.1',
    config_fields: [{ name: 'api_base_url', description: 'The base URL of the API the key is for (https)', required: false, format: 'url' }],
    api_key: { in: 'header', name: 'Authorization', prefix: 'Bearer ' },
    api_base_url: '{api_base_url}',
    example_config: { api_base_url: 'https://api.example.com/v1' },
  },
  {
    id: 'basic',
    display_name: 'HTTP Basic',
    auth_mode: 'basic',
    categories: ['generic'],
    docs_url: 'https://www.rfc-editor.org/rfc/rfc7617',
    config_fields: [{ name: 'api_base_url', description: 'The base URL of the API the credentials are for (https)', required: false, format: 'url' }],
    api_base_url: '{api_base_url}',
    example_config: { api_base_url: 'https://api.example.com/v1' },
  },
  {
    // Another Gatehouse organization (of this installation or another): discovered like any OpenID
    // provider, its issuer being PUBLIC_URL/o/<slug> of that installation.
    id: 'gatehouse',
    display_name: 'Gatehouse',
    auth_mode: 'oauth2',
    categories: ['identity'],
    docs_url: 'https://openid.net/specs/openid-connect-discovery-1_0.html',
    config_fields: [
      { name: 'gatehouse_url', description: "The installation's PUBLIC_URL (https)", required: true, format: 'url' },
      { name: 'org', description: "The organization's slug", required: true, format: 'path_segment', pattern: '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?' },
    ],
    issuer: '{gatehouse_url}/o/{org}',
    default_scopes: ['openid', 'offline_access'],
    pkce: true,
    // Gatehouse rotates refresh tokens and revokes the family on reuse (docs/architecture.md).
    token_response: { refresh_token_on_refresh: 'rotated' },
    example_config: { gatehouse_url: 'https://id.example.org', org: 'acme' },
  },
];
