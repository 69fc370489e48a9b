// How long a connector waits after a refresh that failed and may succeed later (5xx, 429, a
// network error, a timeout): exponential from 30 s, doubling per failure in a row, capped at an
// hour, with "equal jitter" (half fixed, half random) so that connectors that failed together
// (a provider's outage) do not all come back at the same instant. A provider's Retry-After is
// honoured (RFC 9110 §10.2.3), up to six hours (a longer one is more likely a mistake than a plan).

export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_CAP_MS = 60 * 60_000;
export const RETRY_AFTER_CAP_MS = 6 * 60 * 60_000;

/** The delay before the next attempt after `attempts` failures in a row (1 for the first). `random` in [0, 1). */
export function retryDelayMs(attempts: number, options: { readonly retryAfterSeconds?: number | null; readonly random?: () => number } = {}): number {
  const exponential = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
  const jittered = Math.round(exponential / 2 + (options.random ?? Math.random)() * (exponential / 2));
  const asked = options.retryAfterSeconds === null || options.retryAfterSeconds === undefined ? 0 : Math.min(RETRY_AFTER_CAP_MS, options.retryAfterSeconds * 1000);
  return Math.max(jittered, asked);
}
