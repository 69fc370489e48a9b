import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ContentTooLarge, HttpClientError } from '../http/errors.ts';
import { readForm } from '../http/forms.ts';
import { authenticateClient } from './client-auth.ts';
import type { ClientAuthThrottle } from './client-auth-throttle.ts';
import type { OrgContext } from './context.ts';
import { discoveryDocument } from './discovery/discovery.ts';
import { OAUTH_PATHS } from './endpoints.ts';
import {
  ClientAuthenticationThrottled,
  ClientMetadataTooLarge,
  InsufficientScope,
  InvalidClient,
  InvalidClientMetadata,
  InvalidInitialAccessToken,
  InvalidRequest,
  InvalidToken,
  OAuthError,
  PayloadTooLarge,
  RegistrationThrottled,
  ServerError,
  errorBody,
} from './errors.ts';
import { introspect } from './introspection/introspection.ts';
import { param, requiredParam, type RawParams } from './params.ts';
import { CLIENT_METADATA_AS_JSON } from './registration/dynamic-registration.ts';
import { revoke } from './revocation/revocation.ts';
import { handleTokenRequest } from './token/token.ts';
import { userinfo } from './userinfo/userinfo.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * RFC 7591's registration endpoint (oauth/registration/): a body it cannot read is
     * invalid_client_metadata (§3.2.2) rather than invalid_request, its refusals are logged as
     * such, and its errors carry no CORS header (it answers no other origin's script).
     */
    clientMetadata?: true;
  }
}

export interface OAuthRoutesDeps {
  /** Counts failed client authentication at the token, introspection and revocation endpoints; one per app. */
  readonly clientAuthThrottle: ClientAuthThrottle;
}

/**
 * The JSON protocol endpoints of one organization (registered under `/o/:slug`): discovery,
 * JWKS, token, userinfo, introspection, revocation. Each parses its input, calls one domain
 * function and renders; errors are thrown, for the scope's handler (answerOAuthError, which
 * app.ts registers on it).
 */
export function registerOAuthRoutes(scope: FastifyInstance, deps: OAuthRoutesDeps): void {
  scope.get(OAUTH_PATHS.openidConfiguration, async (request, reply) => sendDiscovery(request.org, reply));
  scope.get(OAUTH_PATHS.jwks, async (request, reply) => {
    const jwks = await request.org.publishedJwks();
    return reply.header('cache-control', 'public, max-age=60').header('access-control-allow-origin', '*').send(jwks);
  });

  allowCors(scope, [OAUTH_PATHS.token, OAUTH_PATHS.userinfo, OAUTH_PATHS.revocation, OAUTH_PATHS.introspection]);

  scope.post(OAUTH_PATHS.token, async (request, reply) => {
    const body = await readForm(request);
    const response = await handleTokenRequest(request.org, request.headers.authorization, body, { ip: request.ip, throttle: deps.clientAuthThrottle });
    return noStore(reply).header('access-control-allow-origin', '*').send(response);
  });

  const handleUserinfo = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const body = request.method === 'POST' ? await readForm(request) : new Map<string, string[]>();
    const claims = await userinfo(request.org, bearerToken(request, body));
    return noStore(reply).header('access-control-allow-origin', '*').send(claims);
  };
  scope.get(OAUTH_PATHS.userinfo, handleUserinfo);
  scope.post(OAUTH_PATHS.userinfo, handleUserinfo);
  // Neos's "profile endpoint": the same claims, by the name its integrations know.
  scope.get('/profile', handleUserinfo);

  scope.post(OAUTH_PATHS.introspection, async (request, reply) => {
    const body = await readForm(request);
    const { client, method } = await authenticateClient(request.org, request.headers.authorization, body, { ip: request.ip, throttle: deps.clientAuthThrottle });
    // RFC 7662 §2.1: the endpoint requires authentication; a public client has none to give.
    if (method === 'none') throw new InvalidClient('Introspection needs client authentication.', 'public client at introspection');
    const response = await introspect(request.org, client, requiredParam(body, 'token'), param(body, 'token_type_hint'));
    return noStore(reply).send(response);
  });

  scope.post(OAUTH_PATHS.revocation, async (request, reply) => {
    const body = await readForm(request);
    const { client } = await authenticateClient(request.org, request.headers.authorization, body, { ip: request.ip, throttle: deps.clientAuthThrottle });
    await revoke(request.org, client, requiredParam(body, 'token'));
    // RFC 7009 §2.2: 200 whether or not the token existed.
    return noStore(reply).header('access-control-allow-origin', '*').send();
  });
}

/** `PUBLIC_URL/.well-known/oauth-authorization-server/o/<slug>` (RFC 8414 §3.1 path insertion). */
export function registerAuthorizationServerMetadata(app: FastifyInstance, resolve: (slug: string) => Promise<OrgContext | undefined>): void {
  app.get<{ Params: { slug: string } }>('/.well-known/oauth-authorization-server/o/:slug', async (request, reply) => {
    const ctx = await resolve(request.params.slug);
    if (ctx === undefined) return reply.code(404).send({ error: 'not_found', error_description: 'There is no organization at this address.' });
    return sendDiscovery(ctx, reply);
  });
}

// Serialized once per organization version and issuer: discovery is answered from memory.
const discoveryCache = new Map<string, { readonly version: number; readonly json: string }>();

function sendDiscovery(ctx: OrgContext, reply: FastifyReply): FastifyReply {
  const key = `${ctx.org.id} ${ctx.issuer}`;
  let cached = discoveryCache.get(key);
  if (cached === undefined || cached.version !== ctx.org.updatedAt) {
    cached = { version: ctx.org.updatedAt, json: JSON.stringify(discoveryDocument(ctx.issuer, ctx.org)) };
    discoveryCache.set(key, cached);
  }
  return reply
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'public, max-age=300')
    .header('access-control-allow-origin', '*')
    .send(cached.json);
}

function noStore(reply: FastifyReply): FastifyReply {
  // RFC 6749 §5.1: responses with tokens or credentials are never cached.
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/** Browser apps (public clients with PKCE) call these endpoints cross-origin, without cookies. */
function allowCors(scope: FastifyInstance, paths: readonly string[]): void {
  for (const path of paths) {
    scope.options(path, async (_request, reply) =>
      reply
        .code(204)
        .header('access-control-allow-origin', '*')
        .header('access-control-allow-methods', 'GET, POST')
        .header('access-control-allow-headers', 'authorization, content-type')
        .header('access-control-max-age', '600')
        .send(),
    );
  }
}

const BEARER_SCHEME = /^Bearer(?: |$)/i;
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The access token of a resource request: the Authorization header (RFC 6750 §2.1) or a form
 * body's access_token (§2.2), not both (§2: "MUST NOT use more than one method"). Tokens in the
 * query string are not accepted (RFC 9700 §4.3.2). Another scheme (Basic …) is no bearer
 * credential at all; a Bearer header that is not a b64token is malformed.
 */
function bearerToken(request: FastifyRequest, body: RawParams): string {
  const header = request.headers.authorization;
  const fromBody = param(body, 'access_token');
  if (header !== undefined && fromBody !== undefined) throw new InvalidBearerRequest('Send the access token once: in the Authorization header or in the body, not both.');
  if (fromBody !== undefined) return fromBody;
  if (header === undefined || !BEARER_SCHEME.test(header)) throw new MissingToken('An access token is required.');
  const match = BEARER.exec(header);
  if (match === null) throw new InvalidBearerRequest('The Authorization header does not carry a well-formed Bearer token.');
  return match[1]!;
}

/** RFC 6750 §3.1: a request without bearer credentials gets a challenge with no error information. */
class MissingToken extends InvalidToken {}

/** RFC 6750 §3.1 invalid_request at a resource: 400, with the Bearer challenge naming the error. */
class InvalidBearerRequest extends InvalidRequest {}

/**
 * The error handler of every scope that answers OAuth JSON: the endpoints above and RFC 7591
 * registration (oauth/registration/). Every error becomes an OAuthError (anything unknown a
 * server_error, its cause logged) and is rendered once, by sendOAuthError.
 */
export function answerOAuthError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendOAuthError(request, reply, asOAuthError(error, request));
}

function asOAuthError(error: FastifyError, request: FastifyRequest): OAuthError | unknown {
  if (error instanceof OAuthError) return error;
  // RFC 7591 §3.2.2: at the registration endpoint, what cannot be read as metadata is invalid metadata.
  const clientMetadata = request.routeOptions.config.clientMetadata === true;
  // What the edge refused before the protocol read the request (http/errors.ts): invalid_request.
  if (error instanceof ContentTooLarge) return clientMetadata ? new ClientMetadataTooLarge('The request body is too large.', error.detail) : new PayloadTooLarge(error.description, error.detail);
  if (error instanceof HttpClientError) return clientMetadata ? new InvalidClientMetadata(CLIENT_METADATA_AS_JSON, error.detail) : new InvalidRequest(error.description, error.detail);
  const status = error.statusCode;
  if (status === 413) return clientMetadata ? new ClientMetadataTooLarge('The request body is too large.') : new PayloadTooLarge('The request body is too large.');
  if (status !== undefined && status >= 400 && status < 500) {
    return clientMetadata ? new InvalidClientMetadata(CLIENT_METADATA_AS_JSON, error.message) : new InvalidRequest('The request is malformed or has an unsupported content type.', error.message);
  }
  return error;
}

/**
 * The one renderer of protocol errors: RFC 6749 §5.2 JSON, `no-store`, and the challenge a 401
 * needs — Basic for client authentication (§5.2), Bearer for resource requests (RFC 6750 §3).
 * A resource request without bearer credentials gets the bare challenge and no body: RFC 6750
 * §3.1 says it SHOULD NOT carry an error code or other error information.
 */
function sendOAuthError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const clientMetadata = request.routeOptions.config.clientMetadata === true;
  let oauthError: OAuthError;
  if (error instanceof OAuthError) {
    oauthError = error;
    if (error.detail !== undefined) {
      // A lockout's refusals after its first are routine: at debug, so that a flood costs no log line each.
      const level = error instanceof ClientAuthenticationThrottled && error.quiet ? 'debug' : 'info';
      request.log[level]({ error: error.error, detail: error.detail }, clientMetadata ? 'registration refused' : 'protocol error');
    }
  } else {
    request.log.error({ err: error }, 'unexpected error at a protocol endpoint');
    oauthError = new ServerError('The server met an unexpected condition.');
  }
  noStore(reply).code(oauthError.status);
  if (!clientMetadata) reply.header('access-control-allow-origin', '*');
  const realm = request.org?.issuer ?? 'gatehouse';
  if (oauthError instanceof MissingToken) return reply.header('www-authenticate', `Bearer realm="${realm}"`).send();
  // RFC 7591 §3 answers a missing or wrong initial access token as RFC 6750 §3 does, naming the error only.
  if (oauthError instanceof InvalidInitialAccessToken) reply.header('www-authenticate', `Bearer realm="${realm}", error="${oauthError.error}"`);
  else if (oauthError instanceof InvalidToken || oauthError instanceof InvalidBearerRequest) reply.header('www-authenticate', bearerChallenge(realm, oauthError));
  else if (oauthError instanceof InsufficientScope) reply.header('www-authenticate', `${bearerChallenge(realm, oauthError)}, scope="${oauthError.scope}"`);
  // RFC 6585 §4: 429 and how long to wait, since no credentials were checked. RFC 6749 §5.2 asks a
  // failed Basic authentication for 401 with a challenge: a client that used Basic gets the
  // challenge on the 429 too (RFC 9110 §11.6.1 allows it on any response; browsers prompt on 401 only).
  else if (oauthError instanceof ClientAuthenticationThrottled) {
    reply.header('retry-after', String(oauthError.retryAfterSeconds));
    if (/^Basic(?: |$)/i.test(request.headers.authorization ?? '')) reply.header('www-authenticate', `Basic realm="${realm}"`);
  }
  else if (oauthError instanceof InvalidClient) reply.header('www-authenticate', `Basic realm="${realm}"`);
  else if (oauthError instanceof RegistrationThrottled) reply.header('retry-after', String(oauthError.retryAfterSeconds));
  return reply.send(errorBody(oauthError));
}

/** RFC 6750 §3: the Bearer challenge of a resource request that failed, naming its error. */
function bearerChallenge(realm: string, error: OAuthError): string {
  return `Bearer realm="${realm}", error="${error.error}", error_description="${error.description}"`;
}
