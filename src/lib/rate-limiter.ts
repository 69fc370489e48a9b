import { clientNetworkKey } from './client-network.ts';
import type { Clock } from './clock.ts';

/**
 * The general rate limiter: attempts are counted per identifier and per client IP over a sliding
 * window; past either limit, attempts are refused. Each use has its own limits and instance:
 * password guessing (ASVS 5.0 §6.3.1: accounts/sign-in-throttle.ts, where attempts are refused
 * before any password is checked), API authentication failures, sign-ups, registration requests.
 *
 * An attempt is counted before its password is checked, in the same synchronous step as the check
 * of the limit (`begin`): however many requests arrive at once, no more than the limit get their
 * password checked. A success takes its attempt back, so only failures stay counted.
 *
 * The identifier is counted exactly as given: callers pass the normalised key their lookup used
 * (see accounts/sign-in.ts), so that every way of typing one identifier shares one count, and
 * unknown accounts are counted alike.
 *
 * The IP is counted as the client's network (lib/client-network.ts): an IPv6 client by its /64 (or
 * the configured prefix), since it can rotate through every address of it; an IPv4 client by its
 * address. Done here, where the key is formed, so that no limit can count exact IPv6 addresses.
 *
 * Counters live in this process's memory: a restart forgets them, and several processes each
 * count their own share. That bounds guessing to limits × processes per window. Keys whose
 * failures all left the window are swept away (at most every SWEEP_INTERVAL_MS, by the checks
 * themselves), so that once nothing is counted a check forms no key at all.
 */
export interface RateLimiter {
  /**
   * Checks the limits and, when neither the identifier nor the IP has reached its own, counts one
   * attempt against both at once (as a failure, until the caller says otherwise) and returns it;
   * undefined, with nothing counted, when either has. No await separates the check from the count.
   */
  begin(key: ThrottleKey): ThrottleAttempt | undefined;
  /** True when this identifier or IP has failed too often recently. */
  isBlocked(key: ThrottleKey): boolean;
  /** Counts a failure after the fact (the API's key checks; see staff/api-auth.ts). */
  recordFailure(key: ThrottleKey): void;
}

/** An attempt counted by `begin`: it stays counted as a failure unless taken back. */
export interface ThrottleAttempt {
  /** Takes the attempt back: it counts against neither the identifier nor the IP. */
  release(): void;
  /** The credentials were right: takes the attempt back and clears the identifier's failures (not the IP's). */
  succeeded(): void;
}

export interface ThrottleKey {
  readonly orgId: string;
  /** What is counted besides the client's network (an account, a device cookie); absent for limits counted per network only. */
  readonly identifier?: string;
  /**
   * The client's address, as the request came (the throttle counts its network); absent for an
   * attempt not subject to the network's limit (one carrying a recognised device token, whose own
   * limit bounds it: accounts/sign-in.ts).
   */
  readonly ip?: string;
}

export interface ThrottleLimits {
  readonly failuresPerIdentifier: number;
  readonly failuresPerIp: number;
  readonly windowMs: number;
}

/** Past this many tracked keys the oldest are dropped, so a flood of identifiers cannot exhaust memory. */
const MAX_TRACKED_KEYS = 100_000;
/** Keys whose failures all left the window are swept away at most this often (a sweep reads every key). */
const SWEEP_INTERVAL_MS = 10_000;

export interface ThrottleOptions {
  readonly limits: ThrottleLimits;
  /** How many leading bits of an IPv6 address name one client network (Config.rateLimitIpv6PrefixBits). */
  readonly ipv6PrefixBits: number;
}

export function createRateLimiter(clock: Clock, options: ThrottleOptions): RateLimiter {
  const limits = options.limits;
  const failures = new Map<string, number[]>();
  const none: number[] = [];
  let nextSweepAt = 0;
  // A key is otherwise dropped only when it is looked up again: without sweeping, the first
  // failure would end the fast path (nothing counted, nothing to look up) for good.
  const sweepIfDue = (): void => {
    const now = clock();
    if (now < nextSweepAt) return;
    nextSweepAt = now + SWEEP_INTERVAL_MS;
    const since = now - limits.windowMs;
    for (const [key, times] of failures) if (times[times.length - 1]! <= since) failures.delete(key);
  };

  const recent = (key: string | undefined): number[] => {
    if (key === undefined) return none;
    const stored = failures.get(key);
    if (stored === undefined) return none;
    const since = clock() - limits.windowMs;
    const times = stored.filter((t) => t > since);
    if (times.length === 0) failures.delete(key);
    else failures.set(key, times);
    return times;
  };
  const add = (key: string | undefined, time: number): void => {
    if (key === undefined) return;
    sweepIfDue();
    const times = [...recent(key), time];
    failures.delete(key);
    failures.set(key, times);
    if (failures.size > MAX_TRACKED_KEYS) failures.delete(failures.keys().next().value as string);
  };
  /** Removes one count made at `time`, if it is still there (not aged out, cleared or evicted). */
  const remove = (key: string | undefined, time: number): void => {
    if (key === undefined) return;
    const times = failures.get(key);
    const index = times?.lastIndexOf(time) ?? -1;
    if (index === -1) return;
    times!.splice(index, 1);
    if (times!.length === 0) failures.delete(key);
  };
  const identifierKey = (key: ThrottleKey): string | undefined => (key.identifier === undefined ? undefined : `id:${key.orgId}:${key.identifier}`);
  const ipKey = (key: ThrottleKey): string | undefined => (key.ip === undefined ? undefined : `ip:${clientNetworkKey(key.ip, options.ipv6PrefixBits)}`);
  // Nothing counted: no key to form (an IPv6 network key takes microseconds; the API checks on every call).
  const isBlocked = (key: ThrottleKey): boolean => {
    if (failures.size === 0) return false;
    sweepIfDue();
    return failures.size !== 0 && (recent(identifierKey(key)).length >= limits.failuresPerIdentifier || recent(ipKey(key)).length >= limits.failuresPerIp);
  };

  return {
    begin(key) {
      if (isBlocked(key)) return undefined;
      const time = clock();
      add(identifierKey(key), time);
      add(ipKey(key), time);
      let settled = false;
      const release = (): void => {
        if (settled) return;
        settled = true;
        remove(identifierKey(key), time);
        remove(ipKey(key), time);
      };
      return {
        release,
        succeeded() {
          release();
          const counted = identifierKey(key);
          if (counted !== undefined) failures.delete(counted);
        },
      };
    },
    isBlocked,
    recordFailure(key) {
      const time = clock();
      add(identifierKey(key), time);
      add(ipKey(key), time);
    },
  };
}
