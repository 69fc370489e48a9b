import { describe, expect, it } from 'vitest';
import { newCodeVerifier, s256CodeChallenge } from '../../lib/pkce.ts';
import { authorizationUrl } from './authorization-url.ts';
import { CATALOGUE, findProvider, findProviderView, listProviderViews } from './catalogue.ts';
import { AuthorizationRequestError, UnsafeEndpointError } from './catalogue-errors.ts';
import { issuerUrl, refreshUrl, tokenUrl } from './endpoints.ts';
import type { Provider } from './provider.ts';
import { providerView, providerViews } from './public-view.ts';

const GENERIC_IDS = ['openid-connect', 'oauth2', 'oauth2-client-credentials', 'api-key', 'basic'];
const NAMED_IN_THE_ISSUE = [
  'google', 'microsoft', 'salesforce', 'hubspot', 'slack', 'github', 'xero', 'quickbooks', 'zoom', 'dropbox',
  'box', 'notion', 'atlassian', 'shopify', 'mailchimp', 'zendesk', 'intercom', 'linkedin', 'asana', 'pipedrive',
  'zoho', 'docusign', 'calendly', 'eventbrite', 'stripe-connect', 'okta', 'auth0', 'neon-crm', 'jadu-connect', 'gatehouse',
];

function provider(id: string): Provider {
  const found = findProvider(id);
  if (found === undefined) throw new Error(`no provider ${id}`);
  return found;
}

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

const REDIRECT_URI = 'https://id.example.org/o/acme/connectorauth/callback';

/** What discovery would give for an entry with an issuer: its authorization endpoint. */
function discovered(entry: Provider): string | undefined {
  return entry.oauth?.endpoints.kind === 'discovered' ? `${issuerUrl(entry, entry.exampleConfig)}/authorize` : undefined;
}

describe('the catalogue', () => {
  it('has every provider the issue names and at least 30 real ones besides the generic entries', () => {
    const ids = [...CATALOGUE.keys()];
    expect(ids).toEqual(expect.arrayContaining([...GENERIC_IDS, ...NAMED_IN_THE_ISSUE]));
    expect(ids.filter((id) => !GENERIC_IDS.includes(id)).length).toBeGreaterThanOrEqual(30);
  });

  const oauthEntries = [...CATALOGUE.values()].filter((entry) => entry.authMode === 'oauth2').map((entry) => [entry.id, entry] as const);
  it.each(oauthEntries)('%s renders its authorization URL from its example config', (_, entry) => {
    const verifier = newCodeVerifier();
    const url = new URL(
      authorizationUrl(entry, {
        clientId: 'client-1',
        redirectUri: REDIRECT_URI,
        state: 'state-1',
        codeChallenge: s256CodeChallenge(verifier),
        config: entry.exampleConfig,
        discoveredAuthorizationEndpoint: discovered(entry),
      }),
    );
    const oauth = entry.oauth!;
    expect(url.protocol).toBe('https:');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe('client-1');
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(url.searchParams.get('state')).toBe('state-1');
    expect(url.searchParams.get('scope')).toBe(oauth.defaultScopes.length === 0 ? null : oauth.defaultScopes.join(oauth.scopeSeparator));
    expect(url.searchParams.get('code_challenge')).toBe(oauth.pkce ? s256CodeChallenge(verifier) : null);
    expect(url.searchParams.get('code_challenge_method')).toBe(oauth.pkce ? 'S256' : null);
    for (const [name, value] of Object.entries(oauth.authorizationParams)) expect(url.searchParams.getAll(name)).toEqual([value]);
    // No parameter twice: a provider reading the first or the last must see the same thing.
    expect(new Set(url.searchParams.keys()).size).toBe([...url.searchParams.keys()].length);
  });

  const templatedEntries = [...CATALOGUE.values()].filter((entry) => entry.oauth?.endpoints.kind === 'templated').map((entry) => [entry.id, entry] as const);
  it.each(templatedEntries)('%s renders its token and refresh URLs from its example config', (_, entry) => {
    expect(new URL(tokenUrl(entry, entry.exampleConfig)!).protocol).toBe('https:');
    expect(new URL(refreshUrl(entry, entry.exampleConfig)!).protocol).toBe('https:');
  });

  it('renders the Zendesk authorization URL exactly', () => {
    expect(
      authorizationUrl(provider('zendesk'), { clientId: 'c 1', redirectUri: REDIRECT_URI, scopes: ['read', 'write'], state: 's', codeChallenge: 'x'.repeat(43), config: { subdomain: 'acme' } }),
    ).toBe(
      'https://acme.zendesk.com/oauth/authorizations/new?response_type=code&client_id=c%201&redirect_uri=https%3A%2F%2Fid.example.org%2Fo%2Facme%2Fconnectorauth%2Fcallback' +
        `&scope=read%20write&state=s&code_challenge=${'x'.repeat(43)}&code_challenge_method=S256`,
    );
  });

  it("joins scopes with the entry's separator and adds its extra parameters", () => {
    const shopify = new URL(authorizationUrl(provider('shopify'), { clientId: 'c', redirectUri: REDIRECT_URI, scopes: ['read_products', 'write_orders'], state: 's', config: { shop: 'acme' } }));
    expect(shopify.host).toBe('acme.myshopify.com');
    expect(shopify.searchParams.get('scope')).toBe('read_products,write_orders');
    const google = new URL(authorizationUrl(provider('google'), { clientId: 'c', redirectUri: REDIRECT_URI, state: 's', codeChallenge: 'x'.repeat(43), config: {} }));
    expect(google.searchParams.get('access_type')).toBe('offline');
    expect(google.searchParams.get('prompt')).toBe('consent');
    expect(google.searchParams.get('scope')).toBe('openid email');
    const none = new URL(authorizationUrl(provider('google'), { clientId: 'c', redirectUri: REDIRECT_URI, scopes: [], state: 's', codeChallenge: 'x'.repeat(43), config: {} }));
    expect(none.searchParams.has('scope')).toBe(false);
  });

  it('refuses to build a URL without what the entry needs', () => {
    expect(thrown(() => authorizationUrl(provider('google'), { clientId: 'c', redirectUri: REDIRECT_URI, state: 's', config: {} }))).toBeInstanceOf(AuthorizationRequestError);
    expect(thrown(() => authorizationUrl(provider('openid-connect'), { clientId: 'c', redirectUri: REDIRECT_URI, state: 's', codeChallenge: 'x'.repeat(43), config: { issuer: 'https://login.example.com' } }))).toBeInstanceOf(
      AuthorizationRequestError,
    );
    expect(thrown(() => authorizationUrl(provider('oauth2-client-credentials'), { clientId: 'c', redirectUri: REDIRECT_URI, state: 's', config: { token_url: 'https://a.example.com/token' } }))).toBeInstanceOf(
      AuthorizationRequestError,
    );
    expect(thrown(() => authorizationUrl(provider('api-key'), { clientId: 'c', redirectUri: REDIRECT_URI, state: 's', config: {} }))).toBeInstanceOf(AuthorizationRequestError);
  });

  it('sends the browser only to an https discovered endpoint, http only when allowed', () => {
    const request = { clientId: 'c', redirectUri: REDIRECT_URI, state: 's', codeChallenge: 'x'.repeat(43), config: { issuer: 'https://login.example.com' } };
    const entry = provider('openid-connect');
    expect(authorizationUrl(entry, { ...request, discoveredAuthorizationEndpoint: 'https://login.example.com/auth?tenant=1' })).toMatch(/^https:\/\/login\.example\.com\/auth\?tenant=1&response_type=code&/);
    expect(thrown(() => authorizationUrl(entry, { ...request, discoveredAuthorizationEndpoint: 'http://login.example.com/auth' }))).toBeInstanceOf(UnsafeEndpointError);
    expect(thrown(() => authorizationUrl(entry, { ...request, discoveredAuthorizationEndpoint: 'javascript:alert(1)' }))).toBeInstanceOf(UnsafeEndpointError);
    expect(authorizationUrl(entry, { ...request, discoveredAuthorizationEndpoint: 'http://127.0.0.1:4000/auth' }, { allowHttp: true })).toMatch(/^http:\/\/127\.0\.0\.1:4000\/auth\?/);
  });
});

describe('the generic entries (a public contract)', () => {
  it.each([
    // api_base_url (optional, added for the API proxy, issue 12): where the proxy forwards to.
    ['openid-connect', 'oauth2', [['issuer', true, 'url'], ['api_base_url', false, 'url']]],
    ['oauth2', 'oauth2', [['authorization_url', true, 'url'], ['token_url', true, 'url'], ['api_base_url', false, 'url']]],
    ['oauth2-client-credentials', 'oauth2_client_credentials', [['token_url', true, 'url'], ['api_base_url', false, 'url']]],
    ['api-key', 'api_key', [['api_base_url', false, 'url']]],
    ['basic', 'basic', [['api_base_url', false, 'url']]],
  ] as const)('%s: auth_mode %s with its config fields', (id, authMode, fields) => {
    const view = providerView(provider(id));
    expect(view.auth_mode).toBe(authMode);
    expect(view.config_fields.map((field) => [field.name, field.required, field.format])).toEqual(fields);
  });

  it('discovers openid-connect and gatehouse from the issuer, and takes the other endpoints from config', () => {
    expect(issuerUrl(provider('openid-connect'), { issuer: 'https://login.example.com' })).toBe('https://login.example.com');
    expect(issuerUrl(provider('gatehouse'), { gatehouse_url: 'https://id.example.org', org: 'acme' })).toBe('https://id.example.org/o/acme');
    expect(tokenUrl(provider('oauth2-client-credentials'), { token_url: 'https://auth.example.com/token' })).toBe('https://auth.example.com/token');
    expect(thrown(() => issuerUrl(provider('gatehouse'), { gatehouse_url: 'https://id.example.org', org: '../admin' }))).toMatchObject({ field: 'config.org' });
  });
});

describe('the public view', () => {
  it('shows what a partner needs to pick a provider and nothing of how the hub calls it', () => {
    expect(providerView(provider('zendesk'))).toEqual({
      id: 'zendesk',
      display_name: 'Zendesk',
      auth_mode: 'oauth2',
      categories: ['support'],
      docs_url: 'https://developer.zendesk.com/documentation/ticketing/working-with-oauth/creating-and-using-oauth-tokens-with-the-api/',
      config_fields: [{ name: 'subdomain', description: 'The account subdomain (acme in acme.zendesk.com)', required: true, format: 'subdomain' }],
      default_scopes: ['read'],
    });
    expect(providerView(provider('zoho')).config_fields[0]).toMatchObject({ name: 'data_center', required: false, default: 'com', enum: expect.arrayContaining(['eu']) });
  });

  it('finds one entry by id, and nothing for an unknown one', () => {
    expect(findProviderView('slack')).toEqual(providerView(provider('slack')));
    expect(findProviderView('nope')).toBeUndefined();
    expect(findProviderView('__proto__')).toBeUndefined();
  });

  it('lists every entry once, by id', () => {
    const views = listProviderViews();
    expect(views).toEqual(providerViews(CATALOGUE.values()));
    expect(views.map((view) => view.id)).toEqual([...CATALOGUE.keys()].sort());
    expect(JSON.parse(JSON.stringify(views))).toEqual(views);
  });
});
