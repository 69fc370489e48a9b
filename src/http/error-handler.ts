import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderErrorPage } from './error-page.ts';
import { sendPage } from './pages.ts';
import { setSecurityHeaders } from './security-headers.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How this route answers errors before its handler runs: an HTML page or OAuth JSON. */
    answers?: 'page' | 'json';
  }
}

/** The 404 text of a path no route takes. */
export const NO_ROUTE = 'No route matches this method and path.';

const SERVER_ERROR = 'The server met an unexpected condition. The request id identifies it in the logs.';

/**
 * What to say of a client error Fastify raised (any error with a 4xx statusCode): a fixed text
 * by its code, never its message, which may quote the request (FST_ERR_BAD_URL and
 * FST_ERR_MAX_PARAM_LENGTH quote the path, an error from a parser what it could not read).
 */
export function clientErrorText(error: FastifyError): string {
  if (error.validation !== undefined) return 'The request has invalid parameters.';
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return 'The request path is malformed: a percent-encoded sequence in it is not UTF-8.';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'The request path has a segment too long for any route.';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'The body is not valid JSON.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The body is empty, but its Content-Type says JSON.';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'The body does not have the length its Content-Length says.';
  }
  if (error.statusCode === 413) return 'The request body is too large.';
  if (error.statusCode === 415) return 'The request body has a content type this endpoint does not take.';
  return 'The request is malformed.';
}

/**
 * The last line of defence: errors no capability's own boundary handled. Client errors Fastify
 * raises while parsing (malformed JSON, unsupported content type, body too large) keep their
 * status, with a fixed text (clientErrorText); anything else is a `server_error` with a generic
 * text, and its cause goes to the log. Each transport's scope sets its own handler explicitly
 * (app.ts: the OAuth JSON endpoints, the hosted pages, the console; api/ for the management API);
 * this one answers only what no scope does (health, paths no route takes).
 */
export function registerErrorBoundary(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.validation !== undefined ? 400 : error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply
        .code(status)
        .header('cache-control', 'no-store')
        .send({ error: status === 413 ? 'request_too_large' : 'invalid_request', error_description: clientErrorText(error) });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).header('cache-control', 'no-store').send({ error: 'server_error', error_description: SERVER_ERROR });
  });

  // A fixed text: the path is the request's own text (`/o/x/<img src=x onerror=…>`); the
  // request id in X-Request-Id finds it in the log.
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found', error_description: NO_ROUTE }));

  // Which paths answer with pages, for the errors Fastify raises before it finds a route.
  const pageRoutes: Array<readonly string[]> = [];
  PAGE_ROUTES.set(app, pageRoutes);
  app.addHook('onRoute', (route) => {
    if (route.config?.answers === 'page') pageRoutes.push(route.url.split('/'));
  });
}

/** The page routes of each app (as path segments, `:name` a parameter), by its root instance. */
const PAGE_ROUTES = new WeakMap<FastifyInstance, Array<readonly string[]>>();

/**
 * Fastify's `frameworkErrors`: the errors it raises before it finds a route, a path whose
 * percent-encoding does not decode (FST_ERR_BAD_URL), a parameter over maxParamLength
 * (FST_ERR_MAX_PARAM_LENGTH), an async constraint failing. Fastify's own answers quote the path
 * (`'/o/acme/%zz<img src=x>' is not a valid url component`); these are answered with a fixed
 * text, in the shape of the transport the path belongs to: the management API's error object
 * under /api, an error page where a hosted page's route would be, OAuth JSON (as the 404 of a
 * path no route takes) anywhere else. No route's hooks ran, so the security headers are set here.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  setSecurityHeaders(request, reply);
  reply.header('cache-control', 'no-store');
  const status = error.statusCode ?? 500;
  const clientError = status >= 400 && status < 500;
  if (!clientError) request.log.error({ err: error }, 'framework error before routing');
  const text = clientError ? clientErrorText(error) : SERVER_ERROR;
  const path = request.url.split('?')[0]!;
  if (path === '/api' || path.startsWith('/api/')) {
    return reply.code(status).send({ error: { code: clientError ? 'invalid_request' : 'server_error', message: text } });
  }
  const segments = path.split('/');
  const pageRoute = (PAGE_ROUTES.get(request.server) ?? []).some(
    (route) => route.length === segments.length && route.every((segment, i) => (segment.startsWith(':') ? segments[i] !== '' : segment === segments[i])),
  );
  if (pageRoute) {
    return sendPage(reply.code(status), renderErrorPage({ title: clientError ? 'Invalid request' : 'Something went wrong', message: text, requestId: request.id }));
  }
  return reply.code(status).send({ error: clientError ? 'invalid_request' : 'server_error', error_description: text });
}

/**
 * A 404 for what a route's own lookup did not find (an organization no slug names), in the shape
 * of the route's transport: an error page on a hosted page's route, else OAuth-style JSON
 * (`not_found`). The texts are fixed by the caller, never the request's.
 */
export function answerNotFound(request: FastifyRequest, reply: FastifyReply, text: { readonly title: string; readonly message: string }): FastifyReply {
  reply.code(404).header('cache-control', 'no-store');
  if (request.routeOptions.config.answers === 'page') return sendPage(reply, renderErrorPage({ title: text.title, message: text.message, requestId: request.id }));
  return reply.send({ error: 'not_found', error_description: text.message });
}
