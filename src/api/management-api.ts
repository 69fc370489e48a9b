import AjvCompiler from '@fastify/ajv-compiler';
import swagger from '@fastify/swagger';
import { OptionalKind, Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { RateLimiter } from '../lib/rate-limiter.ts';
import type { Db } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { ConflictError, DomainError, ForbiddenError, InvalidInputError, InvalidInputsError, NotFoundError, StaleVersionError } from '../lib/errors.ts';
import type { Organization } from '../orgs/organization.ts';
import { API_RETRY_AFTER_SECONDS, ApiAuthenticationError, apiThrottleKey, authenticateWithApiKey, authenticateWithSession, recordApiAuthenticationFailure, type ApiPrincipal } from '../staff/api-auth.ts';
import type { Permission } from '../staff/permissions.ts';
import type { Actor, OperationContext } from '../staff/actor.ts';
import type { ConnectorOperationContext, ConnectorServices } from '../connectors/connector-context.ts';
import type { UpstreamClient } from '../connectors/upstream/upstream-client.ts';
import type { WebhookServices } from '../webhooks/webhook-admin.ts';
import { parseBasicCredentials } from '../lib/basic-credentials.ts';
import { AJV_CUSTOM_OPTIONS } from '../http/ajv-options.ts';
import { ApiRequestError, registerDepthLimitedJsonParser, requireJsonBody } from './guards.ts';
import { clientErrorText } from '../http/error-handler.ts';
import { passThroughOf, registerPassThroughScope, sendForwarded, type PassThroughRequest, type PassThroughResponse } from './pass-through.ts';

/** The schemas of a route: what Fastify validates, and what types its handler's input. */
export interface RouteSchemas {
  readonly params?: TSchema;
  readonly querystring?: TSchema;
  readonly body?: TSchema;
  readonly response: Readonly<Record<number, TSchema>>;
}

/** The type of a validated input: Static of its schema, or `Absent` when the route declares none. */
type Validated<T extends TSchema | undefined, Absent> = T extends TSchema ? Static<T> : Absent;
type NoInput = Readonly<Record<string, never>>;

/** Everything a management handler gets: typed input, the caller, the store. No Fastify. */
export interface ApiCall<S extends RouteSchemas = RouteSchemas> {
  /** The caller as the staff operations take it: the API key, its user's permissions, the client's address. */
  readonly actor: Actor;
  readonly org: Organization;
  readonly db: Db;
  readonly clock: Clock;
  readonly params: Validated<S['params'], NoInput>;
  readonly query: Validated<S['querystring'], NoInput>;
  readonly body: Validated<S['body'], undefined>;
  /** The If-Match header, for updates that must not overwrite another admin's change. */
  readonly ifMatch: string | undefined;
  readonly ip: string;
  /** The connector hub's vault and settings; undefined where the app was built without them. */
  readonly connectors: ConnectorServices | undefined;
  /** The webhooks' sealer and outbound client; undefined where the app was built without them. */
  readonly webhooks: WebhookServices | undefined;
  /** The request as it came, for a pass-through route (ApiRoute.passThrough); undefined for the others. */
  readonly passThrough: PassThroughRequest | undefined;
}

/** The context of a staff operation called through the API (staff/actor.ts). */
export function operationOf(call: ApiCall): OperationContext {
  return { db: call.db, clock: call.clock, org: call.org, actor: call.actor };
}

/** The context of a connector hub operation called through the API: a staff operation's, with the vault. */
export function connectorOperationOf(call: ApiCall): ConnectorOperationContext {
  if (call.connectors === undefined) throw new Error('the management API was built without the connector hub (ManagementApiDeps.connectors)');
  return { ...operationOf(call), vault: call.connectors.vault, allowHttpUrls: call.connectors.allowHttpUrls };
}

/** A connector operation that may call a provider (the credentials read): the one upstream client of the process besides. */
export function upstreamOperationOf(call: ApiCall): ConnectorOperationContext & { readonly upstream: UpstreamClient; readonly publicUrl: string } {
  if (call.connectors === undefined) throw new Error('the management API was built without the connector hub (ManagementApiDeps.connectors)');
  return { ...connectorOperationOf(call), upstream: call.connectors.upstream, publicUrl: call.connectors.publicUrl };
}

export interface ApiResult {
  readonly status?: number;
  readonly body?: unknown;
  /** Sent as ETag: the version a later If-Match must name. */
  readonly etag?: string;
  /** A pass-through route's answer, sent instead of `body`. */
  readonly passThrough?: PassThroughResponse;
}

export interface ApiRoute<S extends RouteSchemas = RouteSchemas> {
  /** HEAD and OPTIONS only for a pass-through route (the proxy forwards them). */
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS';
  /** Relative to /api/v2, with `:param` segments. */
  readonly url: string;
  readonly permission: Permission;
  readonly summary: string;
  readonly tag: string;
  readonly schema: S;
  /**
   * A route that forwards its request (the API proxy, `url` ending in `*`): its body of any media
   * type is not parsed but handed over unread (ApiCall.passThrough), with no size limit but the
   * route's own; its answer is ApiResult.passThrough; its own answers carry
   * Gatehouse-Proxy-Error (pass-through.ts).
   */
  readonly passThrough?: true;
  /**
   * The route's domain rules that can judge body fields without the store, for a body its schema
   * refused: they run on the fields the schema passed (`refused` names the top-level fields it
   * did not; `params`, the path's, passed theirs), so one 400 names every bad field, the schema's
   * and the domain's, instead of the schema's first and the domain's on the next try. A valid
   * body is judged by the handler.
   */
  checkBody?(fields: Partial<Validated<S['body'], NoInput>>, refused: ReadonlySet<string>, params: Validated<S['params'], NoInput>): readonly InvalidInputError[];
  handler(call: ApiCall<S>): Promise<ApiResult>;
}

/**
 * A route whose handler gets its params, query and body typed from its schemas (`Static<>`), so
 * no handler casts its input. The table keeps it as an ApiRoute of any schemas.
 */
export function apiRoute<const S extends RouteSchemas>(route: ApiRoute<S>): ApiRoute {
  return route;
}

export interface ManagementApiDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly throttle: RateLimiter;
  readonly routes: readonly ApiRoute[];
  /**
   * Called after every successful change through the API, with the caller's org: the server
   * drops its cached copies, so a suspended client or a changed setting takes effect at once
   * in this process (other processes within their cache time).
   */
  readonly afterChange?: (orgId: string) => void;
  /** The connector hub's vault and settings, for its routes. */
  readonly connectors?: ConnectorServices;
  /** The webhooks' sealer and outbound client, for their routes. */
  readonly webhooks?: WebhookServices;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiPrincipal | null;
  }
}

const buildValidator = AjvCompiler();

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The query parameters of every paged list: `limit` (1–200, default 50) and the `cursor` a page returned as next_cursor. */
export const PAGE_QUERY = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
};

/** The page size a list call asked for (validated by PAGE_QUERY). */
export function pageLimit(query: Readonly<Record<string, unknown>>): number {
  return typeof query.limit === 'number' ? query.limit : DEFAULT_PAGE_SIZE;
}

/**
 * RFC 7235 §4.1: a 401 carries a challenge for each scheme the API takes. Basic first, as
 * before (RFC 7617); then API v1's `Session`, which takes the userSessionId of POST /api/v1/login.
 */
const CHALLENGES = 'Basic realm="Gatehouse API", charset="UTF-8", Session realm="Gatehouse API"';

const SCHEMES_TAKEN = 'HTTP Basic (user name: the organization ID or slug; password: an API key), or Session <userSessionId> from POST /api/v1/login';

/**
 * The 401 message for a request with no credentials this API takes: it says which schemes it
 * takes. It depends on the scheme's name only, never on what the credentials were, so it tells
 * nothing of them (a valid API key sent as Bearer gets the same answer as any other string).
 */
function unusableCredentialsMessage(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') return `Authentication failed: no credentials. This API takes ${SCHEMES_TAKEN}.`;
  const scheme = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}(?= |$)/.exec(authorization)?.[0];
  return `Authentication failed: this API does not take ${scheme === undefined ? 'that Authorization header' : `the ${scheme} scheme`}. It takes ${SCHEMES_TAKEN}.`;
}

/**
 * The management API under /api/v2 (this scope is registered with the /api prefix): every route authenticates (HTTP Basic `org:apiKey`, or an
 * API v1 session), checks its one permission, validates its input by schema (unknown fields
 * refused), calls its handler, and answers errors in one JSON shape:
 * `{"error": {"code", "message", "fields"?: [{"field", "message"}]}}`. The OpenAPI 3.1 document
 * at /api/v2/openapi.json is generated from these same route definitions.
 */
export async function registerManagementApi(scope: FastifyInstance, deps: ManagementApiDeps): Promise<void> {
  await scope.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Gatehouse management API', version: '2' },
      components: {
        securitySchemes: {
          basicAuth: { type: 'http', scheme: 'basic', description: 'User name: the organization ID (or slug). Password: an API key.' },
          session: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`Session <userSessionId>` from POST /api/v1/login.' },
          sessionQuery: { type: 'apiKey', in: 'query', name: 'userSessionId', description: 'The userSessionId from POST /api/v1/login, in the query string (API v1; `user_session_id` is taken too), on every route.' },
        },
      },
      security: [{ basicAuth: [] }, { session: [] }, { sessionQuery: [] }],
    },
  });
  scope.decorateRequest('principal', null);
  // JSON bodies are validated as sent: Ajv's coercion (Fastify's default) would store
  // `{"name": 5}` as "5" and read `"consent_required": 0` as false. Query strings and path
  // parameters are strings on the wire and keep it (`?limit=20`).
  const strictBodies = buildValidator({}, { customOptions: { ...AJV_CUSTOM_OPTIONS, coerceTypes: false } });
  const coercing = buildValidator({}, { customOptions: { ...AJV_CUSTOM_OPTIONS } });
  scope.setValidatorCompiler((route) => (route.httpPart === 'body' ? strictBodies(route) : finiteNumbersOnly(coercing(route), route.schema)));
  // JSON bodies (here and at POST /api/v1/login) are measured before they are parsed: nothing
  // that walks them afterwards can then meet a nesting deep enough to overflow the stack.
  registerDepthLimitedJsonParser(scope);
  // No field of this API may contain NUL, and PostgreSQL text cannot hold one: refuse it once,
  // here, before any domain rule or query sees it.
  scope.addHook('preValidation', async (request) => {
    for (const input of [request.params, request.query, request.body]) {
      const path = pathOfNul(input);
      if (path !== undefined) throw new InvalidInputError(path === '' ? 'body' : path, 'must not contain NUL characters');
    }
  });
  scope.setErrorHandler((error: FastifyError, request, reply) => sendApiError(request, reply, error));
  // Fixed texts, never the path: it is the caller's own text (the request id finds it in the log).
  scope.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'not_found', 'No route matches this method and path; the routes are in /api/v2/openapi.json.'));

  for (const route of deps.routes) if (route.passThrough !== true) registerRoute(scope, route, deps);
  // Pass-through routes in a scope of their own (pass-through.ts), where bodies are left unread.
  await registerPassThroughScope(scope, (streams) => {
    for (const route of deps.routes) if (route.passThrough === true) registerRoute(streams, route, deps);
  });

  scope.get('/v2/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.send(scope.swagger()));
}

/** One route of the table on `scope`: authentication and permission, validation, the handler, the answer. */
function registerRoute(scope: FastifyInstance, route: ApiRoute, deps: ManagementApiDeps): void {
  // A body declared Optional may be left out: validate an absent body as an empty object.
  const bodyIsOptional = route.schema.body !== undefined && OptionalKind in route.schema.body;
  scope.route({
    method: route.method,
    url: `/v2${route.url}`,
    schema: { ...route.schema, summary: route.summary, tags: [route.tag], description: `Requires the \`${route.permission}\` permission.` },
    // With a domain check, a refused body reaches the handler, which adds that check's findings.
    attachValidation: route.checkBody !== undefined,
    // onRequest: the caller and its permission are settled before the body is even parsed, so
    // a caller without the permission learns nothing from validation errors.
    // A proxied GET is not a HEAD: the HEAD Fastify would derive from it would send the provider a
    // GET. A pass-through route's own HEAD is documented like any route (swagger leaves HEADs out).
    ...(route.passThrough === true ? { exposeHeadRoute: false, config: { swagger: { exposeHeadRoute: true } } } : {}),
    onRequest: async (request, reply) => {
      if (route.passThrough !== true) requireJsonBody(request);
      const principal = await authenticate(request, deps);
      // Throttled: 429 with Retry-After, as POST /api/v1/login answers (RFC 6585 §4).
      if (principal === 'throttled') {
        return sendError(reply.header('retry-after', String(API_RETRY_AFTER_SECONDS)), 429, 'too_many_attempts', 'Too many failed attempts; try again later.');
      }
      if (principal === undefined || principal === 'no_credentials') {
        const message = principal === undefined ? 'Authentication failed.' : unusableCredentialsMessage(request.headers.authorization);
        return sendError(reply.header('www-authenticate', CHALLENGES), 401, 'unauthorized', message);
      }
      if (!principal.permissions.has(route.permission)) {
        return sendError(reply, 403, 'forbidden', `This API key's user lacks the ${route.permission} permission.`);
      }
      request.principal = principal;
      // The session parameter is a credential, not input: whatever the route's query schema,
      // it is taken here and never validated, seen by a handler, or refused as unknown.
      withoutSessionParameters(request);
    },
    preValidation: async (request) => {
      if (bodyIsOptional && (request.body === undefined || request.body === null)) request.body = {};
    },
    handler: async (request, reply) => {
      if (request.validationError !== undefined) throw withBodyCheck(request.validationError, route, request.body, (request.params ?? {}) as Record<string, string>);
      const principal = request.principal!;
      const org = principal.org;
      const ifMatch = request.headers['if-match'];
      const result = await route.handler({
        org,
        db: deps.db,
        clock: deps.clock,
        params: request.params ?? {},
        query: request.query ?? {},
        body: request.body,
        actor: { type: 'api_key', id: principal.apiKeyId, staffUserId: principal.staffUserId, ip: request.ip, permissions: principal.permissions },
        ifMatch: typeof ifMatch === 'string' ? ifMatch : undefined,
        ip: request.ip,
        connectors: deps.connectors,
        webhooks: deps.webhooks,
        passThrough: route.passThrough === true ? passThroughOf(request, reply, SESSION_PARAMETERS) : undefined,
      });
      if (result.passThrough !== undefined) return sendForwarded(reply, result.passThrough);
      if (route.method !== 'GET') deps.afterChange?.(org.id);
      reply.header('cache-control', 'no-store');
      if (result.etag !== undefined) reply.header('etag', result.etag);
      return reply.code(result.status ?? 200).send(result.body);
    },
  });
}

/** The failure detail of a request with no credentials of the schemes this API takes. */
const NO_CREDENTIALS = 'no credentials of a scheme this API takes';

/**
 * Basic `orgId:apiKey` (API v2), or `Authorization: Session <id>` / `?userSessionId=` (API v1).
 * Undefined for any failure of credentials of these schemes, all alike; 'no_credentials' when
 * there are none of them (no Authorization header, or another scheme: Bearer, Digest), which is
 * told apart only by the header's scheme. Failures are throttled per client IP (requests without
 * credentials are not failures: they guess nothing), and a throttled client is told so
 * ('throttled') before its credentials are even looked at.
 */
async function authenticate(request: FastifyRequest, deps: ManagementApiDeps): Promise<ApiPrincipal | 'throttled' | 'no_credentials' | undefined> {
  if (deps.throttle.isBlocked(apiThrottleKey(request.ip))) return 'throttled';
  try {
    const authorization = request.headers.authorization;
    const sessionId = /^Session +(\S+)$/i.exec(authorization ?? '')?.[1] ?? sessionParameter(request);
    if (sessionId !== undefined) return await authenticateWithSession(deps.db, deps.clock, sessionId);
    const basic = parseBasicCredentials(authorization);
    if (basic === 'malformed') throw new ApiAuthenticationError('malformed credentials');
    // Bearer, Digest, …: the header is not even parsed; whatever it holds (an API key too) is no credential here.
    if (basic === undefined && !/^(?:Basic|Session)(?: |$)/i.test(authorization ?? '')) throw new ApiAuthenticationError(NO_CREDENTIALS);
    if (basic === undefined) throw new ApiAuthenticationError('malformed credentials');
    return await authenticateWithApiKey(deps.db, deps.clock, basic.userId, basic.password);
  } catch (error) {
    // A malformed Basic header is one more way of failing to authenticate; anything else (the
    // store unreachable) is not the caller's fault and goes on to the error handler.
    if (!(error instanceof ApiAuthenticationError)) throw error;
    const failure = error;
    request.log.info({ event: 'api_auth_failed', detail: failure.detail }, 'API authentication failed');
    // No credentials guess nothing, and any page can make its visitors' browsers send such
    // requests (an <img>): counted, they would throttle a whole network's real callers.
    if (failure.detail === NO_CREDENTIALS) return 'no_credentials';
    if ((await recordApiAuthenticationFailure(deps.db, deps.clock, deps.throttle, failure, request.ip)) === 'throttled') return 'throttled';
    return undefined;
  }
}

/**
 * The dotted path of the first string holding NUL in a parsed body or query (a key holding one
 * names its object), or undefined. A walk with a stack of its own, not recursion: the depth of a
 * JSON body is bounded when it is parsed, and this walk does not rely on it.
 */
function pathOfNul(input: unknown): string | undefined {
  const pending: Array<{ readonly value: unknown; readonly path: string }> = [{ value: input, path: '' }];
  const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
    } else if (Array.isArray(value)) {
      // Pushed last to first, so the first bad element is found first.
      for (let i = value.length - 1; i >= 0; i--) pending.push({ value: value[i], path: join(path, String(i)) });
    } else if (typeof value === 'object' && value !== null && !(value instanceof Map)) {
      const entries = Object.entries(value);
      if (entries.some(([key]) => key.includes('\u0000'))) return path === '' ? 'body' : path;
      for (let i = entries.length - 1; i >= 0; i--) pending.push({ value: entries[i]![1], path: join(path, entries[i]![0]) });
    }
  }
  return undefined;
}

type FastifyValidationResult = ReturnType<FastifySchemaCompiler<unknown>>;

/**
 * Ajv coerces `?limit=Infinity` and `?limit=1e999` to Infinity and then, its number keywords
 * skipping non-finite values, calls it a valid integer under any maximum (it reached the database
 * as a 500). A query or path value coerced to a non-finite number is refused here as the wrong type.
 */
function finiteNumbersOnly(validate: FastifyValidationResult, schema: unknown): FastifyValidationResult {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return (data: unknown) => {
    // Ajv's compiled validators are synchronous and answer a boolean, with their errors beside.
    const errors: FastifySchemaValidationError[] = validate(data) === true ? [] : [...(validate.errors ?? [])];
    for (const [key, value] of Object.entries(typeof data === 'object' && data !== null ? data : {})) {
      if (typeof value !== 'number' || Number.isFinite(value)) continue;
      const type = typeof properties[key]?.type === 'string' ? (properties[key]!.type as string) : 'number';
      errors.push({ keyword: 'type', instancePath: `/${key}`, schemaPath: `#/properties/${key}/type`, params: { type }, message: `must be ${type}` });
    }
    return errors.length === 0 ? true : { error: errors };
  };
}

/**
 * API v1's session in the query string (`?userSessionId=`, as NeonCRM's v1 and the seed send it;
 * `user_session_id` as POST /api/v1/logout also takes it). Both spellings naming different
 * sessions, or one repeated, are refused as malformed credentials rather than one picked.
 */
const SESSION_PARAMETERS = ['userSessionId', 'user_session_id'] as const;

function sessionParameter(request: FastifyRequest): string | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const values = new Set(SESSION_PARAMETERS.flatMap((name) => (query[name] === undefined ? [] : [query[name]])));
  if (values.size === 0) return undefined;
  const [value] = values;
  if (values.size > 1 || typeof value !== 'string') throw new ApiAuthenticationError('conflicting or repeated session parameters');
  return value;
}

function withoutSessionParameters(request: FastifyRequest): void {
  const query = request.query as Record<string, unknown> | undefined;
  if (query === undefined || query === null) return;
  for (const name of SESSION_PARAMETERS) delete query[name];
}

function sendError(reply: FastifyReply, status: number, code: string, message: string, fields?: Array<{ field: string; message: string }>): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send({ error: { code, message, ...(fields === undefined ? {} : { fields }) } });
}

/** The one place management errors become HTTP: domain errors, schema violations, the rest. */
export function sendApiError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof ApiRequestError) {
    if (error.retryAfterSeconds !== null) reply.header('retry-after', String(error.retryAfterSeconds));
    return sendError(reply, error.status, error.code, error.message);
  }
  if (error instanceof InvalidInputsError) return sendError(reply, 400, 'validation_failed', 'The request has invalid fields.', error.errors.map((e) => ({ field: e.field, message: e.message.slice(e.field.length + 2) })));
  if (error instanceof InvalidInputError) return sendError(reply, 400, 'validation_failed', error.message, [{ field: error.field, message: error.message.slice(error.field.length + 2) }]);
  // What was not found, without the id or name the path gave (the caller's own text).
  if (error instanceof NotFoundError) return sendError(reply, 404, 'not_found', `${error.what.charAt(0).toUpperCase()}${error.what.slice(1)} not found.`);
  // RFC 9110 §13.1.1: If-Match naming another version is 412 Precondition Failed.
  if (error instanceof StaleVersionError) return sendError(reply, 412, 'version_mismatch', error.message);
  // A staff operation refusing its actor: the same answer as the route's own permission check.
  if (error instanceof ForbiddenError) return sendError(reply, 403, 'forbidden', `This API key's user lacks the ${error.permission} permission.`);
  if (error instanceof ConflictError) return sendError(reply, 409, 'conflict', error.message, [{ field: error.field, message: error.message }]);
  if (error instanceof DomainError) return sendError(reply, 400, error.code, error.message);
  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) {
    return sendError(reply, 400, 'validation_failed', 'The request has invalid fields.', fieldErrors(fastifyError.validation, fastifyError.validationContext ?? 'body'));
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) return sendError(reply, status, 'invalid_request', clientErrorText(fastifyError));
  request.log.error({ err: error }, 'unexpected error in the management API');
  return sendError(reply, 500, 'server_error', 'The server met an unexpected condition. The request id identifies it in the logs.');
}

/**
 * The schema's findings and, for a refused body, the route's checkBody on the fields the schema
 * passed, as one error naming them all (the schema's first, each field once from each source).
 */
function withBodyCheck(
  error: Error & { readonly validation?: readonly FastifySchemaValidationError[]; readonly validationContext?: string },
  route: ApiRoute,
  body: unknown,
  params: Readonly<Record<string, string>>,
): Error {
  const context = error.validationContext ?? 'body';
  if (context !== 'body' || error.validation === undefined || route.checkBody === undefined) return error;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return error;
  const schemaFields = fieldErrors(error.validation, context);
  const refused = new Set(schemaFields.map(({ field }) => field.split('.')[0]!));
  const passed = Object.fromEntries(Object.entries(body).filter(([key]) => !refused.has(key)));
  const domain = route.checkBody(passed, refused, params).filter((e) => !refused.has(e.field.split('.')[0]!));
  return new InvalidInputsError([...schemaFields.map(({ field, message }) => new InvalidInputError(field, message)), ...domain].slice(0, MAX_FIELD_ERRORS));
}

/** The most fields a 400 names; a request with more bad fields than this is not a typo. */
const MAX_FIELD_ERRORS = 50;

/**
 * One entry per bad field. A union fails once per branch and once more as a whole (anyOf): a
 * union of literals (`role`, `status`, …) becomes one "must be one of …" naming what is allowed,
 * other unions one message of their alternatives.
 */
function fieldErrors(validation: readonly FastifySchemaValidationError[], context: string): Array<{ field: string; message: string }> {
  const byField = new Map<string, { allowed: string[]; messages: string[]; union: boolean }>();
  // Ajv judges every item of an array over its maxItems too (allErrors): the list is named once
  // as too long, not once per item, and the answer names at most MAX_FIELD_ERRORS fields, so a
  // 64 KB body of 30,000 wrong items is not answered with megabytes.
  const tooLong = new Set(validation.filter((v) => v.keyword === 'maxItems' || v.keyword === 'maxProperties').map((v) => `${v.instancePath}/`));
  for (const v of validation) {
    if (tooLong.size > 0 && [...tooLong].some((list) => v.instancePath.startsWith(list))) continue;
    const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const extra = (v.params as { additionalProperty?: string; missingProperty?: string; allowedValue?: unknown }) ?? {};
    const named = extra.additionalProperty ?? extra.missingProperty;
    const field = named === undefined ? (path === '' ? context : path) : path === '' ? named : `${path}.${named}`;
    if (!byField.has(field) && byField.size === MAX_FIELD_ERRORS) break;
    const entry = byField.get(field) ?? { allowed: [], messages: [], union: false };
    byField.set(field, entry);
    if (v.keyword === 'anyOf') entry.union = true;
    else if (v.keyword === 'const') entry.allowed.push(String(extra.allowedValue));
    else {
      const message = extra.additionalProperty !== undefined ? 'is not a known field' : extra.missingProperty !== undefined ? 'is required' : (v.message ?? 'is invalid');
      if (!entry.messages.includes(message)) entry.messages.push(message);
    }
  }
  return [...byField].map(([field, { allowed, messages, union }]) => {
    const alternatives = [...(allowed.length === 0 ? [] : [`must be one of ${allowed.join(', ')}`]), ...messages];
    return { field, message: alternatives.length === 0 ? 'is invalid' : alternatives.join(union ? ' or ' : '; ') };
  });
}
