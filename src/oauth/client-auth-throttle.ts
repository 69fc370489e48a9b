import { AUTH_NETWORK_REFRESH_MS, AUTH_NETWORK_TTL_MS } from '../clients/auth-networks.ts';
import type { Clock } from '../lib/clock.ts';

/**
 * Limits failed client authentication at the token, introspection and revocation endpoints
 * (RFC 6749 §2.3.1: an endpoint that checks client passwords "MUST protect" itself "against brute
 * force attacks"). Failures are counted per client id and per client network (an IPv6 client by
 * its /64, lib/client-network.ts) over a sliding window; past a limit the request is refused
 * (oauth/client-auth.ts answers 429) before any secret is checked.
 *
 * Anyone can send wrong secrets for a client, whose id is public, and a network is shared by
 * many clients of many orgs, so neither limit may lock a client out of its usual places: from the
 * networks it authenticated from recently (stored on the client, clients/auth-networks.ts, so that
 * every process and every restart knows them) neither applies to it (the analogue, for servers,
 * of the sign-in's device cookies, docs/decisions/0003). That decision is oauth/client-auth.ts's,
 * with the client loaded; this keeps the counts, and which of those networks this process wrote
 * recently.
 *
 * The token endpoint is a hot path: while no client or network is locked out, a check costs no
 * lookup; the network of an address is its keyed pseudonym, computed once per address
 * (`networkOf`, shared with the pending sign-ins). Expired lockouts and failures are swept away at
 * most every SWEEP_INTERVAL_MS, by the checks and counts themselves, so that once the last
 * lockout is over the checks cost no lookup again. Failures cost more, as they should.
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
   * (oauth/org-resolver.ts), which does not show it yet.
   */
  recordedRecently(orgId: string, clientId: string, network: string): boolean;
  /**
   * Whether to log a refusal of this request at info level: true for the first refusal of the
   * lockout refusing it (the network's, or else the client's), false for the next ones, which a
   * flood sends by the thousand.
   */
  firstRefusal(orgId: string, clientId: string | undefined, ip: string): boolean;
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
/** Expired entries are swept away at most this often (a sweep reads every entry). */
const SWEEP_INTERVAL_MS = 10_000;

interface Lockout {
  /** When the oldest of the key's counted failures leaves the window. */
  readonly until: number;
  /** Whether a refusal under it was reported (firstRefusal). */
  reported: boolean;
}

export function createClientAuthThrottle(clock: Clock, options: { readonly limits?: ClientAuthLimits; readonly networkOf: (ip: string) => string }): ClientAuthThrottle {
  const limits = options.limits ?? CLIENT_AUTH_THROTTLE_LIMITS;
  /** The times of the last failures per key (`n <network>`, `c <org id> <client id>`), at most the limit of them. */
  const failures = new Map<string, number[]>();
  /** The keys at their limit. */
  const lockouts = new Map<string, Lockout>();
  /** `<org id> <client id> <network>` → when this process wrote the network among the client's usual ones. */
  const recorded = new Map<string, number>();
  const networkOf = options.networkOf;
  let nextSweepAt = 0;
  /** Drops what no longer counts: lockouts over, failures all out of the window, writes older than a network's life. */
  const sweepIfDue = (now: number): void => {
    if (now < nextSweepAt) return;
    nextSweepAt = now + SWEEP_INTERVAL_MS;
    for (const [key, lockout] of lockouts) if (lockout.until <= now) lockouts.delete(key);
    const since = now - limits.windowMs;
    for (const [key, times] of failures) if (times[times.length - 1]! <= since) failures.delete(key);
    for (const [key, written] of recorded) if (now - written >= AUTH_NETWORK_TTL_MS) recorded.delete(key);
  };
  /** The lockout of `key` now in force, or undefined. */
  const lockoutOf = (key: string, now: number): Lockout | undefined => {
    const lockout = lockouts.get(key);
    if (lockout === undefined || lockout.until > now) return lockout;
    lockouts.delete(key);
    return undefined;
  };
  /** Seconds until the key is no longer locked out, or undefined when it is not. */
  const secondsLocked = (keyOf: () => string): number | undefined => {
    // Nothing locked: no key to look up (and no network pseudonym to compute).
    if (lockouts.size === 0) return undefined;
    const now = clock();
    sweepIfDue(now);
    if (lockouts.size === 0) return undefined;
    const lockout = lockoutOf(keyOf(), now);
    return lockout === undefined ? undefined : Math.ceil((lockout.until - now) / 1000);
  };
  const count = (key: string, now: number, limit: number): void => {
    sweepIfDue(now);
    const since = now - limits.windowMs;
    // Only the last `limit` failures can matter: the key is at its limit when the oldest of them is recent.
    const times = [...(failures.get(key) ?? []).filter((time) => time > since), now].slice(-limit);
    failures.delete(key);
    failures.set(key, times);
    if (failures.size > MAX_TRACKED_KEYS) failures.delete(failures.keys().next().value as string);
    if (times.length < limit) return;
    // A lockout extended (failures from a client's usual network still count) keeps its report.
    lockouts.set(key, { until: times[0]! + limits.windowMs, reported: lockoutOf(key, now)?.reported ?? false });
    if (lockouts.size > MAX_TRACKED_KEYS) lockouts.delete(lockouts.keys().next().value as string);
  };

  return {
    networkOf,
    networkRefused(ip) {
      return secondsLocked(() => `n ${networkOf(ip)}`);
    },
    clientRefused(orgId, clientId) {
      return secondsLocked(() => `c ${orgId} ${clientId}`);
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
    firstRefusal(orgId, clientId, ip) {
      const now = clock();
      const lockout = lockoutOf(`n ${networkOf(ip)}`, now) ?? (clientId === undefined ? undefined : lockoutOf(`c ${orgId} ${clientId}`, now));
      if (lockout === undefined || lockout.reported) return false;
      lockout.reported = true;
      return true;
    },
    recordedRecently(orgId, clientId, network) {
      const written = recorded.get(`${orgId} ${clientId} ${network}`);
      return written !== undefined && clock() - written < AUTH_NETWORK_TTL_MS;
    },
  };
}
