import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { deleteExpiredInteractions, deleteExpiredSsoSessions } from './sessions/sessions.repository.ts';
import { deleteExpired, deleteExpiredAccessTokens, type CredentialTable } from './credentials/credentials.repository.ts';

/**
 * How long a code is kept after it expired. A code presented again after it was used revokes
 * every token issued from it (RFC 6749 §4.1.2, RFC 9700 §4.5.3); that needs the used code's row,
 * so it outlives its 10 minutes by a day rather than vanishing at expiry.
 */
export const CODE_REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Rows deleted per statement: short statements, so requests are served between them. */
const BATCH_ROWS = 1000;

/** How often the server purges. */
export const PURGE_INTERVAL_MS = 10 * 60 * 1000;

export type PurgeCounts = Record<CredentialTable | 'sso_sessions' | 'authorization_requests', number>;

/**
 * Deletes what can no longer be used, in every organization: expired access tokens, refresh
 * tokens and families (a refresh token expires with its family; a rotated one is needed for
 * reuse detection only until then), codes a day after they expired, expired SSO sessions and
 * pending authorization requests. An expired credential is refused whether its row exists or
 * not, so deleting it changes no answer but what introspection would say anyway
 * (`active: false`). Each table goes in batches, found through its `expires_at` index.
 */
export async function purgeExpired(db: Executor, clock: Clock): Promise<PurgeCounts> {
  const now = clock();
  const counts: PurgeCounts = { authorization_codes: 0, access_tokens: 0, refresh_tokens: 0, token_families: 0, sso_sessions: 0, authorization_requests: 0 };
  const drain = async (table: keyof PurgeCounts, deleteBatch: () => Promise<number>): Promise<void> => {
    for (;;) {
      const deleted = await deleteBatch();
      counts[table] += deleted;
      if (deleted < BATCH_ROWS) return;
      // Let the requests queued meanwhile run before the next batch.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await drain('authorization_codes', () => deleteExpired(db, 'authorization_codes', now - CODE_REPLAY_WINDOW_MS, BATCH_ROWS));
  // Access tokens are counted per day and grant as they go (the console's overview): migration 0018.
  await drain('access_tokens', () => deleteExpiredAccessTokens(db, now, BATCH_ROWS));
  for (const table of ['refresh_tokens', 'token_families'] as const) await drain(table, () => deleteExpired(db, table, now, BATCH_ROWS));
  await drain('sso_sessions', () => deleteExpiredSsoSessions(db, now, BATCH_ROWS));
  await drain('authorization_requests', () => deleteExpiredInteractions(db, now, BATCH_ROWS));
  return counts;
}

/**
 * Runs purgeExpired every `intervalMs` (never two at once) until stopped, then `alsoPurge` if
 * given: another capability's purge (the connector hub's, which this folder may not import),
 * whose counts join the report's. Reports each run's counts, or its error; a failed run is simply
 * tried again at the next interval.
 */
export function schedulePurge(
  db: Executor,
  clock: Clock,
  report: { readonly purged: (counts: PurgeCounts) => void; readonly failed: (error: unknown) => void },
  options: { readonly intervalMs?: number; readonly alsoPurge?: (db: Executor, clock: Clock) => Promise<Readonly<Record<string, number>>> } = {},
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running !== undefined) return;
    running = purgeExpired(db, clock)
      .then(async (counts) => ({ ...counts, ...(await options.alsoPurge?.(db, clock)) }))
      .then(report.purged, report.failed)
      .finally(() => {
        running = undefined;
      });
  }, options.intervalMs ?? PURGE_INTERVAL_MS);
  // The schedule never keeps the process alive by itself.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
