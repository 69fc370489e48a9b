import type { RateLimiter, ThrottleKey, ThrottleLimits } from '../lib/rate-limiter.ts';

/**
 * Registration requests per client IP (page and dynamic registration together): enough for a
 * developer's retries, too few to flood the approval queue. Counted in this process's memory.
 */
export const REGISTRATION_THROTTLE_LIMITS: ThrottleLimits = Object.freeze({ failuresPerIdentifier: 10, failuresPerIp: 10, windowMs: 60 * 60 * 1000 });

/**
 * Refused registration requests per client IP, counted apart from those that land. Each costs
 * the server a judgement (cheap since a list is refused by its count, never a free one) and, if
 * refusals were not counted at all, anyone could send them without end. Counted apart rather than
 * at some weight against the accepted ones: a developer fixing typos must not use up the requests
 * that land, and 60 an hour is more refusals than anyone fixing a form meets.
 */
export const REFUSED_REGISTRATION_THROTTLE_LIMITS: ThrottleLimits = Object.freeze({ failuresPerIdentifier: 60, failuresPerIp: 60, windowMs: 60 * 60 * 1000 });

/** How long a throttled registration request is told to wait (the limits' window). */
export const REGISTRATION_RETRY_AFTER_SECONDS = 3600;

/** The two counters every way of requesting a registration shares (the page and RFC 7591). */
export interface RegistrationThrottles {
  /** Counts registration requests that land (made with REGISTRATION_THROTTLE_LIMITS); its own, not the sign-in one. */
  readonly throttle: RateLimiter;
  /** Counts refused registration requests (made with REFUSED_REGISTRATION_THROTTLE_LIMITS). */
  readonly refusedThrottle: RateLimiter;
}

/** A registration request counted under both limits until it is known to have landed or been refused. */
export interface RegistrationAttempt {
  landed(): void;
  refused(): void;
}

/**
 * Counts a request against both limits at once, each as if it would end its way (landed and
 * refused); the outcome takes back the other count. Undefined, nothing counted, when either
 * limit is reached: no await separates the checks from the counts, so a burst gets no more.
 */
export function beginRegistration(throttles: RegistrationThrottles, key: ThrottleKey): RegistrationAttempt | undefined {
  const asRefused = throttles.refusedThrottle.begin(key);
  if (asRefused === undefined) return undefined;
  const asLanded = throttles.throttle.begin(key);
  if (asLanded === undefined) {
    asRefused.release();
    return undefined;
  }
  return { landed: () => asRefused.release(), refused: () => asLanded.release() };
}
