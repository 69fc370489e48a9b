import type { Transaction } from 'kysely';
import type { Database, Executor } from './database.ts';

/**
 * Runs `work` in a transaction: the caller's, when it already holds one (so a use case can
 * compose others atomically), or a new one.
 */
export function inTransaction<T>(db: Executor, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<Database>) : db.transaction().execute(work);
}
