import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/config.ts';
import type { Storage } from './db/database.ts';
import { registerErrorBoundary } from './http/error-handler.ts';
import { registerHealthRoutes } from './http/health.routes.ts';
import { requestIdFor } from './http/request-id.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import type { Clock } from './lib/clock.ts';

export interface AppDeps {
  readonly storage: Storage;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** Request bodies above this are refused with 413 before they are parsed. */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The whole HTTP application as a value: no listening, no environment, no signals. `main.ts`
 * listens; tests call `inject()` or listen on an ephemeral port.
 */
export function buildApp(config: Config, deps: AppDeps): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: requestIdFor,
    bodyLimit: BODY_LIMIT_BYTES,
    // Behind a TLS-terminating proxy, PUBLIC_URL is https while the socket is not; forwarded
    // headers are trusted only from loopback (where such a proxy runs by default).
    trustProxy: ['127.0.0.1', '::1'],
    return503OnClosing: true,
  });
  registerSecurityHeaders(app);
  registerErrorBoundary(app);
  registerHealthRoutes(app, deps.storage);
  return app;
}
