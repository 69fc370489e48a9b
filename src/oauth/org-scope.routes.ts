import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerNotFound } from '../http/error-handler.ts';
import type { OrgContext } from './context.ts';
import type { OrgResolver } from './org-resolver.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The organization named by the `:slug` of `/o/:slug/...`, set before every handler of the scope. */
    org: OrgContext;
  }
}

/**
 * Resolves `:slug` to the organization's context for every route of `scope`. An unknown org
 * is a 404: a page for browser routes, JSON for protocol endpoints.
 */
export function registerOrgScope(scope: FastifyInstance, resolve: OrgResolver): void {
  scope.decorateRequest('org', null as unknown as OrgContext);
  scope.addHook('preHandler', async (request: FastifyRequest<{ Params: { slug?: string } }>, reply: FastifyReply) => {
    const ctx = await resolve(request.params.slug ?? '');
    if (ctx === undefined) return answerNotFound(request, reply, { title: 'Organization not found', message: 'There is no organization at this address.' });
    request.org = ctx;
  });
}
