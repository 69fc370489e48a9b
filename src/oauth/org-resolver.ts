import { issuerFor } from '../config/config.ts';
import { findClient, type Client } from '../clients/clients.ts';
import type { Db } from '../db/database.ts';
import type { SigningKeyService } from '../keys/signing-keys.ts';
import type { Clock } from '../lib/clock.ts';
import type { OrgContext } from './context.ts';
import { findOrganizationBySlug, SLUG_PATTERN } from '../orgs/orgs.ts';

// On the protocol side, not in orgs/: what it resolves is the protocol's per-request context
// (OrgContext, oauth/context.ts: issuer, signing keys, the cached client lookup), and orgs/ sits
// below oauth/ (oauth reads organizations), so an orgs/-side resolver would import oauth/. Not in
// http/ either, which knows no capability. The Fastify hook that runs it for every route under
// /o/:slug is the edge file beside it, org-scope.routes.ts.

export interface OrgScopeDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly publicUrl: string;
  readonly signingKeys: SigningKeyService;
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
