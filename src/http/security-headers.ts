import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Headers every response carries. Pages that render HTML set their own, stricter
 * Content-Security-Policy; the default here forbids framing anything (clickjacking on sign-in and
 * consent pages, RFC 9700 §4.16) and sniffing content types.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    setSecurityHeaders(request, reply);
    return payload;
  });
}

/** The headers of registerSecurityHeaders, for a reply no hook runs on (Fastify's errors before routing). */
export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', "frame-ancestors 'none'");
  if (!reply.hasHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
}
