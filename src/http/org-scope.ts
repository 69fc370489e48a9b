import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { issuerFor } from '../config/config.ts';
import { findClient, type Client } from '../clients/clients.ts';
import type { Db } from '../db/database.ts';
import type { SigningKeyService } from '../keys/signing-keys.ts';
import type { Clock } from '../lib/clock.ts';
import type { OrgContext } from '../oauth/context.ts';
import { findOrganizationBySlug, SLUG_PATTERN } from '../orgs/orgs.ts';
import { renderErrorPage } from './error-page.ts';
import { sendPage } from './pages.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The organization named by the `:slug` of `/o/:slug/...`, set before every handler of the scope. */
    org: OrgContext;
  }
  interface FastifyContextConfig {
    /** How this route answers errors before its handler runs: an HTML page or OAuth JSON. */
    answers?: 'page' | 'json';
  }
}

export interface OrgScopeDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly publicUrl: string;
  readonly signingKeys: SigningKeyService;
}

/**
 * Resolves `:slug` to the organization's context for every route of `scope`. An unknown org
 * is a 404: a page for browser routes, JSON for protocol endpoints.
 */
export function registerOrgScope(scope: FastifyInstance, resolve: OrgResolver): void {
  scope.decorateRequest('org', null as unknown as OrgContext);
  scope.addHook('preHandler', async (request: FastifyRequest<{ Params: { slug?: string } }>, reply: FastifyReply) => {
    const ctx = await resolve(request.params.slug ?? '');
    if (ctx === undefined) {
      reply.code(404).header('cache-control', 'no-store');
      if (request.routeOptions.config.answers === 'page') {
        return sendPage(reply, renderErrorPage({ title: 'Organization not found', message: 'There is no organization at this address.', requestId: request.id }));
      }
      return reply.send({ error: 'not_found', error_description: 'There is no organization at this address.' });
    }
    request.org = ctx;
  });
}

/** The protocol context of the organization with this slug, or undefined. */
export type OrgResolver = ((slug: string) => Promise<OrgContext | undefined>) & {
  /** Drops what this process remembers of an organization and its clients: the next request reads them again. */
  forgetOrganization(orgId: string): void;
};

/**
 * How long a resolved organization is reused. Every request under `/o/<slug>` needs it, so
 * reading it from the store each time would cost a query on every hot endpoint; in exchange a
 * change of settings (from the CLI or another process) takes effect within this time.
 */
export const ORG_CACHE_TTL_MS = 2000;
/** How long a client read is reused by this process (see OrgContext.findClient). */
export const CLIENT_CACHE_TTL_MS = 2000;
const ORG_CACHE_MAX_ENTRIES = 10_000;

/**
 * Resolves slugs to organization contexts, remembering each for ORG_CACHE_TTL_MS. One per app:
 * nothing is shared between apps (tests build many over different stores in one process).
 * Unknown slugs are not remembered, so probing random slugs cannot fill the cache.
 */
export function createOrgResolver(deps: OrgScopeDeps): OrgResolver {
  const cache = new Map<string, { readonly ctx: OrgContext; readonly expiresAt: number }>();
  const clients = new Map<string, { readonly client: Client; readonly expiresAt: number }>();
  // Only clients that exist are remembered: probing random ids cannot fill the cache.
  const findClientCached = async (orgId: string, clientId: string): Promise<Client | undefined> => {
    const key = `${orgId} ${clientId}`;
    const now = deps.clock();
    const cached = clients.get(key);
    if (cached !== undefined && cached.expiresAt > now) return cached.client;
    const client = await findClient(deps.db, orgId, clientId);
    if (client === undefined) clients.delete(key);
    else {
      if (clients.size >= ORG_CACHE_MAX_ENTRIES) clients.clear();
      clients.set(key, { client, expiresAt: now + CLIENT_CACHE_TTL_MS });
    }
    return client;
  };
  const resolve = async (slug: string): Promise<OrgContext | undefined> => {
    const now = deps.clock();
    const cached = cache.get(slug);
    if (cached !== undefined && cached.expiresAt > now) return cached.ctx;
    const org = SLUG_PATTERN.test(slug) ? await findOrganizationBySlug(deps.db, slug) : undefined;
    if (org === undefined) {
      cache.delete(slug);
      return undefined;
    }
    const keys = deps.signingKeys;
    const ctx: OrgContext = {
      db: deps.db,
      clock: deps.clock,
      org,
      issuer: issuerFor({ publicUrl: deps.publicUrl }, org.slug),
      signingKeys: () => keys.forOrg(org.id),
      publishedJwks: () => keys.publishedJwks(org.id),
      findClient: (clientId) => findClientCached(org.id, clientId),
    };
    if (cache.size >= ORG_CACHE_MAX_ENTRIES) cache.clear();
    cache.set(slug, { ctx, expiresAt: now + ORG_CACHE_TTL_MS });
    return ctx;
  };
  const forgetOrganization = (orgId: string): void => {
    for (const [slug, entry] of cache) if (entry.ctx.org.id === orgId) cache.delete(slug);
    for (const key of clients.keys()) if (key.startsWith(`${orgId} `)) clients.delete(key);
  };
  return Object.assign(resolve, { forgetOrganization });
}
