import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCodeVerifier, s256CodeChallenge } from '../../lib/pkce.ts';
import { authorizationUrl } from '../catalogue/authorization-url.ts';
import { findProvider } from '../catalogue/catalogue.ts';
import { createOutboundClient } from '../../outbound/outbound-client.ts';
import { createUpstreamClient } from './upstream-client.ts';
import { UpstreamRejected } from './upstream-errors.ts';
import { browserTo, REDIRECT_URI, signInAtOnce } from '../../../test/helpers/oidc-upstream.ts';

// A real third-party authorization server: oidc-provider from npm, with PKCE required, refresh
// tokens rotated at every use (a reused one revokes the whole grant, as real providers do) and
// access tokens that live 5 seconds, reached through the generic `openid-connect` entry. The
// browser's part is played with fetch: its interaction is completed by a handler that signs the
// user in at once, as a real deployment's sign-in app would after the password.

const CLIENT = { clientId: 'gatehouse-hub', clientSecret: randomBytes(32).toString('base64url') };
const ACCESS_TOKEN_SECONDS = 5;

let issuer = '';
const sockets = new Set<Socket>();
const server = createServer();
server.on('connection', (socket: Socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

function configuration(): Record<string, unknown> {
  return {
    clients: [
      {
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        redirect_uris: [REDIRECT_URI],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // Keys of its own, so that it does not fall back to (and warn about) its development keys.
    jwks: { keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'test' }] },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    issueRefreshToken: async () => true,
    rotateRefreshToken: () => true,
    ttl: { AccessToken: ACCESS_TOKEN_SECONDS, AuthorizationCode: 60, RefreshToken: 3600, Grant: 3600, Session: 3600, Interaction: 600, IdToken: 60 },
  };
}

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  issuer = `http://127.0.0.1:${address.port}`;
  const provider = new Provider(issuer, configuration());
  const handle = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.url?.startsWith('/interaction/') === true) {
      signInAtOnce(provider, request, response).catch(() => response.headersSent || response.writeHead(400).end());
    } else {
      handle(request, response);
    }
  });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const entry = findProvider('openid-connect')!;
const upstream = createUpstreamClient({ outbound: createOutboundClient({ allowPrivateNetwork: true }), allowHttp: true });
const config = (): { issuer: string } => ({ issuer });

/** The connect flow's part up to the callback: an authorization URL from discovery, the user signed in, the code back. */
async function authorize(): Promise<{ code: string; verifier: string }> {
  const endpoints = await upstream.discover(entry, config());
  const verifier = newCodeVerifier();
  const state = randomBytes(16).toString('base64url');
  const url = authorizationUrl(
    entry,
    { clientId: CLIENT.clientId, redirectUri: REDIRECT_URI, state, codeChallenge: s256CodeChallenge(verifier), config: config(), discoveredAuthorizationEndpoint: endpoints.authorizationEndpoint },
    { allowHttp: true },
  );
  const back = await browserTo(url);
  expect(back.searchParams.get('state')).toBe(state);
  const code = back.searchParams.get('code');
  if (code === null) throw new Error(`no code: ${back.search}`);
  return { code, verifier };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('upstream client against oidc-provider, through the openid-connect entry', () => {
  it('discovers the endpoints from the issuer', async () => {
    const endpoints = await upstream.discover(entry, config());
    expect(endpoints).toMatchObject({ issuer, authorizationEndpoint: `${issuer}/auth`, tokenEndpoint: `${issuer}/token` });
    expect(endpoints.codeChallengeMethods).toContain('S256');
  });

  it('exchanges a code with PKCE, refreshes with rotation, and a rotated refresh token used again is invalid_grant', async () => {
    const { code, verifier } = await authorize();
    const before = Date.now();
    const tokens = await upstream.exchangeCode({ provider: entry, client: CLIENT, code, codeVerifier: verifier, redirectUri: REDIRECT_URI, config: config() });
    expect(tokens.accessToken).toMatch(/^[\w-]{20,}$/);
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + ACCESS_TOKEN_SECONDS * 1000 - 1000);
    expect(tokens.expiresAt).toBeLessThanOrEqual(Date.now() + ACCESS_TOKEN_SECONDS * 1000);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(tokens.scopes).toEqual(['openid']);

    const refreshed = await upstream.refresh({ provider: entry, client: CLIENT, refreshToken: tokens.refreshToken!, config: config() });
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken);
    expect(refreshed.refreshTokenRotated).toBe(true);

    // The first refresh token again: reuse, which revokes the grant, the newest refresh token with it.
    const reuse = await failure(upstream.refresh({ provider: entry, client: CLIENT, refreshToken: tokens.refreshToken!, config: config() }));
    expect(reuse).toBeInstanceOf(UpstreamRejected);
    expect(reuse).toMatchObject({ error: 'invalid_grant', needsReauth: true, operation: 'refresh' });
    expect(String(reuse)).not.toContain(tokens.refreshToken!);
    const revoked = await failure(upstream.refresh({ provider: entry, client: CLIENT, refreshToken: refreshed.refreshToken!, config: config() }));
    expect(revoked).toMatchObject({ code: 'upstream_rejected', error: 'invalid_grant' });
  });

  it('a code used twice, or with another verifier, is invalid_grant; a wrong client secret is invalid_client', async () => {
    const first = await authorize();
    await upstream.exchangeCode({ provider: entry, client: CLIENT, code: first.code, codeVerifier: first.verifier, redirectUri: REDIRECT_URI, config: config() });
    const twice = await failure(upstream.exchangeCode({ provider: entry, client: CLIENT, code: first.code, codeVerifier: first.verifier, redirectUri: REDIRECT_URI, config: config() }));
    expect(twice).toMatchObject({ code: 'upstream_rejected', error: 'invalid_grant' });

    const second = await authorize();
    const wrongVerifier = await failure(upstream.exchangeCode({ provider: entry, client: CLIENT, code: second.code, codeVerifier: newCodeVerifier(), redirectUri: REDIRECT_URI, config: config() }));
    expect(wrongVerifier).toMatchObject({ code: 'upstream_rejected', error: 'invalid_grant' });

    const third = await authorize();
    const wrongSecret = await failure(upstream.exchangeCode({ provider: entry, client: { ...CLIENT, clientSecret: 'not-it' }, code: third.code, codeVerifier: third.verifier, redirectUri: REDIRECT_URI, config: config() }));
    expect(wrongSecret).toMatchObject({ code: 'upstream_rejected', error: 'invalid_client', needsReauth: false });
  });
});
