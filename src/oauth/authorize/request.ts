import type { Client } from '../../clients/clients.ts';
import { isSubset, isValidScopeToken, splitScope } from '../../lib/scope.ts';
import type { OrgContext } from '../context.ts';
import {
  InvalidRequest,
  InvalidScope,
  OAuthError,
  RegistrationNotSupported,
  RequestNotSupported,
  RequestUriNotSupported,
  UnauthorizedClient,
  UnsupportedResponseType,
} from '../errors.ts';
import { param, type RawParams } from '../params.ts';
import { isValidCodeChallenge } from '../../lib/pkce.ts';

export type ResponseMode = 'query' | 'form_post';
export type Prompt = 'none' | 'login' | 'consent' | 'select_account';

/** An authorization request that passed every rule; what an interaction stores while the constituent signs in. */
export interface AuthorizationRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly responseMode: ResponseMode;
  readonly scope: readonly string[];
  readonly state: string | null;
  readonly nonce: string | null;
  readonly codeChallenge: string | null;
  readonly prompt: readonly Prompt[];
  readonly maxAgeSeconds: number | null;
  readonly loginHint: string | null;
}

/** Where and how the answer to an authorization request goes, once the redirect URI is trusted. */
export interface ResponseTarget {
  readonly redirectUri: string;
  readonly responseMode: ResponseMode;
  readonly state: string | null;
}

/** Not sent back to the client: the client or its redirect URI could not be trusted. Shown as a page. */
export class UntrustedRequestError extends Error {
  readonly title: string;
  constructor(title: string, message: string) {
    super(message);
    this.title = title;
  }
}

/** Sent back to the client's verified redirect URI (RFC 6749 §4.1.2.1). */
export class RedirectedError extends Error {
  readonly error: OAuthError;
  readonly target: ResponseTarget;
  constructor(error: OAuthError, target: ResponseTarget) {
    super(error.description);
    this.error = error;
    this.target = target;
  }
}

/**
 * A pending sign-in stores the validated request (authorize.ts, oauth/sessions/pending-sign-ins.ts).
 * Its other parts are fixed in size or set by the org (the redirect URI is a registered one, of
 * at most 2000 characters; the scope a subset of the client's), so these bound what the client
 * chooses freely, in UTF-8 bytes as stored (in JSON, where a control character takes 6): a limit
 * in characters let a 2048-character state take 12 KB. RFC 6749 sets no limit on `state`, and
 * some clients carry a return path or an encrypted blob in it, so it keeps room for 2 KB
 * (Connect2id allows 1 KB in a query response and 8 KB by form post, Wristband 2,000
 * characters); a `nonce` is a random value; a `login_hint` names an account, and an email address
 * has at most 254 characters (RFC 5321 §4.5.3.1.3). A maximal request stores 3.3 KB, a usual one
 * 0.5 KB (with a short redirect URI).
 */
const MAX_STATE_BYTES = 2048;
const MAX_NONCE_BYTES = 512;
const MAX_LOGIN_HINT_BYTES = 256;
const PROMPTS: readonly Prompt[] = ['none', 'login', 'consent', 'select_account'];

/**
 * The authorization endpoint's rules, in order (RFC 6749 §4.1.1 and §3.1.2, RFC 7636, RFC 9700,
 * OpenID Connect Core §3.1.2.1). Until the client and its redirect URI are verified, failures are
 * pages (never a redirect to an unverified URI: RFC 9700 §4.11); after, they go back to the client.
 */
export async function validateAuthorizationRequest(ctx: OrgContext, params: RawParams): Promise<{ client: Client; request: AuthorizationRequest }> {
  const client = await checkClient(ctx, params);
  const redirectUri = checkRedirectUri(client, params);
  // Below, the redirect URI is trusted: errors are redirected with state (and iss). RFC 6749
  // §4.1.2.1 asks for "the exact value received": a state that cannot be read (repeated, or with
  // a NUL, which no response can carry) is refused below and left out of the error, never altered.
  const target: ResponseTarget = { redirectUri, responseMode: checkResponseMode(params, redirectUri), state: safeParam(params, 'state') ?? null };
  try {
    checkNoRepeats(params);
    const state = checkState(params);
    checkResponseType(params);
    checkFormPostTarget(params, redirectUri);
    checkUnsupportedFeatures(params);
    if (!client.grantTypes.includes('authorization_code')) throw new UnauthorizedClient('This client may not use the authorization code flow.');
    const request: AuthorizationRequest = {
      clientId: client.clientId,
      redirectUri,
      responseMode: target.responseMode,
      scope: checkScope(client, params),
      state,
      nonce: checkNonce(params),
      codeChallenge: checkCodeChallenge(client, params),
      prompt: checkPrompt(params),
      maxAgeSeconds: checkMaxAge(params),
      loginHint: checkLoginHint(params),
    };
    return { client, request };
  } catch (error) {
    if (error instanceof OAuthError) throw new RedirectedError(error, target);
    throw error;
  }
}

/** A parameter read before the rules run, for the error response: a repeated value or one with a NUL (refused later) reads as absent. */
function safeParam(params: RawParams, name: string): string | undefined {
  try {
    return param(params, name);
  } catch {
    return undefined;
  }
}

async function checkClient(ctx: OrgContext, params: RawParams): Promise<Client> {
  const clientId = safeParamOrPage(params, 'client_id');
  if (clientId === undefined) throw new UntrustedRequestError('Missing client', 'The request does not say which application is asking (client_id is missing).');
  const client = clientId.length > 200 ? undefined : await ctx.findClient(clientId);
  if (client === undefined) throw new UntrustedRequestError('Unknown application', `No application with this client_id is registered with ${ctx.org.name}.`);
  // Never the name of a client that is not active: a pending one's is an anonymous registrant's
  // choice, which the org's page must not show as if the org said it.
  if (client.status === 'pending') throw new UntrustedRequestError('Application awaiting approval', `This application has not been approved by ${ctx.org.name} yet, so it cannot sign anyone in.`);
  if (client.status !== 'active') throw new UntrustedRequestError('Application unavailable', `This application is not allowed to sign anyone in with ${ctx.org.name}.`);
  return client;
}

function safeParamOrPage(params: RawParams, name: string): string | undefined {
  try {
    return param(params, name);
  } catch (error) {
    throw new UntrustedRequestError('Invalid request', (error as Error).message);
  }
}

/**
 * RFC 6749 §3.1.2.3 and RFC 9700 §4.1.3: exact string comparison with a registered URI. The one
 * exception is RFC 8252 §7.3: for a public (native) client, a loopback `http` URI may differ in
 * its port, which the app picks at run time.
 */
function checkRedirectUri(client: Client, params: RawParams): string {
  const redirectUri = safeParamOrPage(params, 'redirect_uri');
  if (redirectUri === undefined) throw new UntrustedRequestError('Missing redirect URI', 'The request has no redirect_uri, so there is nowhere safe to send the answer.');
  if (client.redirectUris.includes(redirectUri)) return redirectUri;
  if (client.clientType === 'public' && client.redirectUris.some((registered) => sameExceptLoopbackPort(registered, redirectUri))) return redirectUri;
  throw new UntrustedRequestError('Invalid redirect URI', 'The redirect_uri is not registered for this application. Check the application\'s settings.');
}

/**
 * RFC 8252 §7.3 allows any port on a loopback IP redirect URI, and nothing else to vary (RFC 9700
 * §4.1.3: exact string matching). So the strings are compared, each with the `:port` right after
 * the literal host `127.0.0.1` or `[::1]` taken out; never parsed as URLs, whose normalisation
 * makes `127.1`, `0x7f000001`, `/x/../callback` or a backslash equal to the registered URI.
 * `localhost` (a name, which RFC 8252 §8.3 advises against) gets the same rule, literally: native
 * apps registered with it before that advice pick their port at run time too, and browsers
 * resolve it to a loopback address themselves.
 */
function sameExceptLoopbackPort(registered: string, presented: string): boolean {
  const withoutPort = withoutLoopbackPort(registered);
  return withoutPort !== undefined && withoutPort === withoutLoopbackPort(presented);
}

/** `http://127.0.0.1`, `http://[::1]` or `http://localhost`, a port (1 to 65535, no leading zero) or none, then the path, query or nothing. */
const LOOPBACK_ORIGIN = /^(http:\/\/(?:127\.0\.0\.1|\[::1\]|localhost))(?::([1-9][0-9]{0,4}))?(?=[/?]|$)/;

function withoutLoopbackPort(uri: string): string | undefined {
  const match = LOOPBACK_ORIGIN.exec(uri);
  if (match === null || Number(match[2] ?? 0) > 65535) return undefined;
  return match[1] + uri.slice(match[0].length);
}

/**
 * The mode the response goes back in. An unsupported mode, or form_post to a redirect URI no
 * browser can post a form to, is reported through the default mode (query).
 */
function checkResponseMode(params: RawParams, redirectUri: string): ResponseMode {
  const mode = safeParam(params, 'response_mode');
  return mode === 'form_post' && canReceiveFormPost(redirectUri) ? 'form_post' : 'query';
}

/**
 * OAuth 2.0 Form Post Response Mode §2: the browser submits an HTML form to the redirect URI,
 * which a native app's private-use scheme (RFC 8252 §7.1) cannot receive; only a redirect reaches it.
 */
function checkFormPostTarget(params: RawParams, redirectUri: string): void {
  if (param(params, 'response_mode') === 'form_post' && !canReceiveFormPost(redirectUri)) {
    throw new InvalidRequest('response_mode=form_post needs an http or https redirect URI; use the default response mode (query) with this one.');
  }
}

function canReceiveFormPost(redirectUri: string): boolean {
  const protocol = URL.parse(redirectUri)?.protocol;
  return protocol === 'https:' || protocol === 'http:';
}

/** The parameters of an authorization request that an error may name (OpenID Connect Core §3.1.2.1, RFC 7636, RFC 9207). */
const KNOWN_PARAMETERS: ReadonlySet<string> = new Set([
  'response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'response_mode', 'nonce', 'prompt', 'max_age', 'login_hint',
  'code_challenge', 'code_challenge_method', 'request', 'request_uri', 'registration', 'display', 'ui_locales', 'id_token_hint', 'acr_values', 'claims',
]);

/**
 * RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once." The
 * error names a parameter only when it is one of ours: any other name is the caller's text.
 */
function checkNoRepeats(params: RawParams): void {
  for (const [name, values] of params) {
    if (values.length > 1) throw new InvalidRequest(KNOWN_PARAMETERS.has(name) ? `The ${name} parameter is repeated.` : 'A parameter is repeated.');
  }
}

/** Read strictly here (a NUL is refused), unlike the copy kept for error responses. */
function checkState(params: RawParams): string | null {
  const state = param(params, 'state') ?? null;
  if (state !== null && storedBytes(state) > MAX_STATE_BYTES) throw new InvalidRequest(`The state parameter is longer than ${MAX_STATE_BYTES} bytes.`);
  return state;
}

/** The size of `value` as an interaction stores it: UTF-8 inside a JSON string. */
function storedBytes(value: string): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8') - 2;
}

function checkResponseType(params: RawParams): void {
  const mode = param(params, 'response_mode');
  if (mode !== undefined && mode !== 'query' && mode !== 'form_post') throw new InvalidRequest('The response_mode must be query or form_post.');
  const responseType = param(params, 'response_type');
  if (responseType === undefined) throw new InvalidRequest('The response_type parameter is required.');
  if (responseType !== 'code') throw new UnsupportedResponseType('Only response_type=code is supported.');
}

function checkUnsupportedFeatures(params: RawParams): void {
  if (param(params, 'request') !== undefined) throw new RequestNotSupported('Request objects are not supported.');
  if (param(params, 'request_uri') !== undefined) throw new RequestUriNotSupported('The request_uri parameter is not supported.');
  if (param(params, 'registration') !== undefined) throw new RegistrationNotSupported('The registration parameter is not supported.');
}

/** Without a scope, the constituent's identity only (`openid`) when the client may ask for it. */
function checkScope(client: Client, params: RawParams): string[] {
  const allowed = splitScope(client.scope);
  const raw = param(params, 'scope');
  const requested = raw === undefined ? allowed.filter((s) => s === 'openid') : splitScope(raw);
  if (requested.some((s) => !isValidScopeToken(s))) throw new InvalidScope('The scope parameter is malformed.');
  if (!isSubset(requested, allowed)) throw new InvalidScope('The requested scope is not allowed for this application.');
  return requested;
}

function checkNonce(params: RawParams): string | null {
  const nonce = param(params, 'nonce');
  if (nonce !== undefined && storedBytes(nonce) > MAX_NONCE_BYTES) throw new InvalidRequest(`The nonce is longer than ${MAX_NONCE_BYTES} bytes.`);
  return nonce ?? null;
}

/**
 * OpenID Connect Core §3.1.2.1 leaves the use of login_hint to the server: one too long to name
 * an account is not used (nor stored), rather than refusing a request that can succeed without it.
 */
function checkLoginHint(params: RawParams): string | null {
  const hint = param(params, 'login_hint');
  return hint === undefined || storedBytes(hint) > MAX_LOGIN_HINT_BYTES ? null : hint;
}

/** RFC 7636 with S256 only (RFC 9700 §2.1.1); required for public clients. */
function checkCodeChallenge(client: Client, params: RawParams): string | null {
  const challenge = param(params, 'code_challenge');
  const method = param(params, 'code_challenge_method');
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest('code_challenge_method was sent without a code_challenge.');
    if (client.clientType === 'public') throw new InvalidRequest('PKCE is required for this client: send code_challenge and code_challenge_method=S256.');
    return null;
  }
  if (method !== 'S256') throw new InvalidRequest('Only code_challenge_method=S256 is supported (plain is not allowed).');
  if (!isValidCodeChallenge(challenge)) throw new InvalidRequest('The code_challenge is malformed (RFC 7636 section 4.2).');
  return challenge;
}

function checkPrompt(params: RawParams): Prompt[] {
  const values = splitScope(param(params, 'prompt'));
  for (const value of values) {
    if (!(PROMPTS as readonly string[]).includes(value)) throw new InvalidRequest(`The prompt parameter has a value that is not supported; use ${PROMPTS.join(', ')}.`);
  }
  // OpenID Connect Core §3.1.2.1: none with any other value is an error.
  if (values.includes('none') && values.length > 1) throw new InvalidRequest('prompt=none cannot be combined with other prompt values.');
  return values as Prompt[];
}

function checkMaxAge(params: RawParams): number | null {
  const raw = param(params, 'max_age');
  if (raw === undefined) return null;
  if (!/^\d{1,10}$/.test(raw)) throw new InvalidRequest('max_age must be a non-negative whole number of seconds.');
  return Number(raw);
}
