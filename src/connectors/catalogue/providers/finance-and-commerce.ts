import type { ProviderDefinition } from '../provider-schema.ts';

// Accounting, payments, commerce and messaging providers. Facts from each provider's developer
// documentation as of 2026; where a fact could not be confirmed the entry says so beside it.

export const FINANCE_AND_COMMERCE_PROVIDERS: readonly ProviderDefinition[] = [
  {
    id: 'xero',
    display_name: 'Xero',
    auth_mode: 'oauth2',
    categories: ['accounting'],
    docs_url: 'https://developer.xero.com/documentation/guides/oauth2/auth-flow/',
    authorization_url: 'https://login.xero.com/identity/connect/authorize',
    token_url: 'https://identity.xero.com/connect/token',
    default_scopes: ['openid', 'profile', 'email', 'offline_access'],
    pkce: true,
    client_authentication: 'client_secret_basic',
    // Refresh tokens rotate (the previous one works for a grace period of 30 minutes).
    token_response: { refresh_token_on_refresh: 'rotated' },
    // Calls need the xero-tenant-id header, from GET https://api.xero.com/connections after connecting.
    api_base_url: 'https://api.xero.com',
    example_config: {},
  },
  {
    id: 'quickbooks',
    display_name: 'QuickBooks Online',
    auth_mode: 'oauth2',
    categories: ['accounting'],
    docs_url: 'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0',
    config_fields: [
      {
        name: 'api_host',
        description: 'quickbooks.api.intuit.com for production, sandbox-quickbooks.api.intuit.com for sandbox companies',
        required: false,
        format: 'hostname',
        enum: ['quickbooks.api.intuit.com', 'sandbox-quickbooks.api.intuit.com'],
        default: 'quickbooks.api.intuit.com',
      },
    ],
    authorization_url: 'https://appcenter.intuit.com/connect/oauth2',
    token_url: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
    default_scopes: ['com.intuit.quickbooks.accounting'],
    client_authentication: 'client_secret_basic',
    token_response: {
      refresh_token_expires_in_path: 'x_refresh_token_expires_in',
      // Every refresh returns a refresh token, at times a new one; always keep the latest.
      refresh_token_on_refresh: 'rotated',
    },
    // The company the person picked comes back on the redirect, not in the token response.
    kept_metadata: [{ name: 'realm_id', from: 'callback', path: 'realmId', format: 'path_segment' }],
    api_base_url: 'https://{api_host}/v3/company/{realm_id}',
    example_config: {},
  },
  {
    id: 'stripe-connect',
    display_name: 'Stripe Connect',
    auth_mode: 'oauth2',
    categories: ['payments'],
    docs_url: 'https://docs.stripe.com/connect/oauth-reference',
    authorization_url: 'https://connect.stripe.com/oauth/authorize',
    token_url: 'https://connect.stripe.com/oauth/token',
    default_scopes: ['read_write'],
    // The platform's secret key is the client secret, sent in the body.
    client_authentication: 'client_secret_post',
    // No expires_in: the access token lasts until the account disconnects. Stripe advises calling
    // with the platform key and the Stripe-Account header (stripe_user_id) instead.
    token_response: { refresh_token_on_refresh: 'same' },
    kept_metadata: [{ name: 'stripe_user_id', from: 'token_response', path: 'stripe_user_id', format: 'path_segment' }],
    api_base_url: 'https://api.stripe.com/v1',
    example_config: {},
  },
  {
    id: 'shopify',
    display_name: 'Shopify',
    auth_mode: 'oauth2',
    categories: ['e-commerce'],
    docs_url: 'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant',
    config_fields: [
      {
        name: 'shop',
        description: 'The shop name (acme in acme.myshopify.com)',
        required: true,
        format: 'subdomain',
        pattern: '[a-z0-9][a-z0-9-]*',
      },
    ],
    authorization_url: 'https://{shop}.myshopify.com/admin/oauth/authorize',
    token_url: 'https://{shop}.myshopify.com/admin/oauth/access_token',
    scope_separator: ',',
    default_scopes: ['read_products'],
    client_authentication: 'client_secret_post',
    token_body_format: 'json',
    // Offline tokens do not expire unless the app asks for expiring ones (expiring=1, not asked
    // here). The redirect carries an hmac of its query that the callback should verify.
    api_base_url: 'https://{shop}.myshopify.com/admin/api',
    example_config: { shop: 'acme' },
  },
  {
    id: 'sendgrid',
    display_name: 'SendGrid',
    auth_mode: 'api_key',
    categories: ['communication', 'marketing'],
    docs_url: 'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/authentication',
    api_key: { in: 'header', name: 'Authorization', prefix: 'Bearer ' },
    api_base_url: 'https://api.sendgrid.com/v3',
    example_config: {},
  },
  {
    id: 'twilio',
    display_name: 'Twilio',
    // Account SID as user name, auth token (or an API key's SID and secret) as password.
    auth_mode: 'basic',
    categories: ['communication'],
    docs_url: 'https://www.twilio.com/docs/usage/requests-to-twilio',
    api_base_url: 'https://api.twilio.com/2010-04-01',
    example_config: {},
  },
];
