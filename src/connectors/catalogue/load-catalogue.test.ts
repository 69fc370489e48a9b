import { describe, expect, it } from 'vitest';
import { CatalogueEntryError } from './catalogue-errors.ts';
import { loadCatalogue } from './load-catalogue.ts';

// A correct entry, then one mistake at a time: each must stop loading with the entry and the field named.
const ZENDESK = {
  id: 'zendesk',
  display_name: 'Zendesk',
  auth_mode: 'oauth2',
  categories: ['support'],
  docs_url: 'https://developer.zendesk.com/',
  config_fields: [{ name: 'subdomain', description: 'The account subdomain', required: true, format: 'subdomain', pattern: '[a-z0-9-]+' }],
  authorization_url: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
  token_url: 'https://{subdomain}.zendesk.com/oauth/tokens',
  default_scopes: ['read'],
  api_base_url: 'https://{subdomain}.zendesk.com/api/v2',
  example_config: { subdomain: 'acme' },
};

function loadError(...definitions: unknown[]): string {
  try {
    loadCatalogue(definitions);
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogueEntryError);
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected loadCatalogue to refuse the entry');
}

describe('loadCatalogue', () => {
  it('loads a correct entry with its defaults filled in', () => {
    const zendesk = loadCatalogue([ZENDESK]).get('zendesk');
    expect(zendesk?.oauth).toMatchObject({
      endpoints: { kind: 'templated', tokenUrl: ZENDESK.token_url, refreshUrl: ZENDESK.token_url },
      scopeSeparator: ' ',
      clientAuthentication: 'client_secret_basic',
      tokenBodyFormat: 'form',
      pkce: false,
      tokenResponse: { accessTokenPath: 'access_token', expiresInUnit: 'seconds', assumedLifetimeSeconds: null, refreshTokenOnRefresh: 'rotated' },
    });
    expect(zendesk?.configFields[0]?.pattern?.test('acme')).toBe(true);
    expect(zendesk?.configFields[0]?.pattern?.test('acme.evil')).toBe(false);
  });

  it('maps the token response quirks an entry declares', () => {
    const quirks = {
      scope_separator: ',',
      client_authentication: 'client_secret_post',
      token_body_format: 'json',
      pkce: true,
      refresh_url: 'https://{subdomain}.zendesk.com/oauth/refresh',
      token_response: {
        access_token_path: 'data.token',
        expires_in_path: 'data.ttl',
        expires_in_unit: 'milliseconds',
        assumed_lifetime_seconds: 600,
        refresh_token_expires_in_path: 'data.refresh_ttl',
        refresh_token_on_refresh: 'not_returned',
        errors_with_http_200: true,
      },
    };
    expect(loadCatalogue([{ ...ZENDESK, ...quirks }]).get('zendesk')?.oauth).toMatchObject({
      endpoints: { kind: 'templated', refreshUrl: 'https://{subdomain}.zendesk.com/oauth/refresh' },
      scopeSeparator: ',',
      clientAuthentication: 'client_secret_post',
      tokenBodyFormat: 'json',
      pkce: true,
      tokenResponse: {
        accessTokenPath: 'data.token',
        refreshTokenPath: 'refresh_token',
        expiresInPath: 'data.ttl',
        expiresInUnit: 'milliseconds',
        assumedLifetimeSeconds: 600,
        refreshTokenExpiresInPath: 'data.refresh_ttl',
        refreshTokenOnRefresh: 'not_returned',
        errorsWithHttp200: true,
      },
    });
  });

  it.each([
    ['a placeholder no field declares', { token_url: 'https://{sub}.zendesk.com/oauth/tokens' }, "catalogue entry 'zendesk': token_url: unknown placeholder {sub}"],
    ['an unknown auth mode', { auth_mode: 'oauth3' }, `catalogue entry 'zendesk': auth_mode: must be one of "oauth2", "oauth2_client_credentials", "api_key", "basic"`],
    ['an unknown category', { categories: ['helpdesk'] }, "catalogue entry 'zendesk': categories[0]: must be one of "],
    ['a misspelt key', { tokne_url: 'https://x.example.com' }, "catalogue entry 'zendesk': tokne_url: unexpected property"],
    ['docs not on https', { docs_url: 'http://developer.zendesk.com/' }, "catalogue entry 'zendesk': docs_url: expected string to match '^https://'"],
    ['a flag of the wrong type', { pkce: 'yes' }, "catalogue entry 'zendesk': pkce: expected boolean"],
    ['a config field of an unknown format', { config_fields: [{ ...ZENDESK.config_fields[0], format: 'domain' }] }, `catalogue entry 'zendesk': config_fields[0].format: must be one of "subdomain", "hostname", "path_segment", "url"`],
    ['a template over http', { authorization_url: 'http://{subdomain}.zendesk.com/oauth/authorizations/new' }, "catalogue entry 'zendesk': authorization_url: must start with https:// or a URL placeholder"],
    ['a host placeholder in the path', { token_url: 'https://zendesk.com/{subdomain}/oauth/tokens' }, "catalogue entry 'zendesk': token_url: placeholder {subdomain} is a subdomain and must be in the host"],
    ['unbalanced braces', { api_base_url: 'https://{subdomain.zendesk.com/api/v2' }, "catalogue entry 'zendesk': api_base_url: unbalanced { or }"],
    ['a parameter the hub sets', { authorization_params: { state: 'fixed' } }, "catalogue entry 'zendesk': authorization_params.state: is set by the hub on every request, not by the catalogue"],
    ['a token parameter the hub sets', { refresh_params: { grant_type: 'password' } }, "catalogue entry 'zendesk': refresh_params.grant_type: is set by the hub on every request, not by the catalogue"],
    ['oauth2 without a token URL', { token_url: undefined }, "catalogue entry 'zendesk': token_url: is required by auth_mode oauth2 (or an issuer to discover it from)"],
    ['both an issuer and fixed endpoints', { issuer: 'https://{subdomain}.zendesk.com' }, "catalogue entry 'zendesk': authorization_url: must be absent when the endpoints are discovered from issuer"],
    ['OAuth settings on a basic entry', { auth_mode: 'basic', authorization_url: undefined, default_scopes: undefined }, "catalogue entry 'zendesk': token_url: is not used by auth_mode basic"],
    ['an api_key entry without a placement', { auth_mode: 'api_key', authorization_url: undefined, token_url: undefined, default_scopes: undefined }, "catalogue entry 'zendesk': api_key: is required by auth_mode api_key (where the key goes)"],
    ['client credentials with PKCE', { auth_mode: 'oauth2_client_credentials', authorization_url: undefined, pkce: true }, "catalogue entry 'zendesk': pkce: is not used by auth_mode oauth2_client_credentials (no browser, no code)"],
    ['a pattern that is no regular expression', { config_fields: [{ ...ZENDESK.config_fields[0], pattern: '[a-z' }] }, "catalogue entry 'zendesk': config_fields[0].pattern: is not a regular expression"],
    ['a default of the wrong format', { config_fields: [{ ...ZENDESK.config_fields[0], default: 'acme.evil.com' }] }, "catalogue entry 'zendesk': config_fields[0].default: must be one DNS label: letters, digits and inner hyphens, at most 63 characters (format subdomain)"],
    ['a field declared twice', { config_fields: [ZENDESK.config_fields[0], ZENDESK.config_fields[0]] }, "catalogue entry 'zendesk': config_fields[1].name: 'subdomain' is declared twice"],
    ['an optional field without default in a flow URL', { config_fields: [{ ...ZENDESK.config_fields[0], required: false }] }, "catalogue entry 'zendesk': authorization_url: placeholder {subdomain} names an optional field without a default"],
    ['an example the pattern refuses', { example_config: { subdomain: 'ACME' } }, "catalogue entry 'zendesk': example_config.subdomain: must match ^(?:[a-z0-9-]+)$"],
    ['an example the format refuses', { example_config: { subdomain: 'acme.evil.com' } }, "catalogue entry 'zendesk': example_config.subdomain: must be one DNS label: letters, digits and inner hyphens, at most 63 characters"],
    ['an example missing', { example_config: {} }, "catalogue entry 'zendesk': example_config.subdomain: is missing, and authorization_url needs it"],
    ['an example of no field', { example_config: { subdomain: 'acme', region: 'eu' } }, "catalogue entry 'zendesk': example_config.region: is not a config field of this entry"],
    ['a scope holding the separator', { scope_separator: ',', default_scopes: ['read,write'] }, "catalogue entry 'zendesk': default_scopes[0]: contains the scope separator"],
    ['metadata used before the flow returns it', { kept_metadata: [{ name: 'api_domain', from: 'token_response', path: 'api_domain', format: 'url' }], token_url: '{api_domain}/oauth/tokens' }, "catalogue entry 'zendesk': token_url: unknown placeholder {api_domain}"],
  ])('refuses %s', (_, change, message) => {
    const actual = loadError({ ...ZENDESK, ...change });
    // The list of categories is long: its start is enough.
    if (message.endsWith('of ')) expect(actual.startsWith(message), actual).toBe(true);
    else expect(actual).toBe(message);
  });

  it('lets the API base use what the flow keeps, and nothing undeclared', () => {
    const kept = { kept_metadata: [{ name: 'api_domain', from: 'token_response', path: 'api_domain', format: 'url' }] };
    expect(loadCatalogue([{ ...ZENDESK, ...kept, api_base_url: '{api_domain}/api' }]).get('zendesk')?.apiBaseUrl).toBe('{api_domain}/api');
    expect(loadError({ ...ZENDESK, ...kept, api_base_url: '{api_host}/api' })).toBe("catalogue entry 'zendesk': api_base_url: unknown placeholder {api_host}");
  });

  it('refuses a second entry with the same id, and names an entry without one by its place', () => {
    expect(loadError(ZENDESK, ZENDESK)).toBe("catalogue entry 'zendesk': id: is used by an earlier entry");
    expect(loadError(ZENDESK, 'not an entry')).toBe("catalogue entry '#1': (entry): expected object");
    expect(loadError({ ...ZENDESK, id: 'Zendesk!' })).toBe("catalogue entry 'Zendesk!': id: expected string to match '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$'");
  });
});
