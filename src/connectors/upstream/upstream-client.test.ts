import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseBasicCredentials } from '../../lib/basic-credentials.ts';
import { loadCatalogue } from '../catalogue/load-catalogue.ts';
import { findProvider } from '../catalogue/catalogue.ts';
import type { Provider } from '../catalogue/provider.ts';
import type { ProviderDefinition } from '../catalogue/provider-schema.ts';
import { createOutboundClient } from '../../outbound/outbound-client.ts';
import { OutboundTimeout } from '../../outbound/outbound-errors.ts';
import { createDiscovery } from './discovery.ts';
import { createUpstreamClient } from './upstream-client.ts';
import { UpstreamMisconfigured, UpstreamRejected, UpstreamUnavailable } from './upstream-errors.ts';

// A test upstream on a real port, told per test how to behave, and entries made to match each
// quirk the catalogue can declare. The upstream checks the client's authentication itself, as
// a provider does; the tests check what it saw and what the hub read from its answer.

const CLIENT = { clientId: 'app id:1', clientSecret: 'sëcret+/=&%' };
const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const clock = (): number => NOW;

interface Seen {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Behaviour = (seen: Seen, response: ServerResponse) => void;

let behaviour: Behaviour = (_seen, response) => response.writeHead(500).end();
let seen: Seen[] = [];
let base = '';
const sockets = new Set<Socket>();
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const one = { path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
    seen.push(one);
    behaviour(one, response);
  });
});
server.on('connection', (socket: Socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
});

const json = (status: number, value: unknown, headers: Record<string, string> = {}): Behaviour => (_seen, response) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
};

/** The token endpoint's answer when the client authenticated as `method` says, invalid_client otherwise. */
function authenticated(method: 'basic' | 'form' | 'json', answer: unknown): Behaviour {
  return (one, response) => {
    const basic = parseBasicCredentials(one.headers.authorization);
    const fields = bodyFields(one);
    const ok =
      method === 'basic'
        ? basic !== undefined && basic !== 'malformed' && basic.userId === CLIENT.clientId && basic.password === CLIENT.clientSecret && fields['client_secret'] === undefined
        : one.headers.authorization === undefined && fields['client_id'] === CLIENT.clientId && fields['client_secret'] === CLIENT.clientSecret;
    const format = method === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
    if (!ok || one.headers['content-type'] !== format) return json(401, { error: 'invalid_client', error_description: 'client authentication failed' })(one, response);
    return json(200, answer)(one, response);
  };
}

function bodyFields(one: Seen): Record<string, string> {
  if (one.headers['content-type'] === 'application/json') return JSON.parse(one.body) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(one.body));
}

/** A test entry on the test upstream: `{base}` is its origin; `definition` adds the quirk. */
function entry(definition: Partial<ProviderDefinition> & { readonly id: string }): Provider {
  const full: ProviderDefinition = {
    display_name: definition.id,
    auth_mode: 'oauth2',
    categories: ['generic'],
    docs_url: 'https://example.com/docs',
    config_fields: [{ name: 'base', description: 'The test upstream', required: true, format: 'url' }],
    authorization_url: '{base}/authorize',
    token_url: '{base}/token',
    example_config: { base: 'https://upstream.example' },
    ...definition,
  };
  return loadCatalogue([full]).get(definition.id)!;
}

const outbound = createOutboundClient({ allowPrivateNetwork: true, timeoutMs: 1_000 });
const upstream = createUpstreamClient({ outbound, allowHttp: true, clock });
const config = (): { base: string } => ({ base });

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** No secret of the request and no token of the answer in what an error says. */
function expectNothingSecret(error: unknown, ...secrets: string[]): void {
  const text = `${String(error)} ${JSON.stringify(error)} ${error instanceof Error ? error.stack : ''}`;
  for (const secret of [CLIENT.clientSecret, ...secrets]) expect(text).not.toContain(secret);
}

describe('upstream client: the token request as the entry says', () => {
  it('exchanges a code with Basic client authentication (RFC 6749 §2.3.1 encoding), a form body, the verifier and extra params', async () => {
    const provider = entry({ id: 'basic-form', pkce: true, token_params: { audience: 'api' } });
    behaviour = authenticated('basic', { access_token: 'at-1', token_type: 'bearer', expires_in: 3600, refresh_token: 'rt-1', scope: 'read write' });
    const tokens = await upstream.exchangeCode({ provider, client: CLIENT, code: 'the-code', codeVerifier: 'v'.repeat(43), redirectUri: 'https://gh.example/cb', config: config() });
    expect(tokens).toEqual({
      accessToken: 'at-1',
      tokenType: 'Bearer',
      expiresAt: NOW + 3_600_000,
      refreshToken: 'rt-1',
      refreshExpiresAt: null,
      scopes: ['read', 'write'],
      metadata: {},
      refreshTokenRotated: false,
    });
    expect(seen[0]!.path).toBe('/token');
    // The wire form of Basic: each part form-urlencoded before base64 (a `:` in the id survives).
    expect(Buffer.from(seen[0]!.headers.authorization!.slice('Basic '.length), 'base64').toString()).toBe(`${encodeURIComponent(CLIENT.clientId)}:${encodeURIComponent(CLIENT.clientSecret)}`);
    expect(bodyFields(seen[0]!)).toEqual({ audience: 'api', grant_type: 'authorization_code', code: 'the-code', redirect_uri: 'https://gh.example/cb', code_verifier: 'v'.repeat(43) });
  });

  it('sends a JSON body with the client in it, and reads a token at another path with kept metadata', async () => {
    const provider = entry({
      id: 'json-post',
      client_authentication: 'client_secret_post',
      token_body_format: 'json',
      token_response: { access_token_path: 'authed_user.access_token' },
      kept_metadata: [{ name: 'instance_url', from: 'token_response', path: 'instance_url', format: 'url' }],
    });
    behaviour = authenticated('json', { authed_user: { access_token: 'user-token' }, instance_url: 'https://acme.my.example.com', expires_in: 60 });
    const tokens = await upstream.exchangeCode({ provider, client: CLIENT, code: 'c', redirectUri: 'https://gh.example/cb', config: config(), metadata: { realm: 'r1' } });
    expect(tokens.accessToken).toBe('user-token');
    expect(tokens.metadata).toEqual({ realm: 'r1', instance_url: 'https://acme.my.example.com' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ grant_type: 'authorization_code', code: 'c', redirect_uri: 'https://gh.example/cb', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret });
  });

  it('the upstream refuses the other client authentication: invalid_client, the code kept as given', async () => {
    const provider = entry({ id: 'wants-post', client_authentication: 'client_secret_post' });
    behaviour = authenticated('basic', { access_token: 'never' });
    const error = await failure(upstream.exchangeCode({ provider, client: CLIENT, code: 'code-4711', redirectUri: 'https://gh.example/cb', config: config() }));
    expect(error).toBeInstanceOf(UpstreamRejected);
    expect(error).toMatchObject({ error: 'invalid_client', status: 401, needsReauth: false, description: 'client authentication failed', operation: 'code_exchange', provider: 'wants-post' });
    expect(String(error)).toBe("UpstreamRejected: provider 'wants-post': code exchange: refused: invalid_client (HTTP 401)");
    expectNothingSecret(error, 'code-4711');
  });

  it('client credentials with a comma scope separator, default scopes and extra params', async () => {
    const provider = entry({ id: 'cc-comma', auth_mode: 'oauth2_client_credentials', authorization_url: undefined, scope_separator: ',', default_scopes: ['read', 'write'], token_params: { resource: 'r' } });
    behaviour = authenticated('basic', { access_token: 'cc', expires_in: '120', scope: 'read,write' });
    const tokens = await upstream.clientCredentials({ provider, client: CLIENT, config: config() });
    expect(bodyFields(seen[0]!)).toEqual({ resource: 'r', grant_type: 'client_credentials', scope: 'read,write' });
    expect(tokens).toMatchObject({ accessToken: 'cc', expiresAt: NOW + 120_000, scopes: ['read', 'write'], refreshToken: null });
    await upstream.clientCredentials({ provider, client: CLIENT, config: config(), scopes: [] });
    expect(bodyFields(seen[1]!)['scope']).toBeUndefined();
  });

  it('refuses a missing PKCE verifier before any call, and a mode without the grant', async () => {
    const provider = entry({ id: 'pkce-on', pkce: true });
    await expect(upstream.exchangeCode({ provider, client: CLIENT, code: 'c', redirectUri: 'https://gh.example/cb', config: config() })).rejects.toThrow(/no code verifier/);
    const cc = entry({ id: 'cc-only', auth_mode: 'oauth2_client_credentials', authorization_url: undefined });
    await expect(upstream.exchangeCode({ provider: cc, client: CLIENT, code: 'c', redirectUri: 'https://gh.example/cb', config: config() })).rejects.toThrow(/has no such token request/);
    expect(seen).toEqual([]);
  });

  it('a missing config value is the catalogue error naming the field, before any call', async () => {
    const provider = entry({ id: 'needs-base' });
    await expect(upstream.exchangeCode({ provider, client: CLIENT, code: 'c', redirectUri: 'https://gh.example/cb', config: {} })).rejects.toMatchObject({ name: 'MissingTemplateValueError', field: 'config.base' });
    expect(seen).toEqual([]);
  });
});

describe('upstream client: the generic entries of the catalogue', () => {
  it('oauth2 (config.token_url) and oauth2-client-credentials reach the configured token endpoint', async () => {
    behaviour = authenticated('basic', { access_token: 'at', token_type: 'Bearer', expires_in: 60, refresh_token: 'rt' });
    const code = await upstream.exchangeCode({ provider: findProvider('oauth2')!, client: CLIENT, code: 'c', codeVerifier: 'v'.repeat(43), redirectUri: 'https://gh.example/cb', config: { authorization_url: `${base}/authorize`, token_url: `${base}/oauth/token` } });
    expect(code).toMatchObject({ accessToken: 'at', refreshToken: 'rt', expiresAt: NOW + 60_000 });
    const cc = await upstream.clientCredentials({ provider: findProvider('oauth2-client-credentials')!, client: CLIENT, config: { token_url: `${base}/oauth/token` } });
    expect(cc.accessToken).toBe('at');
    expect(seen.map((one) => [one.path, bodyFields(one)['grant_type']])).toEqual([['/oauth/token', 'authorization_code'], ['/oauth/token', 'client_credentials']]);
  });
});

describe('upstream client: expiry', () => {
  it('no expires_in: the assumed lifetime, or no expiry at all', async () => {
    behaviour = json(200, { access_token: 'a' });
    const assumed = await upstream.exchangeCode({ provider: entry({ id: 'assumed', token_response: { assumed_lifetime_seconds: 7200 } }), client: CLIENT, code: 'c', redirectUri: 'https://gh.example/cb', config: config() });
    expect(assumed.expiresAt).toBe(NOW + 7_200_000);
    const never = await upstream.exchangeCode({ provider: entry({ id: 'never-expires' }), client: CLIENT, code: 'c', redirectUri: 'https://gh.example/cb', config: config() });
    expect(never).toMatchObject({ expiresAt: null, tokenType: 'Bearer', scopes: null });
  });

  it('no expires_in but a JWT access token: its exp (unverified: it only schedules the refresh), before the assumed lifetime', async () => {
    const jwt = (payload: object): string => `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
    const assumedEntry = entry({ id: 'assumed', token_response: { assumed_lifetime_seconds: 7200 } });
    behaviour = json(200, { access_token: jwt({ sub: 'u', exp: NOW / 1000 + 900 }) });
    expect((await upstream.exchangeCode({ provider: assumedEntry, client: CLIENT, code: 'c', redirectUri: 'https://gh.example/cb', config: config() })).expiresAt).toBe(NOW + 900_000);
    // An exp in the past, not a number, or a token that only looks like a JWT: the assumed lifetime.
    for (const token of [jwt({ exp: NOW / 1000 - 1 }), jwt({ exp: '900' }), 'not.a.jwt']) {
      behaviour = json(200, { access_token: token });
      expect((await upstream.exchangeCode({ provider: assumedEntry, client: CLIENT, code: 'c', redirectUri: 'https://gh.example/cb', config: config() })).expiresAt).toBe(NOW + 7_200_000);
    }
  });

  it('expires_in in milliseconds, at another path, and the refresh token lifetime', async () => {
    const provider = entry({ id: 'millis', token_response: { expires_in_path: 'data.ttl', expires_in_unit: 'milliseconds', refresh_token_expires_in_path: 'x_refresh_token_expires_in' } });
    behaviour = json(200, { access_token: 'a', data: { ttl: 90_000 }, refresh_token: 'r', x_refresh_token_expires_in: 8_640_000 });
    const tokens = await upstream.exchangeCode({ provider, client: CLIENT, code: 'c', redirectUri: 'https://gh.example/cb', config: config() });
    expect(tokens).toMatchObject({ expiresAt: NOW + 90_000, refreshExpiresAt: NOW + 8_640_000 });
  });

  it('an expiry that is not a number is an unusable answer, not a token that never expires', async () => {
    behaviour = json(200, { access_token: 'secret-at', expires_in: 'soon' });
    const error = await failure(upstream.exchangeCode({ provider: entry({ id: 'bad-expiry' }), client: CLIENT, code: 'c', redirectUri: 'https://gh.example/cb', config: config() }));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect(error).toMatchObject({ reason: 'bad_response' });
    expectNothingSecret(error, 'secret-at');
  });
});

describe('upstream client: refresh', () => {
  const held = { client: CLIENT, refreshToken: 'rt-old', refreshExpiresAt: NOW + 1_000, metadata: { instance_url: 'https://old.example.com' } };

  it('rotated: the new refresh token, flagged so the caller stores it first; extra refresh params sent', async () => {
    const provider = entry({ id: 'rotating', refresh_url: '{base}/refresh', refresh_params: { format: 'json' } });
    behaviour = authenticated('basic', { access_token: 'at-2', refresh_token: 'rt-new', expires_in: 10 });
    const tokens = await upstream.refresh({ provider, ...held, config: config() });
    expect(seen[0]!.path).toBe('/refresh');
    expect(bodyFields(seen[0]!)).toEqual({ format: 'json', grant_type: 'refresh_token', refresh_token: 'rt-old' });
    expect(tokens).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-new', refreshTokenRotated: true, refreshExpiresAt: null, metadata: { instance_url: 'https://old.example.com' } });
  });

  it('same: the refresh token comes back unchanged, not flagged as rotated', async () => {
    behaviour = json(200, { access_token: 'at-2', refresh_token: 'rt-old' });
    const tokens = await upstream.refresh({ provider: entry({ id: 'same', token_response: { refresh_token_on_refresh: 'same' } }), ...held, config: config() });
    expect(tokens).toMatchObject({ refreshToken: 'rt-old', refreshTokenRotated: false });
  });

  it('not returned: the held refresh token and its expiry are kept, new metadata over the old', async () => {
    const provider = entry({
      id: 'not-returned',
      token_response: { refresh_token_on_refresh: 'not_returned' },
      kept_metadata: [{ name: 'instance_url', from: 'token_response', path: 'instance_url', format: 'url' }],
    });
    behaviour = json(200, { access_token: 'at-2', expires_in: 3600, instance_url: 'https://new.example.com' });
    const tokens = await upstream.refresh({ provider, ...held, config: config() });
    expect(tokens).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-old', refreshExpiresAt: NOW + 1_000, refreshTokenRotated: false, metadata: { instance_url: 'https://new.example.com' } });
  });

  it('invalid_grant: rejected, and the caller is told the connector needs reauthorization', async () => {
    behaviour = json(400, { error: 'invalid_grant', error_description: 'refresh token revoked' });
    const error = await failure(upstream.refresh({ provider: entry({ id: 'revoked' }), ...held, config: config() }));
    expect(error).toBeInstanceOf(UpstreamRejected);
    expect(error).toMatchObject({ error: 'invalid_grant', needsReauth: true, operation: 'refresh' });
    expectNothingSecret(error, 'rt-old');
  });

  it('a provider that echoes the refresh token or the secret in its error: redacted in the description', async () => {
    behaviour = json(400, { error: 'invalid_grant', error_description: `unknown refresh token rt-old for client secret ${CLIENT.clientSecret}` });
    const error = await failure(upstream.refresh({ provider: entry({ id: 'echoes' }), ...held, config: config() }));
    expect(error).toMatchObject({ error: 'invalid_grant', description: 'unknown refresh token [redacted] for client secret [redacted]' });
    expectNothingSecret(error, 'rt-old');
  });

  it('an error in an HTTP 200, for an entry that says its provider does that', async () => {
    const provider = entry({ id: 'slack-like', token_response: { errors_with_http_200: true } });
    behaviour = json(200, { ok: false, error: 'invalid_refresh_token' });
    expect(await failure(upstream.refresh({ provider, ...held, config: config() }))).toMatchObject({ code: 'upstream_rejected', error: 'invalid_refresh_token', status: 200 });
    // And GitHub's bad_verification_code: a 200 with an error and no token, whatever the entry says.
    behaviour = json(200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
    expect(await failure(upstream.refresh({ provider: entry({ id: 'github-like' }), ...held, config: config() }))).toMatchObject({ code: 'upstream_rejected', error: 'bad_verification_code' });
  });
});

describe('upstream client: an upstream that cannot answer', () => {
  const call = (id: string) => upstream.refresh({ provider: entry({ id }), client: CLIENT, refreshToken: 'rt-secret', config: config() });

  it('HTML, with a 200 or a 400: unavailable (bad_response), the page never quoted', async () => {
    for (const status of [200, 400]) {
      behaviour = (_seen, response) => response.writeHead(status, { 'content-type': 'text/html' }).end('<html>rt-secret maintenance</html>');
      const error = await failure(call(`html-${status}`));
      expect(error).toBeInstanceOf(UpstreamUnavailable);
      expect(error).toMatchObject({ reason: 'bad_response', retryAfterSeconds: null });
      expectNothingSecret(error, 'rt-secret', 'maintenance');
    }
  });

  it('a JSON answer without an access token, a JSON array, a redirect: unavailable (bad_response)', async () => {
    for (const answer of [json(200, { token: 'x' }), json(200, ['x']), json(302, {}, { location: 'http://169.254.169.254/' })]) {
      behaviour = answer;
      expect(await failure(call('garbage'))).toMatchObject({ code: 'upstream_unavailable', reason: 'bad_response' });
    }
  });

  it('a 503 with Retry-After, and a 429 with a date: unavailable (server_error) with the delay', async () => {
    behaviour = json(503, { error: 'temporarily_unavailable' }, { 'retry-after': '30' });
    expect(await failure(call('down'))).toMatchObject({ code: 'upstream_unavailable', reason: 'server_error', retryAfterSeconds: 30 });
    behaviour = json(429, {}, { 'retry-after': new Date(NOW + 120_000).toUTCString() });
    expect(await failure(call('busy'))).toMatchObject({ reason: 'server_error', retryAfterSeconds: 120 });
  });

  it('a token endpoint that hangs: unavailable (timeout) within the outbound limit', async () => {
    behaviour = () => undefined;
    const started = Date.now();
    const error = await failure(call('hangs'));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect(error).toMatchObject({ reason: 'timeout' });
    expect((error as Error).cause).toBeInstanceOf(OutboundTimeout);
  });

  it('nothing listening: unavailable (network)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    await new Promise((resolve) => closed.close(resolve));
    if (address === null || typeof address === 'string') throw new Error('no port');
    const error = await failure(upstream.refresh({ provider: entry({ id: 'gone' }), client: CLIENT, refreshToken: 'r', config: { base: `http://127.0.0.1:${address.port}` } }));
    expect(error).toMatchObject({ code: 'upstream_unavailable', reason: 'network' });
  });

  it('a private address without OUTBOUND_ALLOW_PRIVATE_NETWORK: misconfigured, not retryable, nothing sent', async () => {
    const strict = createUpstreamClient({ outbound: createOutboundClient(), clock });
    const provider = entry({ id: 'private' });
    const error = await failure(strict.refresh({ provider, client: CLIENT, refreshToken: 'r', config: { base: 'https://127.0.0.1' } }));
    expect(error).toBeInstanceOf(UpstreamMisconfigured);
    expect(error).toMatchObject({ reason: 'destination_refused' });
  });
});

describe('discovery', () => {
  const document = (issuer: string) => ({ issuer, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`, code_challenge_methods_supported: ['S256'] });
  const oidc = (): Provider => entry({ id: 'oidc', token_url: undefined, authorization_url: undefined, config_fields: [{ name: 'issuer', description: 'issuer', required: true, format: 'url' }], issuer: '{issuer}', example_config: { issuer: 'https://login.example.com' } });

  it('reads the endpoints, keeps them a while per issuer, and fetches again after', async () => {
    let now = NOW;
    const discovery = createDiscovery({ outbound, allowHttp: true, ttlMs: 60_000, clock: () => now });
    behaviour = (one, response) => json(200, document(base))(one, response);
    const [first, second] = await Promise.all([discovery.discover(base, 'oidc'), discovery.discover(base, 'oidc')]);
    expect(first).toEqual({
      issuer: base,
      authorizationEndpoint: `${base}/authorize`,
      tokenEndpoint: `${base}/token`,
      userinfoEndpoint: null,
      revocationEndpoint: null,
      jwksUri: `${base}/jwks`,
      codeChallengeMethods: ['S256'],
      tokenEndpointAuthMethods: null,
      authorizationResponseIss: false,
    });
    expect(second).toBe(first);
    expect(seen.map((one) => one.path)).toEqual(['/.well-known/openid-configuration']);
    now += 60_001;
    await discovery.discover(base, 'oidc');
    expect(seen).toHaveLength(2);
  });

  it('an issuer written with a trailing slash matches one without, either way round (Auth0)', async () => {
    const discovery = createDiscovery({ outbound, allowHttp: true, clock });
    behaviour = json(200, document(`${base}/`));
    expect((await discovery.discover(base, 'oidc')).issuer).toBe(`${base}/`);
    expect(seen[0]!.path).toBe('/.well-known/openid-configuration');
    behaviour = json(200, document(base));
    expect((await discovery.discover(`${base}/`, 'oidc')).issuer).toBe(base);
    expect(seen[1]!.path).toBe('/.well-known/openid-configuration');
  });

  it('another issuer in the document: misconfigured (OIDC Discovery §4.3), and the failure is not kept', async () => {
    const discovery = createDiscovery({ outbound, allowHttp: true, clock });
    behaviour = json(200, document('https://evil.example.com'));
    expect(await failure(discovery.discover(base, 'oidc'))).toMatchObject({ code: 'upstream_misconfigured', reason: 'issuer_mismatch', operation: 'discovery' });
    behaviour = json(200, document(base));
    await expect(discovery.discover(base, 'oidc')).resolves.toMatchObject({ issuer: base });
  });

  it('no document, a document without a token endpoint or with an unsafe one, HTML, a 503', async () => {
    const discovery = createDiscovery({ outbound, allowHttp: false, clock });
    const lenient = createDiscovery({ outbound, allowHttp: true, clock });
    behaviour = json(404, {});
    expect(await failure(lenient.discover(base, 'oidc'))).toMatchObject({ reason: 'discovery_document' });
    behaviour = json(200, { ...document(base), token_endpoint: undefined });
    expect(await failure(lenient.discover(base, 'oidc'))).toMatchObject({ reason: 'discovery_document', message: expect.stringContaining('no token_endpoint') });
    // An http endpoint where only https is allowed (the document fetched over http through the lenient outbound client).
    behaviour = json(200, document(base));
    expect(await failure(discovery.discover(base, 'oidc'))).toMatchObject({ reason: 'discovery_document', message: expect.stringContaining('is not https') });
    behaviour = (_seen, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
    expect(await failure(lenient.discover(base, 'oidc'))).toMatchObject({ code: 'upstream_unavailable', reason: 'bad_response' });
    behaviour = json(503, {}, { 'retry-after': '5' });
    expect(await failure(lenient.discover(base, 'oidc'))).toMatchObject({ code: 'upstream_unavailable', reason: 'server_error', retryAfterSeconds: 5 });
  });

  it('exchangeCode and refresh of a discovered entry go to the discovered token endpoint', async () => {
    const client = createUpstreamClient({ outbound, allowHttp: true, clock });
    behaviour = (one, response) => (one.path.startsWith('/.well-known/') ? json(200, document(base)) : json(200, { access_token: 'at', refresh_token: 'rt' }))(one, response);
    const provider = oidc();
    expect((await client.discover(provider, { issuer: base })).authorizationEndpoint).toBe(`${base}/authorize`);
    await client.exchangeCode({ provider, client: CLIENT, code: 'c', codeVerifier: 'v'.repeat(43), redirectUri: 'https://gh.example/cb', config: { issuer: base } });
    await client.refresh({ provider, client: CLIENT, refreshToken: 'rt', config: { issuer: base } });
    expect(seen.map((one) => one.path)).toEqual(['/.well-known/openid-configuration', '/token', '/token']);
  });
});
