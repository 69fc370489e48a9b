import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { timeOrderedId } from '../lib/ids.ts';
import { randomBase32 } from '../lib/random.ts';
import type { Sealer } from '../keys/sealing.ts';
import type { OutboundClient } from '../outbound/outbound-client.ts';
import { OutboundError, OutboundNetworkError, OutboundRefused, OutboundTimeout } from '../outbound/outbound-errors.ts';
import * as deliveries from './deliveries.repository.ts';
import type { DeliveryKey } from './deliveries.repository.ts';
import { findEndpoint } from './endpoints.repository.ts';
import { signatureHeaders } from './signing.ts';
import { webhookSecretAad, type AttemptOutcome, type DeliveryAttempt, type DeliveryState, type WebhookEndpoint } from './webhook.ts';

// The delivery worker: at least once, by webhook-id. Each server process runs one (main.ts); a
// delivery is claimed by a lease in the store (deliveries.repository.ts), so two processes never
// send one delivery at once, and one whose process died is sent again once its lease expires.

/**
 * How long after a failed attempt the next one is due: after the 1st, 5 s; then 5 min, 30 min,
 * 2 h, 5 h, 10 h, 10 h (the schedule of Svix, the reference implementation of Standard Webhooks),
 * each ±20 % at random so endpoints that failed together are not retried in step. After the 8th
 * attempt the delivery has failed: about 27.5 hours after the event.
 */
export const RETRY_DELAYS_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
const JITTER = 0.2;

/** A claim lasts longer than any attempt can (the call's timeout), so a live owner keeps its delivery. */
export const LEASE_MS = 60_000;
/** The receiver's whole time to answer; Standard Webhooks receivers should answer at once and work later. */
export const DELIVERY_TIMEOUT_MS = 15_000;
/** The receiver's answer is not read, only its status; a longer body ends the attempt. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_ERROR_LENGTH = 200;
/** Deliveries claimed per round, and sent at once. */
const ROUND_SIZE = 50;
const PARALLEL_SENDS = 8;
/** How often the worker looks for due deliveries. */
export const DELIVERY_INTERVAL_MS = 1_000;

export interface WebhookDeliveryDeps {
  readonly db: Executor;
  readonly clock: Clock;
  /** Opens the endpoints' secrets (the root key's sealer). */
  readonly sealer: Sealer;
  /** Checks the destination at every call: https and public addresses unless allowed otherwise. */
  readonly outbound: OutboundClient;
  /** [0, 1), for the retries' jitter; default Math.random. */
  readonly random?: () => number;
  /** Default DELIVERY_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** An unexpected error while sending (not a receiver's failure, which is an attempt in the log). */
  readonly onError?: (error: unknown) => void;
}

/** The delay before the attempt after `attempts` failed ones, or undefined when that was the last. */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number | undefined {
  const base = RETRY_DELAYS_MS[attempts - 1];
  return base === undefined ? undefined : Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

export interface DeliveryRound {
  readonly delivered: number;
  readonly retrying: number;
  readonly failed: number;
}

/** One round: claims the deliveries due now, in every organization, and sends each once. */
export async function deliverDue(deps: WebhookDeliveryDeps, options: { readonly limit?: number } = {}): Promise<DeliveryRound> {
  const now = deps.clock();
  const due = await deliveries.findDueDeliveries(deps.db, now, options.limit ?? ROUND_SIZE);
  const counts = { delivered: 0, retrying: 0, failed: 0 };
  const queue = [...due];
  const sendNext = async (): Promise<void> => {
    for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
      const state = await claimAndSend(deps, key);
      if (state === 'delivered') counts.delivered++;
      else if (state === 'pending') counts.retrying++;
      else if (state === 'failed') counts.failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_SENDS, queue.length) }, sendNext));
  return counts;
}

/** Claims one delivery and sends it, if it is due and no other process holds it; its state after, or undefined when not claimed. */
export async function claimAndSend(deps: WebhookDeliveryDeps, key: DeliveryKey): Promise<DeliveryState | undefined> {
  const now = deps.clock();
  // A random owner per claim: an owner whose lease expired cannot settle a later claim, its own process's included.
  const owner = randomBase32(16);
  if (!(await deliveries.claimDelivery(deps.db, key, { now, owner, leaseUntil: now + LEASE_MS }))) return undefined;
  try {
    return await send(deps, key, owner);
  } catch (error) {
    // Left claimed: due again when the lease expires.
    deps.onError?.(error);
    return undefined;
  }
}

async function send(deps: WebhookDeliveryDeps, key: DeliveryKey, owner: string): Promise<DeliveryState | undefined> {
  const claimed = await deliveries.loadClaimedDelivery(deps.db, key, owner);
  if (claimed === undefined) return undefined;
  const endpoint = await findEndpoint(deps.db, key.orgId, claimed.endpointId);
  if (endpoint === undefined || !endpoint.enabled) {
    await deliveries.abandonDelivery(deps.db, key, owner, deps.clock(), 'the endpoint was disabled before the delivery was sent');
    return 'failed';
  }
  const startedAt = deps.clock();
  const result = await attempt(deps, endpoint, claimed, startedAt);
  const attemptedAt = deps.clock();
  const record: DeliveryAttempt = { id: timeOrderedId(attemptedAt), attemptedAt: startedAt, durationMs: Math.max(0, attemptedAt - startedAt), ...result };
  const attempts = claimed.attempts + 1;
  const delay = result.outcome === 'delivered' ? undefined : retryDelayMs(attempts, deps.random);
  const state: DeliveryState = result.outcome === 'delivered' ? 'delivered' : delay === undefined ? 'failed' : 'pending';
  const settled = await inTransaction(deps.db, (trx) =>
    deliveries.settleAttempt(trx, key, owner, { attempt: record, state, nextAttemptAt: state === 'pending' ? attemptedAt + delay! : null }),
  );
  return settled ? state : undefined;
}

/** The current secret, and the one it replaced while that still signs beside it (rotation's grace). */
function signingSecrets(sealer: Sealer, endpoint: WebhookEndpoint, now: number): string[] {
  const aad = webhookSecretAad(endpoint.orgId, endpoint.id);
  const secrets = [sealer.open(endpoint.sealedSecret, aad).toString('utf8')];
  if (endpoint.sealedPreviousSecret !== null && endpoint.previousSecretExpiresAt !== null && now < endpoint.previousSecretExpiresAt) {
    secrets.push(sealer.open(endpoint.sealedPreviousSecret, aad).toString('utf8'));
  }
  return secrets;
}

type AttemptResult = Pick<DeliveryAttempt, 'outcome' | 'statusCode' | 'error'>;

/**
 * Signs and sends the message once. Whatever goes wrong is an attempt in the log: the receiver's
 * answer or failure as such, and anything else (a secret that no longer opens: the root key was
 * changed) as an internal error, reported, so that the delivery follows the schedule to its end
 * instead of being claimed again and again.
 */
async function attempt(deps: WebhookDeliveryDeps, endpoint: WebhookEndpoint, claimed: deliveries.ClaimedDelivery, startedAt: number): Promise<AttemptResult> {
  try {
    // Sent as outbound/ serializes a JSON body: the same function of the same value, so the bytes signed are the bytes sent.
    const json: unknown = JSON.parse(claimed.payload);
    const headers = signatureHeaders(claimed.messageId, startedAt, JSON.stringify(json), signingSecrets(deps.sealer, endpoint, startedAt));
    const response = await deps.outbound.request({
      method: 'POST',
      url: endpoint.url,
      headers,
      body: { json },
      timeoutMs: deps.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      maxResponseBytes: MAX_RESPONSE_BYTES,
    });
    const ok = response.status >= 200 && response.status < 300;
    return { outcome: ok ? 'delivered' : 'failed', statusCode: response.status, error: ok ? null : `the receiver answered HTTP ${response.status}` };
  } catch (error) {
    if (!(error instanceof OutboundError)) {
      deps.onError?.(error);
      return { outcome: 'failed', statusCode: null, error: 'not sent: an internal error (the server log says which)' };
    }
    const outcome: AttemptOutcome = error instanceof OutboundRefused ? 'refused' : error instanceof OutboundTimeout ? 'timeout' : error instanceof OutboundNetworkError ? 'unreachable' : 'failed';
    // The message without the destination it starts with: the URL's path may itself be a secret (some receivers put a token there).
    return { outcome, statusCode: 'status' in error && typeof error.status === 'number' ? error.status : null, error: error.message.slice(error.destination.length + 2, error.destination.length + 2 + MAX_ERROR_LENGTH) };
  }
}

/**
 * Runs deliverDue every `intervalMs` (never two rounds at once), and at once again after a full
 * round, until stopped. The timer never keeps the process alive by itself.
 */
export function startWebhookDelivery(deps: WebhookDeliveryDeps, options: { readonly intervalMs?: number } = {}): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const round = (): void => {
    if (running !== undefined || stopped) return;
    running = deliverDue(deps)
      .then(
        (counts) => counts.delivered + counts.retrying + counts.failed,
        (error: unknown) => {
          deps.onError?.(error);
          return 0;
        },
      )
      .then((sent) => {
        running = undefined;
        // A full round may have left more due: the next one runs at once.
        if (sent >= ROUND_SIZE) setImmediate(round);
      });
  };
  const timer = setInterval(round, options.intervalMs ?? DELIVERY_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
