import type { Db } from '../../db/database.ts';
import { isRetryableConflict } from '../../db/transaction.ts';
import { evictInteractionsOfNetwork, evictInteractionsOfOrg, insertInteraction, networkHasInteractionsPast, orgHasInteractionsPast } from './sessions.repository.ts';
import type { NewInteraction } from './stored-sessions.ts';

/**
 * Pending sign-ins: authorization requests waiting for a person to sign in or consent, a row of
 * authorization_requests each, kept half an hour. Anyone can make one with a GET to /authorize,
 * so without a bound one client could grow the store by gigabytes an hour. Each request counts
 * against its client network (lib/client-network.ts: an IPv4 address, an IPv6 /64) in its
 * organization, and against the organization:
 *
 * - Past `perNetwork`, the network's oldest pending request is evicted (its page then says it
 *   has expired). The newest always work, so a person's several tabs sign in side by side, and a
 *   flood from one network only ever replaces requests of that network. Refusing new requests
 *   instead would keep the network (everyone behind its NAT) from signing in for half an hour
 *   after any flood, however slow; evicting stops hurting as soon as the flood stops.
 * - Past `perOrg`, the org's oldest are evicted: a flood spread over many networks (an IPv6 /48
 *   holds 65,536 /64s) is bounded too. Eviction rather than a 503 here as well: to keep others
 *   from signing in, the flood must then replace perOrg requests in the time a person takes to
 *   sign in (at the defaults ~170 a second, if that takes a minute), whereas a ceiling that
 *   refuses is held shut by perOrg requests per half hour (~6 a second). People signed in need no
 *   pending request unless they are asked for consent, so neither touches them.
 *
 * Not chosen: no row until the person acts (the request sealed into the page's URL and form)
 * would change every hosted page and lose the single use settled by deleting the row; a shorter
 * life for requests whose page was never opened would cost a write per page view, and stop only
 * floods that do not follow the redirect.
 *
 * Both limits are counted in the store, so every server process on one PostgreSQL sees the same
 * rows. The network's limit is checked at every new request: one read of an index, newest first,
 * of at most perNetwork + 1 entries; the delete is sent only when that finds a row past the limit.
 * So a request from a network under its limit (the common case) writes one statement, its
 * INSERT: an unconditional DELETE … IN (subquery) was a second write each time, which on SQLite
 * takes the write lock (and a group commit's fsync) even when it deletes nothing. The org's walk
 * reads up to perOrg entries, so a process runs it (a read, then a delete only when over) at the
 * first and then every (perOrg / 100)th request it stores for the org: the ceiling may be passed
 * by 1 % per process between checks, at an amortized 100 index entries per request. Concurrent
 * requests may miss each other's rows (a check may also read just before a concurrent insert
 * commits), leaving a network
 * a row or two over its limit until its next request; an eviction that PostgreSQL aborts to
 * settle a conflict with a concurrent one (a deadlock between two deletes) is skipped for the same
 * reason: the request it followed is stored, and answered, all the same.
 */
export interface PendingSignInLimits {
  /** Pending requests kept per client network in one organization. */
  readonly perNetwork: number;
  /** Pending requests kept per organization. */
  readonly perOrg: number;
}

/** A new pending request; store() adds the client network. */
export type NewPendingSignIn = Omit<NewInteraction, 'clientNetwork'>;

export interface PendingSignIns {
  /** Stores a pending request from the client address `ip`, then evicts what falls past the limits. */
  store(db: Db, pending: NewPendingSignIn, ip: string): Promise<void>;
}

/** Rows one eviction deletes at most: what concurrent requests left over, or a lowered limit. */
const EVICTION_BATCH = 1000;
/** How many times a process checks an org's ceiling while it stores that many requests for it. */
const ORG_CHECKS_PER_CEILING = 100;

/**
 * The bounds of one server process. `networkOf` names the network of a client address in the
 * store: a keyed hash of lib/client-network.ts's key, so that no address is stored, and the same
 * in every process that shares the root key.
 */
export function createPendingSignIns(limits: PendingSignInLimits, networkOf: (ip: string) => string): PendingSignIns {
  const orgCheckEvery = Math.max(1, Math.ceil(limits.perOrg / ORG_CHECKS_PER_CEILING));
  const storedSinceOrgCheck = new Map<string, number>();
  return {
    async store(db, pending, ip) {
      const network = networkOf(ip);
      const { orgId } = pending;
      await insertInteraction(db, { ...pending, clientNetwork: network });
      if (await networkHasInteractionsPast(db, orgId, network, limits.perNetwork)) {
        await evictSkippingConflicts(() => evictInteractionsOfNetwork(db, orgId, network, limits.perNetwork, EVICTION_BATCH));
      }
      const stored = storedSinceOrgCheck.get(orgId) ?? 0;
      storedSinceOrgCheck.set(orgId, (stored + 1) % orgCheckEvery);
      if (stored === 0 && (await orgHasInteractionsPast(db, orgId, limits.perOrg))) {
        await evictSkippingConflicts(() => evictInteractionsOfOrg(db, orgId, limits.perOrg, EVICTION_BATCH));
      }
    },
  };
}

async function evictSkippingConflicts(evict: () => Promise<number>): Promise<void> {
  try {
    await evict();
  } catch (error) {
    if (!isRetryableConflict(error)) throw error;
  }
}
