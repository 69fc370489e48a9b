import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { deleteExpiredSignInTokens } from './signin-tokens.repository.ts';

// The connector hub's share of `gatehouse purge` and the server's periodic purge. Kept apart from
// oauth/purge.ts because connectors/ and oauth/ import nothing of each other: the wiring (the CLI
// command, the server's schedule) calls both.

/** Rows deleted per statement: short statements, so requests are served between them. */
const BATCH_ROWS = 1000;

export interface ConnectorPurgeCounts {
  readonly connector_signin_tokens: number;
}

/**
 * Deletes expired sign-in tokens, used or not, in every organization. An expired token is refused
 * whether its row exists or not; only the refusal's reason changes (`unknown` instead of
 * `expired` or `used`).
 */
export async function purgeExpiredConnectorRows(db: Executor, clock: Clock): Promise<ConnectorPurgeCounts> {
  const now = clock();
  let deleted = 0;
  for (;;) {
    const batch = await deleteExpiredSignInTokens(db, now, BATCH_ROWS);
    deleted += batch;
    if (batch < BATCH_ROWS) return { connector_signin_tokens: deleted };
    // Let the requests queued meanwhile run before the next batch.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
