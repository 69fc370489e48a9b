import { AUTH_NETWORK_REFRESH_MS, AUTH_NETWORK_TTL_MS } from '../clients/auth-networks.ts';
import type { Clock } from '../lib/clock.ts';

/**
 * Limits failed client authentication at the token, introspection and revocation endpoints
 * (RFC 6749 §2.3.1: an endpoint that checks client passwords "MUST protect" itself "against brute
 * force attacks"). Failures are counted per client id and per client network (an IPv6 client by
 * its /64, lib/client-network.ts) over a sliding window; past a limit the request is refused
 * (oauth/client-auth.ts answers 429) before any secret is checked.
 *
 * Anyone can send wrong secrets for a client, whose id is public, so the client's own limit must
 * not lock the client out: from its usual places, the networks it authenticated from recently
 * (stored on the client, clients/auth-networks.ts, so that every process and every restart knows
 * them), the client's limit does not apply (the analogue, for servers, of the sign-in's device
 * cookies, docs/decisions/0003). That decision is oauth/client-auth.ts's, with the client loaded;
 * this keeps the counts, and which of those networks this process wrote recently.
 *
 * The token endpoint is a hot path: while no client or network is locked out, a check costs no
 * lookup; the network of an address is its keyed pseudonym, computed once per address
 * (`networkOf`, shared with the pending sign-ins). Failures cost more, as they should.
 *
 * Counters live in this process's memory: a restart forgets them, and several processes each
 * count their own share.
 */
export interface ClientAuthThrottle {
  /** The network of a client address, as counted here and as stored among a client's usual networks. */
  networkOf(ip: string): string;
  /** When the client's network failed too often recently: the seconds until it may try again. */
  networkRefused(ip: string): number | undefined;
  /** When the client failed too often recently (from anywhere): the seconds until it may try again. */
  clientRefused(orgId: string, clientId: string): number | undefined;
  /** Counts a failure against the network and, when given, the client named. */
  failed(orgId: string, clientId: string | undefined, ip: string): void;
  /**
   * Whether to write `network` among the client's usual networks now, when the client as read
   * lacks it (or has it old): false when this process wrote it within AUTH_NETWORK_REFRESH_MS
   * (the client read may be a cached copy from before that write). True claims the write; call
   * `recordingFailed` if it fails.
   */
  claimRecording(orgId: string, clientId: string, network: string): boolean;
  recordingFailed(orgId: string, clientId: string, network: string): void;
  /**
   * True when this process wrote `network` among the client's usual networks within
   * AUTH_NETWORK_TTL_MS: the client as read may be a cached copy from before the write
   * (http/org-scope.ts), which does not show it yet.
   */
  recordedRecently(orgId: string, clientId: string, network: string): boolean;
}

export interface ClientAuthLimits {
  readonly failuresPerClient: number;
  readonly failuresPerNetwork: number;
  readonly windowMs: number;
}

/**
 * Secrets are 256 bits, so no limit here protects them from guessing; these bound the work and
 * the log lines an attacker causes, and stay far above what a misconfigured integration's retries
 * need before someone notices the 401s.
 */
export const CLIENT_AUTH_THROTTLE_LIMITS: ClientAuthLimits = Object.freeze({ failuresPerClient: 10, failuresPerNetwork: 30, windowMs: 5 * 60 * 1000 });

/** Past these, the oldest entries are dropped, so a flood of ids or networks cannot exhaust memory. */
const MAX_TRACKED_KEYS = 100_000;

export function createClientAuthThrottle(clock: Clock, options: { readonly limits?: ClientAuthLimits; readonly networkOf: (ip: string) => string }): ClientAuthThrottle {
  const limits = options.limits ?? CLIENT_AUTH_THROTTLE_LIMITS;
  /** The times of the last failures per key (`n <network>`, `c <org id> <client id>`), at most the limit of them. */
  const failures = new Map<string, number[]>();
  /** The keys at their limit, and when the oldest of their counted failures leaves the window. */
  const lockedUntil = new Map<string, number>();
  /** `<org id> <client id> <network>` → when this process wrote the network among the client's usual ones. */
  const recorded = new Map<string, number>();
  const networkOf = options.networkOf;
  /** Seconds until `key` is no longer locked out, or undefined when it is not. */
  const secondsLocked = (key: string, now: number): number | undefined => {
    const until = lockedUntil.get(key);
    if (until === undefined) return undefined;
    if (until <= now) {
      lockedUntil.delete(key);
      return undefined;
    }
    return Math.ceil((until - now) / 1000);
  };
  const count = (key: string, now: number, limit: number): void => {
    const since = now - limits.windowMs;
    // Only the last `limit` failures can matter: the key is at its limit when the oldest of them is recent.
    const times = [...(failures.get(key) ?? []).filter((time) => time > since), now].slice(-limit);
    failures.delete(key);
    failures.set(key, times);
    if (failures.size > MAX_TRACKED_KEYS) failures.delete(failures.keys().next().value as string);
    if (times.length < limit) return;
    lockedUntil.set(key, times[0]! + limits.windowMs);
    if (lockedUntil.size > MAX_TRACKED_KEYS) lockedUntil.delete(lockedUntil.keys().next().value as string);
  };

  return {
    networkOf,
    networkRefused(ip) {
      if (lockedUntil.size === 0) return undefined;
      return secondsLocked(`n ${networkOf(ip)}`, clock());
    },
    clientRefused(orgId, clientId) {
      if (lockedUntil.size === 0) return undefined;
      return secondsLocked(`c ${orgId} ${clientId}`, clock());
    },
    failed(orgId, clientId, ip) {
      const now = clock();
      count(`n ${networkOf(ip)}`, now, limits.failuresPerNetwork);
      if (clientId !== undefined) count(`c ${orgId} ${clientId}`, now, limits.failuresPerClient);
    },
    claimRecording(orgId, clientId, network) {
      const now = clock();
      const key = `${orgId} ${clientId} ${network}`;
      const written = recorded.get(key);
      if (written !== undefined && now - written < AUTH_NETWORK_REFRESH_MS) return false;
      recorded.delete(key);
      recorded.set(key, now);
      if (recorded.size > MAX_TRACKED_KEYS) recorded.delete(recorded.keys().next().value as string);
      return true;
    },
    recordingFailed(orgId, clientId, network) {
      recorded.delete(`${orgId} ${clientId} ${network}`);
    },
    recordedRecently(orgId, clientId, network) {
      const written = recorded.get(`${orgId} ${clientId} ${network}`);
      return written !== undefined && clock() - written < AUTH_NETWORK_TTL_MS;
    },
  };
}
