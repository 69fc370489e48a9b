import type { FastifyReply } from 'fastify';
import type { RenderedPage } from './html.ts';

/** Sends a rendered page with its own CSP; pages carry per-request state, so nothing is cached. */
export function sendPage(reply: FastifyReply, page: RenderedPage): FastifyReply {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', page.csp)
    .header('cache-control', 'no-store')
    .send(page.html);
}
