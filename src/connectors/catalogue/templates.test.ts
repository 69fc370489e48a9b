import { describe, expect, it } from 'vitest';
import { findProvider } from './catalogue.ts';
import { InvalidTemplateValueError, MissingTemplateValueError } from './catalogue-errors.ts';
import { apiBaseUrl, issuerUrl, tokenUrl } from './endpoints.ts';
import type { ConfigFormat, Provider } from './provider.ts';
import { checkTemplate } from './templates.ts';

function provider(id: string): Provider {
  const found = findProvider(id);
  if (found === undefined) throw new Error(`no provider ${id}`);
  return found;
}

/** The error a call throws, so that its class and every field can be asserted. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('rendering a template from connection config', () => {
  it('fills a subdomain, a host name and a path segment, and uses a default', () => {
    expect(tokenUrl(provider('zendesk'), { subdomain: 'acme' })).toBe('https://acme.zendesk.com/oauth/tokens');
    expect(tokenUrl(provider('okta'), { okta_domain: 'login.acme.com' })).toBe('https://login.acme.com/oauth2/default/v1/token');
    expect(tokenUrl(provider('microsoft'), { tenant: 'contoso.onmicrosoft.com' })).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    expect(tokenUrl(provider('salesforce'), {})).toBe('https://login.salesforce.com/services/oauth2/token');
    expect(tokenUrl(provider('salesforce'), { login_host: '' })).toBe('https://login.salesforce.com/services/oauth2/token');
  });

  it('normalises a URL value so that the template adds no double slash', () => {
    expect(issuerUrl(provider('gatehouse'), { gatehouse_url: 'https://id.example.org/auth/', org: 'acme' })).toBe('https://id.example.org/auth/o/acme');
    expect(tokenUrl(provider('oauth2'), { authorization_url: 'https://a.example.com/authorize', token_url: 'https://a.example.com/token' })).toBe(
      'https://a.example.com/token',
    );
  });

  it('names the missing field of a required value', () => {
    const error = thrown(() => tokenUrl(provider('zendesk'), {}));
    expect(error).toBeInstanceOf(MissingTemplateValueError);
    expect(error).toMatchObject({ field: 'config.subdomain', provider: 'zendesk', message: "config.subdomain: is required by provider 'zendesk'" });
    expect(thrown(() => issuerUrl(provider('openid-connect'), { issuer: '' }))).toMatchObject({ field: 'config.issuer' });
  });

  // Each of these would move the URL to another host or another path if pasted in as is.
  it.each([
    ['evil.com/x', 'a slash'],
    ['evil.com', 'a dot (another domain)'],
    ['user@evil', 'an at sign'],
    ['acme?x=1', 'a query'],
    ['acme#x', 'a fragment'],
    ['..', 'dot segments'],
    ['acme:8443', 'a port'],
    ['-acme', 'a leading hyphen'],
    ['ac me', 'a space'],
    ['a'.repeat(64), 'a label over 63 characters'],
  ])('refuses %j where a subdomain goes (%s)', (value) => {
    const error = thrown(() => tokenUrl(provider('zendesk'), { subdomain: value }));
    expect(error).toBeInstanceOf(InvalidTemplateValueError);
    expect(error).toMatchObject({ field: 'config.subdomain', message: 'config.subdomain: must be one DNS label: letters, digits and inner hyphens, at most 63 characters' });
  });

  it.each(['evil.com/x', 'user@evil.com', 'evil.com?', 'evil.com#', 'a..b', 'evil.com:443', '.evil.com', 'evil.com.'])('refuses %j where a host name goes', (value) => {
    const error = thrown(() => tokenUrl(provider('okta'), { okta_domain: value }));
    expect(error).toBeInstanceOf(InvalidTemplateValueError);
    expect(error).toMatchObject({ field: 'config.okta_domain' });
  });

  it.each(['..', '.', 'a/b', 'a?b', 'a#b', '%2e%2e', 'a b', 'a\\b'])('refuses %j where a path segment goes', (value) => {
    const error = thrown(() => tokenUrl(provider('microsoft'), { tenant: value }));
    expect(error).toBeInstanceOf(InvalidTemplateValueError);
    expect(error).toMatchObject({ field: 'config.tenant' });
  });

  it.each([
    'http://login.example.com',
    'https://user:pass@login.example.com',
    'https://login.example.com/?x=1',
    'https://login.example.com/#x',
    'https://login.example.com/a/../b',
    'https:\\\\evil.com',
    'javascript:alert(1)',
    'login.example.com',
    'https://LOGIN.example.com',
  ])('refuses %j where an https URL goes', (value) => {
    const error = thrown(() => issuerUrl(provider('openid-connect'), { issuer: value }));
    expect(error).toBeInstanceOf(InvalidTemplateValueError);
    expect(error).toMatchObject({ field: 'config.issuer' });
  });

  it('takes http only when the deployment allows it (OUTBOUND_ALLOW_PRIVATE_NETWORK)', () => {
    expect(issuerUrl(provider('openid-connect'), { issuer: 'http://127.0.0.1:4000' }, { allowHttp: true })).toBe('http://127.0.0.1:4000');
    expect(thrown(() => issuerUrl(provider('openid-connect'), { issuer: 'ftp://127.0.0.1' }, { allowHttp: true }))).toBeInstanceOf(InvalidTemplateValueError);
  });

  it("refuses a value outside the entry's pattern or list", () => {
    const host = thrown(() => tokenUrl(provider('salesforce'), { login_host: 'login.evil.com' }));
    expect(host).toBeInstanceOf(InvalidTemplateValueError);
    expect(host).toMatchObject({ field: 'config.login_host', message: expect.stringMatching(/^config\.login_host: must match \^\(\?:/) });
    expect(thrown(() => tokenUrl(provider('zoho'), { data_center: 'evil.com' }))).toMatchObject({
      message: 'config.data_center: must be one of: com, eu, in, com.au, jp, ca, sa, uk, com.cn',
    });
  });

  it('renders an API base from kept metadata, judged like config', () => {
    const salesforce = provider('salesforce');
    expect(apiBaseUrl(salesforce, { config: {}, metadata: { instance_url: 'https://acme.my.salesforce.com' } })).toBe('https://acme.my.salesforce.com/services/data');
    const missing = thrown(() => apiBaseUrl(salesforce, { config: {} }));
    expect(missing).toBeInstanceOf(MissingTemplateValueError);
    expect(missing).toMatchObject({ field: 'metadata.instance_url' });
    const insecure = thrown(() => apiBaseUrl(salesforce, { config: {}, metadata: { instance_url: 'http://169.254.169.254' } }));
    expect(insecure).toBeInstanceOf(InvalidTemplateValueError);
    expect(insecure).toMatchObject({ field: 'metadata.instance_url' });
    expect(apiBaseUrl(provider('quickbooks'), { config: {}, metadata: { realm_id: '9130350' } })).toBe('https://quickbooks.api.intuit.com/v3/company/9130350');
    expect(apiBaseUrl(provider('eventbrite'), { config: {} })).toBe('https://www.eventbriteapi.com/v3');
    expect(apiBaseUrl(provider('jadu-connect'), { config: { instance_host: 'cxm.example.gov.uk' } })).toBeNull();
  });
});

describe('checking a template against its fields', () => {
  const formats = new Map<string, ConfigFormat>([
    ['sub', 'subdomain'],
    ['host', 'hostname'],
    ['seg', 'path_segment'],
    ['base', 'url'],
  ]);
  const formatOf = (name: string): ConfigFormat | undefined => formats.get(name);

  it.each([
    ['https://{sub}.example.com/{seg}/token', null],
    ['https://{host}/oauth/token', null],
    ['{base}/token', null],
    ['{base}', null],
    ['https://{nope}.example.com', 'unknown placeholder {nope}'],
    ['https://{Sub}.example.com', 'malformed placeholder {Sub}'],
    ['https://{sub.example.com', 'unbalanced { or }'],
    ['http://{sub}.example.com', 'must start with https:// or a URL placeholder'],
    ['https://example.com/{sub}', 'placeholder {sub} is a subdomain and must be in the host'],
    ['https://{seg}.example.com', 'placeholder {seg} is a path segment and must be in the path'],
    ['https://example.com/token?x={seg}', 'placeholder {seg} is a path segment and must be in the path'],
    ['https://example.com/{base}', 'placeholder {base} is a URL and may only open the template'],
    ['{base}{seg}', 'a URL placeholder must be followed by / or nothing'],
    ['{base}/{host}', 'placeholder {host} is a hostname and must be in the host'],
    ['https://example.com/token#x', 'must not have a fragment'],
  ])('%s: %s', (template, problem) => {
    expect(checkTemplate(template, formatOf)).toBe(problem);
  });
});
