import type { ProviderDefinition } from '../provider-schema.ts';

// Identity providers a customer runs under their own domain, and public-sector platforms. Facts
// from each provider's documentation as of 2026; where a fact could not be confirmed the entry
// says so beside it.

export const IDENTITY_AND_PUBLIC_SECTOR_PROVIDERS: readonly ProviderDefinition[] = [
  {
    id: 'okta',
    display_name: 'Okta',
    auth_mode: 'oauth2',
    categories: ['identity'],
    docs_url: 'https://developer.okta.com/docs/guides/implement-grant-type/authcode/main/',
    config_fields: [
      { name: 'okta_domain', description: 'The Okta domain (dev-123456.okta.com, or a custom domain)', required: true, format: 'hostname' },
      {
        name: 'authorization_server',
        description: 'The custom authorization server id (default); the org authorization server needs the generic openid-connect entry',
        required: false,
        format: 'path_segment',
        default: 'default',
      },
    ],
    authorization_url: 'https://{okta_domain}/oauth2/{authorization_server}/v1/authorize',
    token_url: 'https://{okta_domain}/oauth2/{authorization_server}/v1/token',
    default_scopes: ['openid', 'profile', 'email', 'offline_access'],
    pkce: true,
    client_authentication: 'client_secret_basic',
    // Refresh token rotation is a per-app setting; assume it is on.
    token_response: { refresh_token_on_refresh: 'rotated' },
    api_base_url: 'https://{okta_domain}',
    example_config: { okta_domain: 'dev-123456.okta.com' },
  },
  {
    id: 'auth0',
    display_name: 'Auth0',
    auth_mode: 'oauth2',
    categories: ['identity'],
    docs_url: 'https://auth0.com/docs/get-started/authentication-and-authorization-flow/authorization-code-flow',
    config_fields: [
      { name: 'domain', description: 'The tenant domain (acme.eu.auth0.com, or a custom domain)', required: true, format: 'hostname' },
    ],
    authorization_url: 'https://{domain}/authorize',
    token_url: 'https://{domain}/oauth/token',
    // An API's audience, when one is wanted, goes in the app connector's settings.
    default_scopes: ['openid', 'profile', 'email', 'offline_access'],
    pkce: true,
    // Auth0's default token endpoint method for regular web applications.
    client_authentication: 'client_secret_post',
    // Refresh token rotation is a per-application setting; assume it is on.
    token_response: { refresh_token_on_refresh: 'rotated' },
    api_base_url: 'https://{domain}',
    example_config: { domain: 'acme.eu.auth0.com' },
  },
  {
    id: 'jadu-connect',
    display_name: 'Jadu Connect',
    auth_mode: 'oauth2',
    categories: ['public-sector', 'crm'],
    docs_url: 'https://docs.jadu.net/connect/cxm-sso-with-oauth/authentication/',
    config_fields: [
      { name: 'instance_host', description: 'The host of the Jadu Connect instance (cxm.example.gov.uk)', required: true, format: 'hostname' },
    ],
    authorization_url: 'https://{instance_host}/q/oauth/v2/auth',
    // Not confirmed: the documentation's example shows the authorization path only; the token path
    // is inferred from it (the /oauth/v2/auth and /oauth/v2/token pair of the OAuth server bundle it uses).
    token_url: 'https://{instance_host}/q/oauth/v2/token',
    // The OAuth client is created by Jadu on request; no scopes are documented.
    client_authentication: 'client_secret_post',
    // Uncertain: the lifetimes and refresh behaviour are not documented; the safe assumption (rotated) is kept.
    token_response: { refresh_token_on_refresh: 'rotated' },
    // No API base: Jadu Connect's Service API has its own URL and key, set up separately.
    example_config: { instance_host: 'cxm.example.gov.uk' },
  },
];
