import type { FastifyError, FastifyInstance } from 'fastify';
import { protocolText } from '../oauth/errors.ts';

/** The 404 text of a path no route takes. */
export const NO_ROUTE = 'No route matches this method and path.';

/**
 * The last line of defence: errors no capability's own boundary handled. Client errors Fastify
 * raises while parsing (malformed JSON, unsupported content type, body too large) keep their
 * status; anything else is a `server_error` with a generic text, and its cause goes to the log.
 * Capabilities register their own, more specific handlers in their plugin scope. Texts from
 * elsewhere (Fastify's messages) pass through protocolText: no `"`, CR/LF or non-ASCII.
 */
export function registerErrorBoundary(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode;
    if (error.validation !== undefined) {
      return reply.code(400).header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: protocolText(error.message) });
    }
    if (status !== undefined && status >= 400 && status < 500) {
      return reply
        .code(status)
        .header('cache-control', 'no-store')
        .send({ error: status === 413 ? 'request_too_large' : 'invalid_request', error_description: protocolText(error.message) });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .code(500)
      .header('cache-control', 'no-store')
      .send({ error: 'server_error', error_description: 'The server met an unexpected condition. The request id identifies it in the logs.' });
  });

  // A fixed text: the path is the request's own text (`/o/x/<img src=x onerror=…>`); the
  // request id in X-Request-Id finds it in the log.
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found', error_description: NO_ROUTE }));
}
