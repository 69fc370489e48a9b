import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { encodeBasicCredentials } from '../lib/basic-credentials.ts';
import { newCodeVerifier, s256CodeChallenge } from '../lib/pkce.ts';
import { isLoopbackHost } from '../clients/redirect-uris.ts';
import { randomBase64url } from '../lib/random.ts';
import { constantTimeEqual } from '../lib/secrets.ts';

/**
 * The relying party `gatehouse try` plays: the authorization code flow with PKCE, as a
 * confidential client, against any issuer. Runtime code, so it uses runtime dependencies only
 * (fetch, node:http, jose). Every failure is a TryFailure naming the step.
 */

/** How long one request to the provider may take. */
const REQUEST_TIMEOUT_MS = 10_000;
/** The ID token algorithms Gatehouse signs with. */
const ID_TOKEN_ALGS = ['ES256', 'RS256'];

/** A step of the flow failed; `code` is the CLI's error code, the message says what and why. */
export class TryFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The discovery fields the flow uses (OpenID Connect Discovery 1.0 §3). */
export interface ProviderMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly userinfo_endpoint: string;
  readonly jwks_uri: string;
  readonly authorization_response_iss_parameter_supported?: boolean;
}

export interface TryClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
}

/** A pending authorization request: the URL to open and what the answer must match. */
export interface AuthorizationRequest {
  readonly url: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

async function getJson(url: string, init: RequestInit, step: string): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    throw new TryFailure('unreachable', `${step}: cannot reach ${url} (${(error as Error).message}); is the server running, and PUBLIC_URL the server's?`);
  }
  const text = await response.text();
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return { status: response.status, body: body as Record<string, unknown> };
  } catch {
    // Reported below.
  }
  throw new TryFailure('unexpected_response', `${step}: ${url} answered ${response.status} without a JSON object`);
}

/** One line of printable text from a provider's error field, whatever it sent. */
function printable(value: unknown): string {
  return String(value).replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}

/** OpenID Connect Discovery: the issuer's metadata, whose `issuer` must be the one asked for (§4.3). */
export async function discover(issuer: string): Promise<ProviderMetadata> {
  const url = `${issuer}/.well-known/openid-configuration`;
  const { status, body } = await getJson(url, {}, 'discovery');
  if (status !== 200) throw new TryFailure('discovery_failed', `discovery: ${url} answered ${status}; check --org and PUBLIC_URL`);
  if (body.issuer !== issuer) throw new TryFailure('discovery_failed', `discovery: ${url} names the issuer ${printable(body.issuer)}, not ${issuer}`);
  for (const field of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
    if (typeof body[field] !== 'string') throw new TryFailure('discovery_failed', `discovery: ${url} has no ${field}`);
  }
  checkAuthorizationEndpoint(body.authorization_endpoint as string, issuer);
  return body as unknown as ProviderMetadata;
}

/**
 * The authorization endpoint is what try prints for a person to open, and with --open hands to
 * the system's URL opener: it must be a web page of the issuer itself, https (or http on a
 * loopback host, RFC 8252 §7.3), on the issuer's origin. Otherwise an issuer (or whoever answers
 * for it) could have a `file:` URL, another scheme's handler or another site opened.
 */
export function checkAuthorizationEndpoint(endpoint: string, issuer: string): URL {
  const refuse = (why: string): TryFailure =>
    new TryFailure('discovery_failed', `discovery: the authorization_endpoint ${printable(endpoint)} ${why}; try opens only an https (or loopback http) page on the issuer's origin`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw refuse('is not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) throw refuse(`uses ${printable(url.protocol)}`);
  if (url.origin !== new URL(issuer).origin) throw refuse(`is not on the issuer's origin ${new URL(issuer).origin}`);
  return url;
}

/**
 * The command that opens `url` in the default browser on `platform`, as an argument vector (no
 * shell): `open` on macOS, `xdg-open` elsewhere, and on Windows `rundll32 url.dll,FileProtocolHandler`,
 * never `cmd /c start`, which parses the URL as a command line: it stopped at the first `&`, and
 * an issuer's `&calc` after it was run as a command.
 */
export function openerCommand(platform: NodeJS.Platform, url: string): { readonly command: string; readonly args: readonly string[] } {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  return { command: 'xdg-open', args: [url] };
}

/** The authorization request: code flow, PKCE S256 (RFC 7636), `state` (RFC 6749 §10.12) and `nonce` (OIDC Core §3.1.2.1). */
export function authorizationRequest(metadata: ProviderMetadata, client: TryClient, scope: string): AuthorizationRequest {
  const state = randomBase64url(16);
  const nonce = randomBase64url(16);
  const codeVerifier = newCodeVerifier();
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope,
    state,
    nonce,
    code_challenge: s256CodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.href, state, nonce, codeVerifier };
}

/**
 * A request to the redirect URI that is not this sign-in's answer (another state or issuer, or
 * neither a code nor an error): any page or local process can send one, so it is refused and the
 * listener keeps waiting for the real answer.
 */
export class StrayCallback extends TryFailure {
  constructor(message: string) {
    super('authorization_failed', message);
  }
}

/**
 * The authorization response, checked: the state this request sent (RFC 6749 §10.12), the issuer
 * when the provider says it sends one (RFC 9207 §2.4: a mix-up defence), then the code, or the
 * error the provider redirected with. A StrayCallback for what is not this sign-in's answer; a
 * TryFailure for the provider's error.
 */
export function codeFromCallback(params: URLSearchParams, expected: { readonly state: string; readonly issuer: string; readonly issRequired: boolean }): string {
  const state = params.get('state');
  if (state === null || !constantTimeEqual(state, expected.state)) {
    throw new StrayCallback('the redirect carried another state than the request sent: not the answer to this sign-in, refused (RFC 6749 §10.12)');
  }
  const iss = params.get('iss');
  if ((iss !== null || expected.issRequired) && iss !== expected.issuer) {
    throw new StrayCallback(`the redirect names the issuer ${printable(iss)}, not ${expected.issuer} (RFC 9207)`);
  }
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description');
    throw new TryFailure('authorization_failed', `the sign-in ended with ${printable(error)}${description === null ? '' : `: ${printable(description)}`}`);
  }
  const code = params.get('code');
  if (code === null || code === '') throw new StrayCallback('the redirect carried neither a code nor an error');
  return code;
}

/** RFC 6749 §4.1.3 with the PKCE verifier, authenticated by client_secret_basic (§2.3.1: each part form-encoded). */
export async function redeemCode(metadata: ProviderMetadata, client: TryClient, code: string, codeVerifier: string): Promise<Record<string, unknown>> {
  const { status, body } = await getJson(
    metadata.token_endpoint,
    {
      method: 'POST',
      headers: { authorization: encodeBasicCredentials(client.clientId, client.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: codeVerifier }).toString(),
    },
    'token request',
  );
  if (status !== 200) {
    const hint = body.error === 'invalid_client' ? ' (check --client-id and --client-secret)' : '';
    throw new TryFailure('token_failed', `token request: ${status} ${printable(body.error)}${body.error_description === undefined ? '' : `: ${printable(body.error_description)}`}${hint}`);
  }
  if (typeof body.access_token !== 'string' || typeof body.id_token !== 'string') {
    throw new TryFailure('token_failed', 'token request: the response has no access_token or no id_token (was openid in the scope?)');
  }
  return body;
}

/** The issuer's public keys (its JWKS), for verifying the ID token. */
export async function fetchJwks(metadata: ProviderMetadata): Promise<JSONWebKeySet> {
  const { status, body } = await getJson(metadata.jwks_uri, {}, 'JWKS');
  if (status !== 200 || !Array.isArray(body.keys)) throw new TryFailure('id_token_invalid', `JWKS: ${metadata.jwks_uri} answered ${status} without keys`);
  return body as unknown as JSONWebKeySet;
}

/**
 * OpenID Connect Core §3.1.3.7: the ID token's signature (by a key of the issuer's JWKS), `iss`,
 * `aud` (this client), expiry, and the `nonce` of this request. Returns its claims.
 */
export async function verifyIdToken(idToken: string, expected: { readonly jwks: JSONWebKeySet; readonly issuer: string; readonly clientId: string; readonly nonce: string }): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, createLocalJWKSet(expected.jwks), { issuer: expected.issuer, audience: expected.clientId, algorithms: ID_TOKEN_ALGS }));
  } catch (error) {
    const reason = error instanceof joseErrors.JOSEError ? error.message : String(error);
    throw new TryFailure('id_token_invalid', `the ID token did not verify: ${reason}`);
  }
  if (typeof payload.nonce !== 'string' || !constantTimeEqual(payload.nonce, expected.nonce)) {
    throw new TryFailure('id_token_invalid', 'the ID token carries another nonce than the request sent (OpenID Connect Core §3.1.3.7): refused');
  }
  // §3.1.3.7 item 4: with several audiences, this client must be the authorized party.
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== expected.clientId) {
    throw new TryFailure('id_token_invalid', 'the ID token has several audiences and another authorized party (azp)');
  }
  return payload;
}

/** OpenID Connect Core §5.3: the claims, whose `sub` must be the ID token's (§5.3.2). */
export async function fetchUserinfo(metadata: ProviderMetadata, accessToken: string, sub: string | undefined): Promise<Record<string, unknown>> {
  const { status, body } = await getJson(metadata.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } }, 'userinfo');
  if (status !== 200) throw new TryFailure('userinfo_failed', `userinfo: ${status} ${printable(body.error ?? '')}`);
  if (body.sub !== sub) throw new TryFailure('userinfo_failed', `userinfo: its sub ${printable(body.sub)} is not the ID token's ${printable(sub)} (OpenID Connect Core §5.3.2)`);
  return body;
}

/** The loopback listener at the redirect URI: `ready` once it listens, `callback` with what `answer` made of the sign-in's answer. */
export interface CallbackListener<T> {
  readonly ready: Promise<void>;
  readonly callback: Promise<T>;
  close(): void;
}

export interface CallbackOptions<T> {
  readonly timeoutMs: number;
  /** Judges a request to the redirect URI's path: its result ends the wait; a StrayCallback is answered 400 and the wait goes on; any other error ends it. */
  readonly answer: (params: URLSearchParams) => T;
  /** Told why a stray request was refused (for the terminal). */
  readonly onStray?: (error: StrayCallback) => void;
}

/**
 * Listens on the redirect URI's loopback host and port (both 127.0.0.1 and ::1 for `localhost`,
 * as a browser may use either; never another interface) until the browser comes back to its
 * path with this sign-in's answer, or `timeoutMs` passes. Any page the browser shows and any local
 * process can request that path: a request that is not the answer (StrayCallback, such as another
 * state) gets a 400 page and does not end the wait.
 */
export function listenForCallback<T>(redirectUri: URL, options: CallbackOptions<T>): CallbackListener<T> {
  const hosts = redirectUri.hostname === 'localhost' ? ['127.0.0.1', '::1'] : [redirectUri.hostname.replace(/^\[|\]$/g, '')];
  const port = Number(redirectUri.port || 80);
  const servers: Server[] = [];
  let answer!: (result: T) => void;
  let fail!: (error: Error) => void;
  const callback = new Promise<T>((resolve, reject) => {
    answer = resolve;
    fail = reject;
  });
  const timer = setTimeout(() => fail(new TryFailure('timeout', `no sign-in came back to ${redirectUri.href} within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
  const close = (): void => {
    clearTimeout(timer);
    for (const server of servers) {
      server.close();
      server.closeAllConnections();
    }
  };
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', redirectUri);
    if (request.method !== 'GET' || url.pathname !== redirectUri.pathname) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Not the redirect URI.\n');
      return;
    }
    const headers = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', connection: 'close' };
    let result: T;
    try {
      result = options.answer(url.searchParams);
    } catch (error) {
      if (error instanceof StrayCallback) {
        // Fixed text: what the request carried is not echoed.
        response.writeHead(400, headers).end('gatehouse try: this is not the answer to the sign-in gatehouse try is waiting for; it keeps waiting.\n');
        options.onStray?.(error);
        return;
      }
      response.writeHead(200, headers).end('gatehouse try: the sign-in did not complete; see the terminal.\n');
      fail(error as Error);
      return;
    }
    response.writeHead(200, headers).end('gatehouse try: signed in. You can close this tab; the tokens are in the terminal.\n');
    answer(result);
  };
  const ready = Promise.all(
    hosts.map(
      (host, i) =>
        new Promise<void>((resolve, reject) => {
          const server = createServer(handle);
          servers.push(server);
          server.once('error', (error: NodeJS.ErrnoException) => {
            // ::1 beside 127.0.0.1 is a courtesy: a machine without IPv6 still works.
            if (i > 0 && ['EADDRNOTAVAIL', 'EAFNOSUPPORT'].includes(error.code ?? '')) resolve();
            else reject(new TryFailure('listen', `cannot listen on ${redirectUri.host} for the redirect URI (${error.code ?? error.message}): stop what uses that port, or register another loopback redirect URI on the client and pass it with --redirect-uri`));
          });
          server.listen(port, host, () => resolve());
        }),
    ),
  ).then(() => undefined);
  ready.catch(() => close());
  void callback.then(close, close);
  return { ready, callback, close };
}
