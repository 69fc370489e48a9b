import type { Transaction } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, Db, Executor } from './database.ts';

/**
 * Runs `work` in a transaction: the caller's, when it already holds one (so a use case can
 * compose others atomically), or a new one.
 */
export function inTransaction<T>(db: Executor, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<Database>) : db.transaction().execute(work);
}

/** PostgreSQL's serialization_failure and deadlock_detected: the transaction was rolled back and may simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);
const TRANSACTION_ATTEMPTS = 6;
/** The first retry waits up to this long; each next one up to twice as long (full jitter). */
const RETRY_BASE_DELAY_MS = 4;

/** True when PostgreSQL aborted the statement (and its transaction) to settle a conflict with a concurrent one, which may simply run again. */
export function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code);
}

/**
 * Runs `work` in a transaction of its own, again when PostgreSQL aborts it to settle a conflict
 * with a concurrent one (a deadlock, or a serialization failure under SERIALIZABLE). Such an
 * abort rolls everything back, so the whole transaction is simply run again. For transactions that
 * revoke token families, whose row locks a concurrent refresh may hold in another order (a request
 * that loses a rotation race keeps the lost row's lock), and for write-skew-prone checks under
 * SERIALIZABLE. SQLite serializes writers and never reports either.
 *
 * Each retry waits a random time, up to twice as long as the one before (exponential backoff with
 * full jitter): transactions that collided and were all aborted (SSI may abort every one of a
 * group that started together) would otherwise run again in step and collide again; seen with
 * eight processes creating one signing key on a loaded machine.
 */
export async function retriedTransaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>, options: { readonly serializable?: boolean } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const transaction = db.transaction();
      return await (options.serializable === true ? transaction.setIsolationLevel('serializable') : transaction).execute(work);
    } catch (error) {
      if (attempt >= TRANSACTION_ATTEMPTS || !isRetryableConflict(error)) throw error;
    }
    await sleep(Math.random() * RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
  }
}
