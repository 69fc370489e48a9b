import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { Kysely, sql } from 'kysely';
import type { Database, Storage } from './database.ts';
import type { CheckpointerData, CheckpointerMessage } from './sqlite-checkpointer.ts';
import { NodeSqliteDialect } from './sqlite-dialect.ts';
import { StorageError } from './storage-error.ts';

export const SQLITE_FILE = 'gatehouse.db';

/** How long a statement waits for another process (the CLI, a second server) to release the file. */
const BUSY_TIMEOUT_MS = 5000;

/** How often the background checkpointer copies the WAL into the database. */
const CHECKPOINT_INTERVAL_MS = 200;
/**
 * With the background checkpointer, SQLite's own checkpoint (in a COMMIT, on the event loop) is
 * only a safety net should the worker fall behind or die: at 10,000 pages (~40 MiB of WAL)
 * instead of the default 1,000.
 */
const SAFETY_NET_CHECKPOINT_PAGES = 10_000;

export interface SqliteOptions {
  /**
   * Create DATA_DIR and the database when missing (default). `false` refuses a missing database
   * with StoreMissingError and creates nothing: only `start` and `migrate` make a new store, so a
   * command run without the server's DATA_DIR cannot quietly work on an empty one.
   */
  readonly create?: boolean;
  /**
   * Checkpoint the WAL in a worker thread instead of inside commits (the server does; a short CLI
   * command does not need to). See sqlite-checkpointer.ts.
   */
  readonly checkpointInBackground?: boolean;
  /** Told when a background checkpoint fails (it is retried at the next interval). */
  readonly onCheckpointError?: (message: string) => void;
}

/** The database file of a data directory, as an absolute path (what messages name). */
export function sqlitePath(dataDir: string): string {
  return resolve(dataDir, SQLITE_FILE);
}

/** Opens (creating if needed, unless told not to) `<dataDir>/gatehouse.db`, or `:memory:` for throwaway stores. */
export async function openSqlite(options: ({ readonly dataDir: string } | { readonly path: ':memory:' }) & SqliteOptions): Promise<Storage> {
  let path: string;
  if ('path' in options) {
    path = options.path;
  } else {
    path = sqlitePath(options.dataDir);
    if (options.create === false) {
      if (!existsSync(path)) throw new StoreMissingError(path);
    } else {
      makeDataDir(options.dataDir);
      ownerOnly(path);
    }
  }
  let database: DatabaseSync;
  try {
    database = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: BUSY_TIMEOUT_MS });
    // WAL lets readers proceed while one writer commits. Every commit is durable (an issued token
    // or a consumed code survives a power cut): in a file, the driver syncs the WAL after each
    // group of commits off the event loop, so COMMIT itself need not (NORMAL); see WalSync in
    // sqlite-dialect.ts. An in-memory store has nothing to sync.
    database.exec('PRAGMA journal_mode = WAL');
    database.exec(`PRAGMA synchronous = ${path === ':memory:' ? 'FULL' : 'NORMAL'}`);
    // Reads through a memory map and a 64 MiB page cache: hot pages (tokens, clients) are read
    // without a system call each. The map is only address space; the OS pages it in on demand.
    database.exec('PRAGMA mmap_size = 268435456');
    database.exec('PRAGMA cache_size = -65536');
    database.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (error) {
    throw new StorageError(describeOpenError(path, error));
  }
  const db = new Kysely<Database>({ dialect: new NodeSqliteDialect(database, path === ':memory:' ? {} : { walPath: `${path}-wal` }) });
  let checkpointer: Worker | undefined;
  if (options.checkpointInBackground === true && path !== ':memory:') {
    database.exec(`PRAGMA wal_autocheckpoint = ${SAFETY_NET_CHECKPOINT_PAGES}`);
    checkpointer = startCheckpointer(path, {
      onError: options.onCheckpointError,
      // Without the worker, SQLite's own checkpoint takes over at its usual threshold.
      onExit: () => database.isOpen && database.exec('PRAGMA wal_autocheckpoint = 1000'),
    });
  }
  return {
    db,
    dialect: 'sqlite',
    location: path,
    schema: undefined,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await stopCheckpointer(checkpointer);
      await db.destroy();
    },
  };
}

/** A command that may not create a store found none: it names the file and what to do. */
export class StoreMissingError extends StorageError {
  constructor(path: string) {
    super(
      `there is no Gatehouse database at ${path}: set DATA_DIR to the server's data directory (or DATABASE_URL to its PostgreSQL), ` +
        `or run 'gatehouse migrate' to create a new store there`,
    );
  }
}

/** DATA_DIR, and any missing parent, made 0700; a directory that exists keeps the mode its owner gave it. */
export function makeDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StorageError(`cannot create DATA_DIR ${dataDir}: ${(error as Error).message}`);
  }
}

/**
 * The database holds every hashed credential, sealed key and personal record: readable by its
 * owner only, whatever the umask or the mode of a DATA_DIR the operator made. SQLite creates the
 * -wal and -shm files with the mode of the database file, so creating it 0600 (exclusively: a
 * concurrent creator's file is kept) covers them; files left wider by an older version are
 * narrowed, as the root key file is (keys/root-key.ts).
 */
export function ownerOnly(path: string): void {
  try {
    closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR, 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StorageError(`cannot create ${path}: ${(error as Error).message}; check that DATA_DIR is writable by this user`);
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch (error) {
      // Absent (-wal, -shm) or not ours to change: SQLite's own open says what is wrong if it matters.
      if (!['ENOENT', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw new StorageError(`cannot restrict ${file} to its owner: ${(error as Error).message}`);
    }
  }
}

function startCheckpointer(path: string, on: { readonly onError?: (message: string) => void; readonly onExit: () => void }): Worker {
  const worker = new Worker(new URL('./sqlite-checkpointer.ts', import.meta.url), { workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS } satisfies CheckpointerData });
  worker.on('message', (message: CheckpointerMessage) => on.onError?.(message.message));
  worker.on('error', (error) => on.onError?.(`the checkpointer stopped: ${error.message}; SQLite's own checkpoints take over`));
  worker.on('exit', on.onExit);
  // A worker keeps the process alive; the store's close() stops it, and nothing else should wait for it.
  worker.unref();
  return worker;
}

async function stopCheckpointer(worker: Worker | undefined): Promise<void> {
  if (worker === undefined) return;
  // Held by the process while it stops (it was unref'd): a close() awaited at shutdown must not
  // find an empty event loop and let the process end before it returns.
  worker.ref();
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage('stop');
  await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
  clearTimeout(timer);
  await worker.terminate();
}

function describeOpenError(path: string, error: unknown): string {
  const { errcode, message } = error as { errcode?: number; message?: string };
  // SQLite primary result codes: 5 BUSY, 6 LOCKED, 11 CORRUPT, 14 CANTOPEN, 26 NOTADB.
  switch (errcode === undefined ? undefined : errcode & 0xff) {
    case 5:
    case 6:
      return `${path} is locked by another process and stayed locked for ${BUSY_TIMEOUT_MS} ms; stop the process holding it (another Gatehouse on the same DATA_DIR?) and retry`;
    case 11:
    case 26:
      return `${path} is not a valid Gatehouse database (corrupt or another kind of file); restore it from a backup, or point DATA_DIR at another directory`;
    case 14:
      return `cannot open ${path}; check that DATA_DIR exists and is writable by this user`;
    default:
      return `cannot open ${path}: ${message ?? String(error)}`;
  }
}
