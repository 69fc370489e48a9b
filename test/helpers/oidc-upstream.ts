import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import Provider from 'oidc-provider';

// A real third-party authorization server for the connector hub's tests: oidc-provider from npm
// on an ephemeral loopback port, with refresh tokens rotated at every use (a reused one revokes
// the whole grant), short-lived access tokens, and its token endpoint's calls counted here, at
// the upstream. `unavailable` makes the token endpoint answer 503 with Retry-After.

export const REDIRECT_URI = 'https://gatehouse.example/o/acme/connectorauth/callback';

export interface OidcUpstream {
  readonly issuer: string;
  /** Registered with every grant, client_secret_basic. */
  readonly clients: { readonly main: UpstreamTestClient; readonly perCustomer: UpstreamTestClient };
  /** POSTs to the token endpoint since the last reset. */
  tokenCalls(): number;
  resetTokenCalls(): void;
  /** While set, the token endpoint answers 503 with this Retry-After (seconds). */
  setUnavailable(retryAfterSeconds: number | null): void;
  /** The next `count` token requests are answered 503 (with Retry-After when given), then the endpoint works again. */
  failNextTokenCalls(count: number, retryAfterSeconds?: number): void;
  /** While on, token requests hang: held unanswered and never seen by the provider (not counted in tokenCalls). */
  holdTokenCalls(on: boolean): void;
  /** Drops the held requests' connections, as a provider that never processed them. */
  dropHeldTokenCalls(): void;
  /** Token requests held since the last reset. */
  heldTokenCalls(): number;
  /** Tokens of a fresh grant: the authorization-code flow with PKCE, the user signed in at once. */
  obtainTokens(client: UpstreamTestClient): Promise<{ accessToken: string; refreshToken: string; expiresAt: number }>;
  /** A refresh made directly (not through the hub), to spend a refresh token. */
  refreshDirectly(client: UpstreamTestClient, refreshToken: string): Promise<number>;
  close(): Promise<void>;
}

export interface UpstreamTestClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export async function startOidcUpstream(options: {
  readonly accessTokenSeconds: number;
  /** oidc-provider's storage; its default keeps 1,000 entries (an LRU), fewer than hundreds of grants need: tests of many connectors pass an unbounded one. */
  readonly adapter?: ConstructorParameters<typeof Provider>[1] extends infer C ? (C extends { adapter?: infer A } ? A : never) : never;
}): Promise<OidcUpstream> {
  const clients = {
    main: { clientId: 'gatehouse-hub', clientSecret: randomBytes(24).toString('base64url') },
    perCustomer: { clientId: 'customer-own-app', clientSecret: randomBytes(24).toString('base64url') },
  };
  const sockets = new Set<Socket>();
  const server = createServer();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const issuer = `http://127.0.0.1:${address.port}`;
  const provider = new Provider(issuer, {
    clients: Object.values(clients).map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: [REDIRECT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    })),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'test' }] },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true } },
    pkce: { required: () => true },
    issueRefreshToken: async () => true,
    rotateRefreshToken: () => true,
    ...(options.adapter === undefined ? {} : { adapter: options.adapter }),
    ttl: { AccessToken: options.accessTokenSeconds, ClientCredentials: 600, AuthorizationCode: 60, RefreshToken: 3600, Grant: 3600, Session: 3600, Interaction: 600, IdToken: 60 },
  });
  const handle = provider.callback();
  let tokenCalls = 0;
  let unavailable: number | null = null;
  let failures: { count: number; retryAfter: number | undefined } = { count: 0, retryAfter: undefined };
  let holding = false;
  let heldCalls = 0;
  const held = new Set<IncomingMessage>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.method === 'POST' && request.url === '/token') {
      if (holding) {
        heldCalls += 1;
        held.add(request);
        return;
      }
      tokenCalls += 1;
      if (unavailable !== null) {
        response.writeHead(503, { 'retry-after': String(unavailable), 'content-type': 'text/plain' }).end('down for maintenance');
        return;
      }
      if (failures.count > 0) {
        failures.count -= 1;
        response.writeHead(503, { ...(failures.retryAfter === undefined ? {} : { 'retry-after': String(failures.retryAfter) }), 'content-type': 'text/plain' }).end('down for maintenance');
        return;
      }
    }
    if (request.url?.startsWith('/interaction/') === true) {
      signInAtOnce(provider, request, response).catch(() => response.headersSent || response.writeHead(400).end());
    } else {
      handle(request, response);
    }
  });

  const tokenRequest = async (client: UpstreamTestClient, params: Record<string, string>) => {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}` },
      body: new URLSearchParams(params),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  return {
    issuer,
    clients,
    tokenCalls: () => tokenCalls,
    resetTokenCalls: () => {
      tokenCalls = 0;
      heldCalls = 0;
    },
    failNextTokenCalls: (count, retryAfterSeconds) => {
      failures = { count, retryAfter: retryAfterSeconds };
    },
    holdTokenCalls: (on) => {
      holding = on;
    },
    dropHeldTokenCalls: () => {
      for (const request of held) request.socket.destroy();
      held.clear();
    },
    heldTokenCalls: () => heldCalls,
    setUnavailable: (seconds) => {
      unavailable = seconds;
    },
    async obtainTokens(client) {
      const verifier = randomBytes(32).toString('base64url');
      const { createHash } = await import('node:crypto');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const url = new URL(`${issuer}/auth`);
      for (const [name, value] of Object.entries({ client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', state: 'x' })) {
        url.searchParams.set(name, value);
      }
      const back = await browserTo(url.href);
      const code = back.searchParams.get('code');
      if (code === null) throw new Error(`no code: ${back.search}`);
      const { status, json } = await tokenRequest(client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI });
      if (status !== 200 || typeof json['refresh_token'] !== 'string') throw new Error(`code exchange: ${status} ${JSON.stringify(json)}`);
      return { accessToken: String(json['access_token']), refreshToken: json['refresh_token'], expiresAt: Date.now() + Number(json['expires_in']) * 1000 };
    },
    async refreshDirectly(client, refreshToken) {
      return (await tokenRequest(client, { grant_type: 'refresh_token', refresh_token: refreshToken })).status;
    },
    async close() {
      for (const request of held) request.socket.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The interaction, finished with a signed-in user and a grant of the scopes asked for. */
export async function signInAtOnce(provider: Provider, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(request, response);
  const grant = new provider.Grant({ accountId: 'user-1', clientId: String(details.params['client_id']) });
  grant.addOIDCScope(String(details.params['scope'] ?? 'openid'));
  const grantId = await grant.save();
  await provider.interactionFinished(request, response, { login: { accountId: 'user-1' }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

/** For a real browser: the provider's own sign-in page, one button the person clicks; its POST signs user-1 in and grants the scopes asked for. */
export async function signInWithAButton(provider: Provider, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method === 'GET') {
    const details = await provider.interactionDetails(request, response);
    response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Provider</title><form method="post" action="/interaction/${details.uid}"><button>Sign in at the provider</button></form>`);
    return;
  }
  await signInAtOnce(provider, request, response);
}

/** Follows the provider's redirects as a browser would, cookies kept, until it sends the browser to the redirect URI. */
export async function browserTo(url: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let next = url;
  for (let hop = 0; hop < 10; hop += 1) {
    const response = await fetch(next, { redirect: 'manual', headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (location === null) throw new Error(`the provider answered ${response.status} without a redirect: ${await response.text()}`);
    const target = new URL(location, next);
    if (target.href.startsWith(REDIRECT_URI)) return target;
    next = target.href;
  }
  throw new Error('too many redirects');
}

/**
 * The configuration of an oidc-provider upstream whose one client is the connector hub
 * (`gatehouse-hub`, client_secret_basic, PKCE required, refresh tokens issued), returning to
 * `redirectUri`; its interactions are the caller's (no dev interactions).
 */
export function hubProviderConfiguration(redirectUri: string, clientSecret: string): ConstructorParameters<typeof Provider>[1] {
  return {
    clients: [
      {
        client_id: 'gatehouse-hub',
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'test' }] },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    issueRefreshToken: async () => true,
  };
}
