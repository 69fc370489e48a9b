import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { deleteFinishedDeliveries } from './deliveries.repository.ts';

// The webhooks' share of `gatehouse purge` and the server's periodic purge: the delivery log of
// delivered and failed messages is kept for a while for staff to read, then deleted with its
// attempts and (once no delivery names it) its message. Pending deliveries are never purged.

/** How long a finished delivery stays in the log. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** Rows deleted per statement: short statements, so requests are served between them. */
const BATCH_ROWS = 1000;

// A type, not an interface: it must pass as the Record<string, number> that schedulePurge's alsoPurge reports.
export type WebhookPurgeCounts = { readonly webhook_deliveries: number };

export async function purgeFinishedWebhookDeliveries(db: Executor, clock: Clock): Promise<WebhookPurgeCounts> {
  const before = clock() - DELIVERY_RETENTION_MS;
  let deleted = 0;
  for (;;) {
    const batch = await deleteFinishedDeliveries(db, before, BATCH_ROWS);
    deleted += batch;
    if (batch < BATCH_ROWS) return { webhook_deliveries: deleted };
    // Let the requests queued meanwhile run before the next batch.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
