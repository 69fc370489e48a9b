import type { ProviderDefinition } from '../provider-schema.ts';

// CRM, marketing and support providers. Facts from each provider's developer documentation as of
// 2026; where a fact could not be confirmed the entry says so beside it.

export const CRM_AND_SUPPORT_PROVIDERS: readonly ProviderDefinition[] = [
  {
    id: 'salesforce',
    display_name: 'Salesforce',
    auth_mode: 'oauth2',
    categories: ['crm'],
    docs_url: 'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm',
    config_fields: [
      {
        name: 'login_host',
        description: 'login.salesforce.com, test.salesforce.com for a sandbox, or the org\'s My Domain host (acme.my.salesforce.com)',
        required: false,
        format: 'hostname',
        pattern: '(?:login|test)\\.salesforce\\.com|[A-Za-z0-9-]+(?:--[A-Za-z0-9-]+)?(?:\\.sandbox|\\.develop|\\.scratch)?\\.my\\.salesforce\\.com',
        default: 'login.salesforce.com',
      },
    ],
    authorization_url: 'https://{login_host}/services/oauth2/authorize',
    token_url: 'https://{login_host}/services/oauth2/token',
    default_scopes: ['api', 'refresh_token'],
    pkce: true,
    client_authentication: 'client_secret_post',
    token_response: {
      // No expires_in: the session lasts the org's session timeout (2 hours by default, 15 minutes
      // at the shortest). One hour is assumed; an org set shorter answers 401 first.
      assumed_lifetime_seconds: 3600,
      // Unless the connected app turns on refresh token rotation, a refresh returns no refresh token.
      refresh_token_on_refresh: 'not_returned',
    },
    kept_metadata: [
      { name: 'instance_url', from: 'token_response', path: 'instance_url', format: 'url' },
    ],
    api_base_url: '{instance_url}/services/data',
    example_config: { login_host: 'acme.my.salesforce.com' },
  },
  {
    id: 'hubspot',
    display_name: 'HubSpot',
    auth_mode: 'oauth2',
    categories: ['crm', 'marketing'],
    docs_url: 'https://developers.hubspot.com/docs/api/oauth-quickstart-guide',
    authorization_url: 'https://app.hubspot.com/oauth/authorize',
    // The date-versioned endpoint that replaces /oauth/v1/token (sunset 16 February 2027): the
    // client credentials go in the form body, never the query.
    token_url: 'https://api.hubapi.com/oauth/2026-03/token',
    default_scopes: ['oauth'],
    client_authentication: 'client_secret_post',
    token_response: { refresh_token_on_refresh: 'same' },
    api_base_url: 'https://api.hubapi.com',
    example_config: {},
  },
  {
    id: 'pipedrive',
    display_name: 'Pipedrive',
    auth_mode: 'oauth2',
    categories: ['crm'],
    docs_url: 'https://pipedrive.readme.io/docs/marketplace-oauth-authorization',
    authorization_url: 'https://oauth.pipedrive.com/oauth/authorize',
    token_url: 'https://oauth.pipedrive.com/oauth/token',
    client_authentication: 'client_secret_basic',
    // Scopes are chosen on the app in Pipedrive's Developer Hub, not in the request.
    token_response: { refresh_token_on_refresh: 'rotated' },
    kept_metadata: [{ name: 'api_domain', from: 'token_response', path: 'api_domain', format: 'url' }],
    api_base_url: '{api_domain}/api',
    example_config: {},
  },
  {
    id: 'zoho',
    display_name: 'Zoho',
    auth_mode: 'oauth2',
    categories: ['crm'],
    docs_url: 'https://www.zoho.com/accounts/protocol/oauth/web-apps/authorization.html',
    config_fields: [
      {
        name: 'data_center',
        description: "The domain suffix of the account's data center (com, eu, in, com.au, jp, ca, sa, uk, com.cn)",
        required: false,
        format: 'hostname',
        enum: ['com', 'eu', 'in', 'com.au', 'jp', 'ca', 'sa', 'uk', 'com.cn'],
        default: 'com',
      },
    ],
    authorization_url: 'https://accounts.zoho.{data_center}/oauth/v2/auth',
    token_url: 'https://accounts.zoho.{data_center}/oauth/v2/token',
    scope_separator: ',',
    default_scopes: ['ZohoCRM.modules.ALL'],
    // offline gives a refresh token; consent makes Zoho return one again on a reconnect.
    authorization_params: { access_type: 'offline', prompt: 'consent' },
    client_authentication: 'client_secret_post',
    token_response: { refresh_token_on_refresh: 'not_returned' },
    kept_metadata: [
      { name: 'api_domain', from: 'token_response', path: 'api_domain', format: 'url' },
      // The callback names the accounts server of the user's data center (multi-DC apps).
      { name: 'accounts_server', from: 'callback', path: 'accounts-server', format: 'url' },
    ],
    api_base_url: '{api_domain}',
    example_config: { data_center: 'eu' },
  },
  {
    id: 'neon-crm',
    display_name: 'Neon CRM',
    // Neon CRM has no OAuth for system users (its OAuth signs in constituents only): API v2 takes
    // HTTP Basic with the org ID as user name and a user's API key as password.
    auth_mode: 'basic',
    categories: ['crm', 'nonprofit'],
    docs_url: 'https://developer.neoncrm.com/authentication/',
    config_fields: [
      {
        name: 'api_host',
        description: 'api.neoncrm.com for production and sandbox instances, trial.neoncrm.com for trials',
        required: false,
        format: 'hostname',
        enum: ['api.neoncrm.com', 'trial.neoncrm.com'],
        default: 'api.neoncrm.com',
      },
    ],
    api_base_url: 'https://{api_host}/v2',
    example_config: {},
  },
  {
    id: 'intercom',
    display_name: 'Intercom',
    auth_mode: 'oauth2',
    categories: ['support', 'communication'],
    docs_url: 'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth',
    config_fields: [
      {
        name: 'app_host',
        description: "The workspace's region: app.intercom.com (US), app.eu.intercom.com or app.au.intercom.com",
        required: false,
        format: 'hostname',
        enum: ['app.intercom.com', 'app.eu.intercom.com', 'app.au.intercom.com'],
        default: 'app.intercom.com',
      },
      {
        name: 'api_host',
        description: "The workspace's region: api.intercom.io (US), api.eu.intercom.io or api.au.intercom.io",
        required: false,
        format: 'hostname',
        enum: ['api.intercom.io', 'api.eu.intercom.io', 'api.au.intercom.io'],
        default: 'api.intercom.io',
      },
    ],
    authorization_url: 'https://{app_host}/oauth',
    token_url: 'https://{api_host}/auth/eagle/token',
    client_authentication: 'client_secret_post',
    // Permissions are set on the app, not requested; tokens do not expire and there is no refresh.
    api_base_url: 'https://{api_host}',
    example_config: { app_host: 'app.eu.intercom.com', api_host: 'api.eu.intercom.io' },
  },
  {
    id: 'zendesk',
    display_name: 'Zendesk',
    auth_mode: 'oauth2',
    categories: ['support'],
    docs_url: 'https://developer.zendesk.com/documentation/ticketing/working-with-oauth/creating-and-using-oauth-tokens-with-the-api/',
    config_fields: [
      { name: 'subdomain', description: 'The account subdomain (acme in acme.zendesk.com)', required: true, format: 'subdomain' },
    ],
    authorization_url: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
    token_url: 'https://{subdomain}.zendesk.com/oauth/tokens',
    default_scopes: ['read'],
    // Zendesk documents PKCE (S256) for its OAuth clients.
    pkce: true,
    client_authentication: 'client_secret_post',
    token_body_format: 'json',
    // Tokens without expires_in do not expire; Zendesk issues expiring tokens with refresh tokens
    // only when asked (expires_in in the token request), which this entry does not do.
    api_base_url: 'https://{subdomain}.zendesk.com/api/v2',
    example_config: { subdomain: 'acme' },
  },
  {
    id: 'mailchimp',
    display_name: 'Mailchimp',
    auth_mode: 'oauth2',
    categories: ['marketing'],
    docs_url: 'https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/',
    config_fields: [
      {
        name: 'dc',
        description: "The account's data center (us6), from https://login.mailchimp.com/oauth2/metadata after connecting",
        required: false,
        format: 'subdomain',
        pattern: '[a-z]+[0-9]+',
      },
    ],
    authorization_url: 'https://login.mailchimp.com/oauth2/authorize',
    token_url: 'https://login.mailchimp.com/oauth2/token',
    client_authentication: 'client_secret_post',
    // No scopes; the token never expires and there is no refresh token.
    api_base_url: 'https://{dc}.api.mailchimp.com/3.0',
    example_config: { dc: 'us6' },
  },
];
