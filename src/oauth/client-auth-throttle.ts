import { clientNetworkKey } from '../lib/client-network.ts';
import type { Clock } from '../lib/clock.ts';

/**
 * Limits failed client authentication at the token, introspection and revocation endpoints
 * (RFC 6749 §2.3.1: an endpoint that checks client passwords "MUST protect" itself "against brute
 * force attacks"). Failures are counted per client id and per client network (an IPv6 client by
 * its /64, lib/client-network.ts) over a sliding window; past a limit the request is refused
 * (oauth/client-auth.ts answers 429) before any secret is checked.
 *
 * Anyone can send wrong secrets for a client, so the client's own limit must not lock the client
 * out: the networks a client authenticated from recently are remembered (a few per client), and
 * from those the client's limit does not apply, only the network's (the analogue, for servers,
 * of the sign-in's device cookies, docs/decisions/0003). The client's right secret from its usual
 * place is never refused unless that network itself failed too often; an attacker elsewhere is.
 *
 * The token endpoint is a hot path: while no client or network is locked out, a check costs no
 * lookup, and a success one (the client's record: the same address as its last success, less than
 * a minute ago, writes nothing); otherwise the network's key is computed (remembered per address)
 * and its time written. Failures cost more, as they should.
 *
 * Counters and networks live in this process's memory: a restart forgets them (a client's usual
 * networks too, until it next succeeds), and several processes each count their own share.
 */
export interface ClientAuthThrottle {
  /** When the client's network failed too often recently: the seconds until it may try again. Refuse without reading further. */
  networkRefused(ip: string): number | undefined;
  /** When the client failed too often recently and this network is not one it authenticated from recently: the seconds until it may try again. */
  clientRefused(orgId: string, clientId: string, ip: string): number | undefined;
  /** Counts a failure against the network and, when given, the client named. */
  failed(orgId: string, clientId: string | undefined, ip: string): void;
  /** Remembers the network as one the client authenticates from. */
  succeeded(orgId: string, clientId: string, ip: string): void;
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

/** A network a client succeeded from is its usual place for this long after its last success. */
export const KNOWN_NETWORK_TTL_MS = 30 * 24 * 3600 * 1000;
/** Networks remembered per client, the least recently successful dropped first. */
const MAX_NETWORKS_PER_CLIENT = 16;
/** A client's last success from one address is rewritten at most this often (a write per token request would cost on the hot path). */
const REFRESH_MS = 60 * 1000;
/** Past these, the oldest entries are dropped, so a flood of ids or networks cannot exhaust memory. */
const MAX_TRACKED_KEYS = 100_000;
const MAX_TRACKED_CLIENTS = 100_000;

interface KnownNetworks {
  /** Network → time of the client's last success from it, least recent first. */
  readonly networks: Map<string, number>;
  /** The address of the last success written, and when: repeats within REFRESH_MS write nothing. */
  lastIp: string;
  lastIpAt: number;
}

export function createClientAuthThrottle(clock: Clock, options: { readonly limits?: ClientAuthLimits; readonly ipv6PrefixBits: number }): ClientAuthThrottle {
  const limits = options.limits ?? CLIENT_AUTH_THROTTLE_LIMITS;
  /** The times of the last failures per key (`n <network>`, `c <org id> <client id>`), at most the limit of them. */
  const failures = new Map<string, number[]>();
  /** The keys at their limit, and when the oldest of their counted failures leaves the window. */
  const lockedUntil = new Map<string, number>();
  /** Per client (`<org id> <client id>`), its networks and the time of its last success from each. */
  const known = new Map<string, KnownNetworks>();
  /** Network keys of recent addresses: an IPv6 address's key takes microseconds to compute. */
  const networkKeys = new Map<string, string>();

  const networkOf = (ip: string): string => {
    let network = networkKeys.get(ip);
    if (network === undefined) {
      network = clientNetworkKey(ip, options.ipv6PrefixBits);
      if (networkKeys.size >= MAX_TRACKED_KEYS) networkKeys.clear();
      networkKeys.set(ip, network);
    }
    return network;
  };
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
    networkRefused(ip) {
      if (lockedUntil.size === 0) return undefined;
      return secondsLocked(`n ${networkOf(ip)}`, clock());
    },
    clientRefused(orgId, clientId, ip) {
      if (lockedUntil.size === 0) return undefined;
      const now = clock();
      const client = `${orgId} ${clientId}`;
      const seconds = secondsLocked(`c ${client}`, now);
      if (seconds === undefined) return undefined;
      const lastSuccess = known.get(client)?.networks.get(networkOf(ip));
      return lastSuccess !== undefined && now - lastSuccess < KNOWN_NETWORK_TTL_MS ? undefined : seconds;
    },
    failed(orgId, clientId, ip) {
      const now = clock();
      count(`n ${networkOf(ip)}`, now, limits.failuresPerNetwork);
      if (clientId !== undefined) count(`c ${orgId} ${clientId}`, now, limits.failuresPerClient);
    },
    succeeded(orgId, clientId, ip) {
      const now = clock();
      const client = `${orgId} ${clientId}`;
      let record = known.get(client);
      // The usual case, one lookup: the same address as the last success, less than a minute ago.
      if (record !== undefined && record.lastIp === ip && now - record.lastIpAt < REFRESH_MS) return;
      if (record === undefined) {
        if (known.size >= MAX_TRACKED_CLIENTS) known.delete(known.keys().next().value as string);
        record = { networks: new Map(), lastIp: ip, lastIpAt: now };
        known.set(client, record);
      }
      record.lastIp = ip;
      record.lastIpAt = now;
      const network = networkOf(ip);
      // Re-inserted, so that the map's order is the order of last success: the first is dropped first.
      record.networks.delete(network);
      record.networks.set(network, now);
      if (record.networks.size > MAX_NETWORKS_PER_CLIENT) record.networks.delete(record.networks.keys().next().value as string);
    },
  };
}
