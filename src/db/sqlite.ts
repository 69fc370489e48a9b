import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, sql } from 'kysely';
import type { Database, Storage } from './database.ts';
import { NodeSqliteDialect } from './sqlite-dialect.ts';
import { StorageError } from './storage-error.ts';

export const SQLITE_FILE = 'gatehouse.db';

/** How long a statement waits for another process (the CLI, a second server) to release the file. */
const BUSY_TIMEOUT_MS = 5000;

/** Opens (creating if needed) `<dataDir>/gatehouse.db`, or `:memory:` for throwaway stores. */
export async function openSqlite(options: { readonly dataDir: string } | { readonly path: ':memory:' }): Promise<Storage> {
  let path: string;
  if ('path' in options) {
    path = options.path;
  } else {
    try {
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new StorageError(`cannot create DATA_DIR ${options.dataDir}: ${(error as Error).message}`);
    }
    path = join(options.dataDir, SQLITE_FILE);
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
  return {
    db,
    dialect: 'sqlite',
    location: path,
    schema: undefined,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
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
