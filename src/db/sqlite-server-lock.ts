import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { makeDataDir, ownerOnly } from './sqlite.ts';
import { StorageError } from './storage-error.ts';

/** The file whose lock the serving process holds; a SQLite database that stays empty. */
export const SERVER_LOCK_FILE = 'gatehouse.lock';
/** The pid of the process holding the lock, for the message another start prints. */
export const SERVER_PID_FILE = 'gatehouse.pid';

/** Another server holds the data directory. */
export class DataDirInUseError extends StorageError {}

export interface ServerLock {
  /** Gives the directory up (at shutdown); the OS does it when the process dies. */
  release(): void;
}

/**
 * One server per SQLite data directory: the group commits, the background checkpointer and the
 * per-process caches (clients, orgs, the sign-in throttle) assume they are the store's only
 * server, so a second one is refused until several can share a directory safely (PostgreSQL
 * takes several). The CLI commands take no part: they stay usable beside the server.
 *
 * The lock is SQLite's own (a RESERVED lock, by a transaction on `gatehouse.lock` that is never
 * committed), so it is the operating system's: it goes with the process, however that ends
 * (kill -9 included), and never outlives it, unlike a pid file whose pid a later process may
 * reuse. The pid file only lets the refused start say which process to stop.
 */
export function lockDataDirForServer(dataDir: string): ServerLock {
  makeDataDir(dataDir);
  const path = join(dataDir, SERVER_LOCK_FILE);
  ownerOnly(path);
  let lock: DatabaseSync;
  try {
    // timeout 0: a held lock is an answer, not something to wait for.
    lock = new DatabaseSync(path, { timeout: 0 });
  } catch (error) {
    throw new StorageError(`cannot open ${path}: ${(error as Error).message}; check that DATA_DIR is writable by this user`);
  }
  try {
    lock.exec('BEGIN IMMEDIATE');
  } catch (error) {
    lock.close();
    // SQLITE_BUSY (5): another connection holds the lock.
    if ((((error as { errcode?: number }).errcode ?? 0) & 0xff) === 5) throw new DataDirInUseError(inUseMessage(dataDir, holderPid(dataDir)));
    throw new StorageError(`cannot lock ${path}: ${(error as Error).message}`);
  }
  const pidPath = join(dataDir, SERVER_PID_FILE);
  writeFileSync(pidPath, `${process.pid}\n`, { mode: 0o600 });
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      if (holderPid(dataDir) === process.pid) rmSync(pidPath, { force: true });
      lock.exec('ROLLBACK');
      lock.close();
    },
  };
}

function holderPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, SERVER_PID_FILE), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function inUseMessage(dataDir: string, pid: number | undefined): string {
  return (
    `another Gatehouse server${pid === undefined ? '' : ` (pid ${pid})`} is serving the data directory ${resolve(dataDir)}, ` +
    'and one SQLite data directory takes one server at a time: stop that one first, or give this one another DATA_DIR ' +
    '(or use PostgreSQL, DATABASE_URL, for several servers); gatehouse commands work beside the running server'
  );
}
