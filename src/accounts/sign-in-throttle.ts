import type { Clock } from '../lib/clock.ts';
import { createRateLimiter, type RateLimiter, type ThrottleKey, type ThrottleLimits } from '../lib/rate-limiter.ts';

/**
 * Password guessing (ASVS 5.0 §6.3.1), for constituents and staff alike: the general rate limiter
 * (lib/rate-limiter.ts) with these limits, counting per identifier (as looked up:
 * accounts/sign-in.ts) and per client network, and checkThrottled, which counts an attempt
 * before its password is checked.
 */
export type SignInThrottle = RateLimiter;

/** 5 failures per identifier, 30 per client network, in 15 minutes. */
export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = Object.freeze({ failuresPerIdentifier: 5, failuresPerIp: 30, windowMs: 15 * 60 * 1000 });

/** A sign-in throttle: DEFAULT_THROTTLE_LIMITS unless `limits` says otherwise. */
export function createSignInThrottle(clock: Clock, options: { readonly ipv6PrefixBits: number; readonly limits?: ThrottleLimits }): SignInThrottle {
  return createRateLimiter(clock, { limits: options.limits ?? DEFAULT_THROTTLE_LIMITS, ipv6PrefixBits: options.ipv6PrefixBits });
}

export const THROTTLED = 'throttled';

/**
 * One credential check under the throttle, for every sign-in that checks a password: the attempt
 * is counted before `check` runs (see `begin`), so concurrent attempts get no more checks than the
 * limit allows. THROTTLED, without running `check`, when the limit is reached. `check` answers
 * the signed-in party, or undefined for a failure, which stays counted; a success takes its
 * attempt back and clears the identifier's failures. A check that throws gave no answer: its
 * attempt is taken back, and the error goes on.
 */
export async function checkThrottled<T>(throttle: SignInThrottle, key: ThrottleKey, check: () => Promise<T | undefined>): Promise<T | typeof THROTTLED | undefined> {
  const attempt = throttle.begin(key);
  if (attempt === undefined) return THROTTLED;
  let result: T | undefined;
  try {
    result = await check();
  } catch (error) {
    attempt.release();
    throw error;
  }
  if (result !== undefined) attempt.succeeded();
  return result;
}
