import type { Clock } from '../lib/clock.ts';

/**
 * Limits password guessing (ASVS 5.0 §6.3.1): failures are counted per account identifier and per
 * client IP over a sliding window; past the limit, attempts are refused before any password is
 * checked. Counting by the identifier as typed (not by a found account) throttles unknown and
 * known accounts alike, so the limit reveals nothing about which exist.
 *
 * Counters live in this process's memory: a restart forgets them, and several processes each
 * count their own share. That bounds guessing to limits × processes per window.
 */
export interface SignInThrottle {
  /** True when this identifier or IP has failed too often recently. */
  isBlocked(key: ThrottleKey): boolean;
  recordFailure(key: ThrottleKey): void;
  /** A success clears the identifier's failures (not the IP's). */
  recordSuccess(key: ThrottleKey): void;
}

export interface ThrottleKey {
  readonly orgId: string;
  readonly identifier: string;
  readonly ip: string;
}

export interface ThrottleLimits {
  readonly failuresPerIdentifier: number;
  readonly failuresPerIp: number;
  readonly windowMs: number;
}

export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = Object.freeze({ failuresPerIdentifier: 5, failuresPerIp: 30, windowMs: 15 * 60 * 1000 });

/**
 * API authentication failures are counted per client IP only: counting them per org or key
 * would let anyone lock an organization's integrations out with a few bad requests.
 */
export const API_THROTTLE_LIMITS: ThrottleLimits = Object.freeze({ failuresPerIdentifier: 20, failuresPerIp: 20, windowMs: 5 * 60 * 1000 });

/** Retry-After of a throttled API call: by then every failure that counted has left the window. */
export const API_RETRY_AFTER_SECONDS = API_THROTTLE_LIMITS.windowMs / 1000;

/** Past this many tracked keys the oldest are dropped, so a flood of identifiers cannot exhaust memory. */
const MAX_TRACKED_KEYS = 100_000;

export function createSignInThrottle(clock: Clock, limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS): SignInThrottle {
  const failures = new Map<string, number[]>();

  const recent = (key: string): number[] => {
    const since = clock() - limits.windowMs;
    const times = (failures.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) failures.delete(key);
    else failures.set(key, times);
    return times;
  };
  const add = (key: string): void => {
    const times = recent(key);
    times.push(clock());
    failures.delete(key);
    failures.set(key, times);
    if (failures.size > MAX_TRACKED_KEYS) failures.delete(failures.keys().next().value as string);
  };
  const identifierKey = (key: ThrottleKey): string => `id:${key.orgId}:${key.identifier.normalize('NFKC').toLowerCase()}`;
  const ipKey = (key: ThrottleKey): string => `ip:${key.ip}`;

  return {
    isBlocked(key) {
      return recent(identifierKey(key)).length >= limits.failuresPerIdentifier || recent(ipKey(key)).length >= limits.failuresPerIp;
    },
    recordFailure(key) {
      add(identifierKey(key));
      add(ipKey(key));
    },
    recordSuccess(key) {
      failures.delete(identifierKey(key));
    },
  };
}
