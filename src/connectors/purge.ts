import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { deleteExpiredConnectAttempts } from './connect/connect-attempts.repository.ts';
import { deleteExpiredSignInTokens } from './signin-tokens.repository.ts';

// The connector hub's share of `gatehouse purge` and the server's periodic purge. Kept apart from
// oauth/purge.ts because connectors/ and oauth/ import nothing of each other: the wiring (the CLI
// command, the server's schedule) calls both.

/** Rows deleted per statement: short statements, so requests are served between them. */
const BATCH_ROWS = 1000;

// A type, not an interface: it must pass as the Record<string, number> that schedulePurge's alsoPurge reports.
export type ConnectorPurgeCounts = { readonly connector_signin_tokens: number; readonly connector_auth_attempts: number };

/**
 * Deletes expired sign-in tokens, used or not, and the connect flow's attempts whose browser
 * never came back, in every organization. An expired token or attempt is refused whether its row
 * exists or not; only a token's refusal reason changes (`unknown` instead of `expired` or `used`).
 */
export async function purgeExpiredConnectorRows(db: Executor, clock: Clock): Promise<ConnectorPurgeCounts> {
  const now = clock();
  return {
    connector_signin_tokens: await inBatches((limit) => deleteExpiredSignInTokens(db, now, limit)),
    connector_auth_attempts: await inBatches((limit) => deleteExpiredConnectAttempts(db, now, limit)),
  };
}

async function inBatches(deleteBatch: (limit: number) => Promise<number>): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await deleteBatch(BATCH_ROWS);
    deleted += batch;
    if (batch < BATCH_ROWS) return deleted;
    // Let the requests queued meanwhile run before the next batch.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
