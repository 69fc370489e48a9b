import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiter } from '../lib/rate-limiter.ts';
import type { Db } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { API_RETRY_AFTER_SECONDS, ApiAuthenticationError, apiThrottleKey, closeApiSession, logInWithApiKey, recordApiAuthenticationFailure } from './api-auth.ts';

export interface ApiSessionDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly throttle: RateLimiter;
}

/**
 * NeonCRM API v1's session login: `POST /api/v1/login` with the org ID (or slug) and an API key
 * (JSON or form body: `org_id`/`orgId`, `api_key`/`apiKey`) answers `{"userSessionId",
 * "expires_at"}`; later requests send `Authorization: Session <id>` or `?userSessionId=`.
 * Sessions end after 30 minutes unused, 12 hours at most, or at `POST /api/v1/logout`.
 */
export function registerApiSessionRoutes(scope: FastifyInstance, deps: ApiSessionDeps): void {
  const loginSchema = {
    summary: 'API v1: trade the org ID (or slug) and an API key for a userSessionId (JSON or form body: org_id, api_key)',
    tags: ['sessions'],
    security: [],
  };
  scope.post('/v1/login', { schema: loginSchema }, async (request, reply) => {
    if (deps.throttle.isBlocked(apiThrottleKey(request.ip))) return unauthorized(reply.header('retry-after', String(API_RETRY_AFTER_SECONDS)), 429);
    const orgReference = field(request, 'org_id', 'orgId');
    const apiKey = field(request, 'api_key', 'apiKey');
    try {
      if (orgReference === undefined || apiKey === undefined) throw new ApiAuthenticationError('missing org_id or api_key');
      const session = await logInWithApiKey(deps.db, deps.clock, { orgReference, apiKey, ip: request.ip });
      return reply.header('cache-control', 'no-store').send({ userSessionId: session.userSessionId, expires_at: new Date(session.expiresAt).toISOString() });
    } catch (error) {
      if (!(error instanceof ApiAuthenticationError)) throw error;
      request.log.info({ event: 'api_login_failed', detail: error.detail }, 'API v1 login failed');
      // Without both, nothing was checked, so nothing guessed: not counted (as in the v2 API).
      const checked = orgReference !== undefined && apiKey !== undefined;
      if (checked && (await recordApiAuthenticationFailure(deps.db, deps.clock, deps.throttle, error, request.ip)) === 'throttled') {
        return unauthorized(reply.header('retry-after', String(API_RETRY_AFTER_SECONDS)), 429);
      }
      return unauthorized(reply, 401);
    }
  });

  scope.post('/v1/logout', { schema: { summary: 'API v1: end the session (Authorization: Session <id>, or userSessionId)', tags: ['sessions'], security: [] } }, async (request, reply) => {
    const sessionId = /^Session +(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? field(request, 'userSessionId', 'user_session_id');
    if (sessionId !== undefined && sessionId.length <= 128) await closeApiSession(deps.db, deps.clock, sessionId);
    return reply.code(204).header('cache-control', 'no-store').send();
  });
}

/** The first of `names` given once and non-empty in the body (JSON or form), then in the query. */
function field(request: FastifyRequest, ...names: string[]): string | undefined {
  for (const source of [request.body, request.query]) {
    for (const name of names) {
      const value = nonEmptyValue(source, name);
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

/** A form's field (a Map of repeated values: given once) or a JSON object's string member. */
function nonEmptyValue(source: unknown, name: string): string | undefined {
  const value: unknown = source instanceof Map ? onlyValue(source.get(name)) : typeof source === 'object' && source !== null ? Reflect.get(source, name) : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function onlyValue(values: unknown): unknown {
  return Array.isArray(values) && values.length === 1 ? values[0] : undefined;
}

function unauthorized(reply: FastifyReply, status: number): FastifyReply {
  return reply
    .code(status)
    .header('www-authenticate', 'Basic realm="Gatehouse API", charset="UTF-8"')
    .header('cache-control', 'no-store')
    .send({ error: { code: status === 429 ? 'too_many_attempts' : 'unauthorized', message: status === 429 ? 'Too many failed attempts; try again later.' : 'Authentication failed.' } });
}
