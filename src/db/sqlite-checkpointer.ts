/**
 * The background checkpointer of a SQLite store, run in a worker thread (see startCheckpointer in
 * sqlite.ts). A checkpoint copies the WAL's pages into the database file and syncs both: several
 * milliseconds of disk work that, run by SQLite's automatic checkpoint inside a COMMIT, would stall
 * the event loop and every request waiting on it. Here it runs on a connection of its own, in its
 * own thread, as a PASSIVE checkpoint: it never waits for a lock and never blocks the server's
 * readers or writer; what it cannot copy yet (frames newer than a live reader's snapshot) is
 * copied next time.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

export interface CheckpointerData {
  readonly path: string;
  readonly intervalMs: number;
}

/** What the worker tells its parent: a failed checkpoint (the parent logs it; the next one retries). */
export interface CheckpointerMessage {
  readonly type: 'checkpoint-failed';
  readonly message: string;
}

const { path, intervalMs } = workerData as CheckpointerData;
const database = new DatabaseSync(path, { timeout: 0 });
database.exec('PRAGMA synchronous = NORMAL');
const checkpoint = database.prepare('PRAGMA wal_checkpoint(PASSIVE)');

const timer = setInterval(() => {
  try {
    checkpoint.get();
  } catch (error) {
    parentPort?.postMessage({ type: 'checkpoint-failed', message: (error as Error).message } satisfies CheckpointerMessage);
  }
}, intervalMs);

parentPort?.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  database.close();
  parentPort?.close();
});
