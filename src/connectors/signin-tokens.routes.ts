import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerCrossSiteGuard, registerDepthLimitedJsonParser, requireJsonBody } from '../api/guards.ts';
import { sendApiError } from '../api/management-api.ts';
import type { Db } from '../db/database.ts';
import { parseBasicCredentials } from '../lib/basic-credentials.ts';
import type { Clock } from '../lib/clock.ts';
import { InvalidInputError, InvalidInputsError, NotFoundError } from '../lib/errors.ts';
import type { RateLimiter } from '../lib/rate-limiter.ts';
import { API_RETRY_AFTER_SECONDS, ApiAuthenticationError, apiThrottleKey, authenticateWithApiKey, recordApiAuthenticationFailure } from '../staff/api-auth.ts';
import { checkAccountUsername } from './account-users.ts';
import { requestSignInToken, type SignInTokenRequester } from './signin-token-issuance.ts';

// The seed's first step, under the org's base: POST /o/<slug>/v1.0/accounts/{AccountId}/signintoken
// with {"Username": "…"} answers {"Token": "…", "ExpiresAtUtc": "…Z"}. An API for the partner's
// servers: a Bearer access token the partner's client obtained for itself (client_credentials)
// with the `connectors` scope, as the seed sends it, or a staff API key with connectors:write
// (Basic orgId:apiKey, as the management API takes it). Errors are the management API's JSON
// (`{"error": {"code", "message"}}`); the Bearer refusals carry RFC 6750 §3's challenge in
// WWW-Authenticate and its error code (`invalid_token`, `insufficient_scope`) as the body's code.

/** The scope a client's token needs here. */
export const CONNECTORS_SCOPE = 'connectors';

/** The staff permission an API key's user needs here. */
const CONNECTORS_WRITE = 'connectors:write';

/** A client acting for itself, as its access token says (oauth/ verifies the token; this folder must not import it). */
export interface ServiceTokenHolder {
  readonly clientId: string;
  readonly scopes: readonly string[];
}

export interface SignInTokenRouteDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly publicUrl: string;
  /** The management API's counter of failed API-key authentications per client network, shared with it. */
  readonly apiThrottle: RateLimiter;
  /** The organization of the request's `/o/<slug>`, resolved by the enclosing scope. */
  orgIdOf(request: FastifyRequest): string;
  /** The client behind a client_credentials access token of the request's org; undefined for any other token. */
  verifyServiceToken(request: FastifyRequest, token: string): Promise<ServiceTokenHolder | undefined>;
}

const BEARER_REALM = 'Bearer realm="Gatehouse"';
const BASIC_CHALLENGE = 'Basic realm="Gatehouse API", charset="UTF-8"';
const SCHEMES_TAKEN = `Bearer <an access token obtained with client_credentials and the ${CONNECTORS_SCOPE} scope>, or HTTP Basic (user name: the organization ID or slug; password: an API key with ${CONNECTORS_WRITE})`;

/** Longer than any account id; a longer one (or one with NUL, which PostgreSQL cannot hold) names no account. */
const MAX_ACCOUNT_ID_LENGTH = 200;

/** Why a request is not let in: its status, body code and message, and the challenge it carries. */
interface Refusal {
  readonly status: 401 | 403 | 429;
  readonly code: string;
  readonly message: string;
  readonly challenge?: string;
}

/** The error handler of the scope the route is registered in: the management API's JSON errors. */
export function answerSignInTokenError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendApiError(request, reply, error);
}

export function registerSignInTokenRoutes(scope: FastifyInstance, deps: SignInTokenRouteDeps): void {
  // As /api: a request a page of another site (or any page embedding it) sent is refused unread.
  registerCrossSiteGuard(scope, { publicUrl: deps.publicUrl, readableFromOtherSites: new Set() });
  registerDepthLimitedJsonParser(scope);
  scope.addHook('onRequest', async (request) => requireJsonBody(request));

  scope.post<{ Params: { accountId: string } }>('/v1.0/accounts/:accountId/signintoken', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const orgId = deps.orgIdOf(request);
    const caller = await authenticate(request, orgId, deps);
    if ('status' in caller) {
      if (caller.challenge !== undefined) reply.header('www-authenticate', caller.challenge);
      if (caller.status === 429) reply.header('retry-after', String(API_RETRY_AFTER_SECONDS));
      return reply.code(caller.status).send({ error: { code: caller.code, message: caller.message } });
    }
    const username = usernameOf(request.body);
    const { accountId } = request.params;
    if (accountId.length > MAX_ACCOUNT_ID_LENGTH || accountId.includes('\u0000')) throw new NotFoundError('account', accountId);
    const issued = await requestSignInToken(deps.db, deps.clock, { orgId, accountId, username, requester: caller, ip: request.ip });
    return reply.send({ Token: issued.token, ExpiresAtUtc: new Date(issued.expiresAt).toISOString() });
  });
}

/**
 * The caller, or why it is refused. A Bearer token is checked by the injected verifier; an API
 * key as the management API checks it (failures counted per client network and audited, a
 * throttled network told so), and must be of this org.
 */
async function authenticate(request: FastifyRequest, orgId: string, deps: SignInTokenRouteDeps): Promise<SignInTokenRequester | Refusal> {
  const authorization = request.headers.authorization ?? '';
  const bearer = /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization);
  if (bearer !== null) {
    const holder = await deps.verifyServiceToken(request, bearer[1]!);
    if (holder === undefined) {
      request.log.info({ event: 'signin_token_auth_failed', scheme: 'Bearer' }, 'sign-in token request with an unusable access token');
      const message = 'The access token is invalid, expired or revoked, of another organization, or was not obtained by a client for itself (client_credentials).';
      return { status: 401, code: 'invalid_token', message, challenge: `${BEARER_REALM}, error="invalid_token", error_description="${message}"` };
    }
    if (!holder.scopes.includes(CONNECTORS_SCOPE)) {
      const message = `The access token was not granted the ${CONNECTORS_SCOPE} scope.`;
      return { status: 403, code: 'insufficient_scope', message, challenge: `${BEARER_REALM}, error="insufficient_scope", scope="${CONNECTORS_SCOPE}", error_description="${message}"` };
    }
    return { type: 'client', clientId: holder.clientId };
  }
  const basic = parseBasicCredentials(authorization === '' ? undefined : authorization);
  if (basic === undefined) {
    // No credentials, or a scheme not taken here: both challenges, without an error (RFC 6750 §3.1).
    const message = authorization === '' ? `Authentication failed: no credentials. This endpoint takes ${SCHEMES_TAKEN}.` : `Authentication failed: this endpoint takes ${SCHEMES_TAKEN}.`;
    return { status: 401, code: 'unauthorized', message, challenge: `${BEARER_REALM}, ${BASIC_CHALLENGE}` };
  }
  if (deps.apiThrottle.isBlocked(apiThrottleKey(request.ip))) return { status: 429, code: 'too_many_attempts', message: 'Too many failed attempts; try again later.' };
  try {
    if (basic === 'malformed') throw new ApiAuthenticationError('malformed credentials');
    const principal = await authenticateWithApiKey(deps.db, deps.clock, basic.userId, basic.password);
    if (principal.orgId !== orgId) {
      return { status: 401, code: 'unauthorized', message: 'Authentication failed: the API key is not of this organization.', challenge: BASIC_CHALLENGE };
    }
    if (!principal.permissions.has(CONNECTORS_WRITE)) return { status: 403, code: 'forbidden', message: `This API key's user lacks the ${CONNECTORS_WRITE} permission.` };
    return { type: 'api_key', apiKeyId: principal.apiKeyId };
  } catch (error) {
    if (!(error instanceof ApiAuthenticationError)) throw error;
    request.log.info({ event: 'signin_token_auth_failed', scheme: 'Basic', detail: error.detail }, 'sign-in token request with unusable API key credentials');
    if ((await recordApiAuthenticationFailure(deps.db, deps.clock, deps.apiThrottle, error, request.ip)) === 'throttled') {
      return { status: 429, code: 'too_many_attempts', message: 'Too many failed attempts; try again later.' };
    }
    return { status: 401, code: 'unauthorized', message: 'Authentication failed.', challenge: BASIC_CHALLENGE };
  }
}

/** The body's `Username`, judged (1–200 characters, no control characters); every bad field named at once. */
function usernameOf(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInputError('body', 'must be a JSON object: {"Username": "…"}');
  const errors: InvalidInputError[] = [];
  let username: string | undefined;
  for (const [field, value] of Object.entries(body)) {
    if (field !== 'Username') {
      if (errors.length < 10) errors.push(new InvalidInputError(field, 'is not a known field'));
    } else if (typeof value !== 'string') errors.push(new InvalidInputError('Username', 'must be a string'));
    else {
      try {
        username = checkAccountUsername(value);
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        errors.push(error);
      }
    }
  }
  if (!('Username' in body)) errors.unshift(new InvalidInputError('Username', 'is required'));
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1 || username === undefined) throw new InvalidInputsError(errors);
  return username;
}
