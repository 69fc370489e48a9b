import { closeSync, fdatasync, openSync } from 'node:fs';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * A Kysely dialect over Node's built-in `node:sqlite` (no native addon to compile).
 *
 * Kysely's own SqliteDialect expects better-sqlite3's API and shares one connection between
 * concurrent callers without a lock, so an `await` inside one transaction would let another
 * request's statements run inside it. This driver hands the single connection out under a mutex:
 * a transaction owns it until commit or rollback, and single statements queue behind it.
 *
 * Writes are durable (the caller's promise resolves only once its COMMIT is on stable storage)
 * and committed in groups: see GroupCommit below.
 */
export class NodeSqliteDialect implements Dialect {
  readonly #database: DatabaseSync;
  readonly #walPath: string | undefined;

  /**
   * With `walPath`, the database must be in WAL mode with `synchronous = NORMAL` (COMMIT writes
   * the WAL but does not sync it): the driver then makes each group durable itself, with an
   * fdatasync of the WAL file on libuv's thread pool, so the event loop never waits for the disk
   * (see WalSync). Without it, COMMIT is as durable as the connection's own settings make it.
   */
  constructor(database: DatabaseSync, options: { readonly walPath?: string } = {}) {
    this.#database = database;
    this.#walPath = options.walPath;
  }

  createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  createDriver(): Driver {
    return new NodeSqliteDriver(this.#database, this.#walPath === undefined ? undefined : new WalSync(this.#walPath));
  }

  createQueryCompiler(): SqliteQueryCompiler {
    return new SqliteQueryCompiler();
  }

  createIntrospector(db: Kysely<any>): SqliteIntrospector {
    return new SqliteIntrospector(db);
  }
}

/**
 * SQLite runs DDL inside transactions; Kysely's adapter says it does not. Saying so makes the
 * migrator run each migration run in one transaction, which also serializes two processes
 * (server and CLI) migrating the same file at once.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Prepared statements kept per SQL text; Kysely produces a small, fixed set of them. */
const STATEMENT_CACHE_LIMIT = 500;

const READ_ONLY_STATEMENT = /^\s*select\b/i;

/**
 * Group commit. `node:sqlite` is synchronous: one COMMIT per request would run one statement and
 * one disk flush per token issued on the event loop. Instead, the first write opens a real
 * transaction (BEGIN IMMEDIATE); each logical transaction inside it is a SAVEPOINT (released on
 * commit, rolled back to on rollback, so one request's failure never touches another's work); a
 * single COMMIT, scheduled with setImmediate, ends the whole group. Every writer's promise
 * resolves only once that COMMIT is durable (synced by SQLite itself, or by WalSync off the event
 * loop while the next group already runs), so an answer is never sent for a write that could
 * still be lost.
 *
 * Reads on this connection see a group's writes before they are durable; those writes belong to
 * requests that have not been answered yet, so nobody can present what they created.
 *
 * Reads outside any group share one read transaction per turn of the event loop, ended by the
 * same scheduled flush (or by the next group's BEGIN): in WAL mode every transaction, even a
 * single SELECT's, takes and drops a read lock on the shared-memory index, system calls that cost
 * more than the indexed read itself (measured: 12 µs per SELECT on its own, 4.5 µs in a
 * transaction). A turn's reads see one snapshot, as one request's reads would anyway.
 */
class GroupCommit {
  readonly #database: DatabaseSync;
  readonly #mutex: Mutex;
  readonly #walSync: WalSync | undefined;
  #open = false;
  #reading = false;
  #flushScheduled = false;
  #waiters: Waiter[] = [];

  constructor(database: DatabaseSync, mutex: Mutex, walSync: WalSync | undefined) {
    this.#database = database;
    this.#mutex = mutex;
    this.#walSync = walSync;
  }

  /** Makes sure a group transaction is open. Call holding the connection. */
  join(): void {
    if (this.#open) return;
    this.#endReading();
    // BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
    // writes fails at once with SQLITE_BUSY when another process (the CLI) committed in between.
    this.#database.exec('BEGIN IMMEDIATE');
    this.#open = true;
  }

  /** Makes sure a read (or a group) transaction is open for a read. Call holding the connection. */
  read(): void {
    if (this.#open || this.#reading) return;
    this.#database.exec('BEGIN');
    this.#reading = true;
    this.#schedule();
  }

  #endReading(): void {
    if (!this.#reading) return;
    this.#reading = false;
    // A read transaction wrote nothing: its COMMIT only drops the read lock.
    if (this.#database.isOpen && this.#database.isTransaction) this.#database.exec('COMMIT');
  }

  /** A promise for the COMMIT of the current group. Call holding the connection, before releasing it. */
  durable(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#schedule();
    return done;
  }

  /** Never leave a group open without a COMMIT on its way: it holds SQLite's write lock. */
  settleLater(): void {
    if (this.#open) this.#schedule();
  }

  #schedule(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    await this.#mutex.lock();
    let settled: Promise<void>;
    try {
      settled = this.#commit();
    } finally {
      this.#flushScheduled = false;
      this.#mutex.unlock();
    }
    // The next group may start while the disk syncs this one: the connection is free again.
    await settled;
  }

  /**
   * Commits the open group (and ends a read transaction). Call holding the connection. Returns a
   * promise that settles once every writer waiting for this group has heard: resolved when its
   * writes are durable, rejected when they are lost or their durability is unknown.
   */
  #commit(): Promise<void> {
    const waiters = this.#waiters;
    this.#waiters = [];
    try {
      this.#endReading();
      if (this.#open && !this.#database.isOpen) throw new Error('the database was closed before its writes were committed');
      if (this.#open) {
        // SQLite may have rolled the whole transaction back on its own (some I/O errors do):
        // then the group's work is lost and every writer must hear so.
        if (!this.#database.isTransaction) throw new Error('the SQLite transaction was rolled back by SQLite; the writes of this group are lost');
        this.#database.exec('COMMIT');
      }
    } catch (error) {
      try {
        if (this.#database.isOpen && this.#database.isTransaction) this.#database.exec('ROLLBACK');
      } catch {
        // Nothing more can be done; the writers are told below.
      }
      for (const waiter of waiters) waiter.reject(error);
      return Promise.resolve();
    } finally {
      this.#open = false;
      this.#reading = false;
    }
    if (waiters.length === 0) return Promise.resolve();
    if (this.#walSync === undefined) {
      for (const waiter of waiters) waiter.resolve();
      return Promise.resolve();
    }
    return this.#walSync.afterWrites().then(
      () => waiters.forEach((w) => w.resolve()),
      (error: unknown) => waiters.forEach((w) => w.reject(error)),
    );
  }

  /**
   * Before the database closes: commits an open group and waits until every writer has heard
   * (its sync done), then closes the WAL. Call holding the connection.
   */
  async drain(): Promise<void> {
    await this.#commit();
    await this.#walSync?.close();
  }
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Durability without blocking: with `synchronous = NORMAL` in WAL mode, COMMIT appends the group's
 * frames to the WAL with write() and returns; an fdatasync of the WAL file then makes them (and
 * every frame before them) survive a power cut, exactly what `synchronous = FULL` would have done
 * inside COMMIT, but on libuv's thread pool. One sync runs at a time; the groups that commit while
 * it runs share the next one. (SQLite still syncs the WAL before each checkpoint and the database
 * after it, and the WAL header when the WAL is reused.) The file is opened once, read-write so
 * that the sync is allowed everywhere, and never written through this descriptor.
 */
class WalSync {
  readonly #path: string;
  #fd: number | undefined;
  #running = false;
  #next: Waiter[] = [];
  /** Resolved when no sync runs or waits: close() waits for that. */
  readonly #idle: Array<() => void> = [];

  constructor(path: string) {
    this.#path = path;
  }

  /** Resolves once everything written to the WAL before this call is on stable storage. */
  afterWrites(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.#next.push({ resolve, reject }));
    if (!this.#running) this.#start();
    return done;
  }

  /** Closes the file once no sync runs (a sync's writers are told its outcome first). */
  async close(): Promise<void> {
    while (this.#running || this.#next.length > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #start(): void {
    const batch = this.#next;
    this.#next = [];
    let fd: number;
    try {
      fd = this.#fd ??= openSync(this.#path, 'r+');
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
      return;
    }
    this.#running = true;
    fdatasync(fd, (error) => {
      this.#running = false;
      for (const waiter of batch) {
        if (error === null) waiter.resolve();
        else waiter.reject(error);
      }
      if (this.#next.length > 0) this.#start();
      else for (const resolve of this.#idle.splice(0)) resolve();
    });
  }
}

class NodeSqliteDriver implements Driver {
  readonly #mutex = new Mutex();
  readonly #group: GroupCommit;
  readonly #connection: NodeSqliteConnection;
  /** Whether the current holder of the connection wrote, and so must wait for the group's COMMIT. */
  #wrote = false;
  #inTransaction = false;

  constructor(database: DatabaseSync, walSync: WalSync | undefined) {
    this.#group = new GroupCommit(database, this.#mutex, walSync);
    this.#connection = new NodeSqliteConnection(database, (kind) => {
      if (kind === 'control' || this.#inTransaction) return;
      if (kind === 'read') {
        this.#group.read();
        return;
      }
      // A write outside any transaction is a transaction of its own, committed with the group.
      this.#group.join();
      this.#wrote = true;
    });
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    this.#wrote = false;
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel !== undefined && settings.isolationLevel !== 'serializable') {
      throw new Error('SQLite transactions are always serializable');
    }
    this.#group.join();
    await connection.executeQuery(CompiledQuery.raw('SAVEPOINT gatehouse_tx'));
    this.#inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('RELEASE gatehouse_tx'));
    this.#inTransaction = false;
    this.#wrote = true;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#inTransaction = false;
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK TO gatehouse_tx'));
    await connection.executeQuery(CompiledQuery.raw('RELEASE gatehouse_tx'));
  }

  async releaseConnection(): Promise<void> {
    const durable = this.#wrote ? this.#group.durable() : undefined;
    this.#group.settleLater();
    this.#wrote = false;
    this.#inTransaction = false;
    this.#mutex.unlock();
    await durable;
  }

  async destroy(): Promise<void> {
    await this.#mutex.lock();
    try {
      // Writers wait for their group's durability, so after a graceful stop none is pending; any
      // group still open is committed and its writers told, never dropped.
      await this.#group.drain();
    } finally {
      this.#connection.close();
      this.#mutex.unlock();
    }
  }
}

type StatementKind = 'read' | 'write' | 'control';

interface PreparedEntry {
  readonly statement: StatementSync;
  readonly returnsRows: boolean;
  readonly kind: StatementKind;
}

class NodeSqliteConnection implements DatabaseConnection {
  readonly #database: DatabaseSync;
  readonly #statements = new Map<string, PreparedEntry>();
  readonly #beforeStatement: (kind: StatementKind) => void;

  constructor(database: DatabaseSync, beforeStatement: (kind: StatementKind) => void) {
    this.#database = database;
    this.#beforeStatement = beforeStatement;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { statement, returnsRows, kind } = this.#prepare(compiledQuery.sql);
    this.#beforeStatement(kind);
    const parameters = compiledQuery.parameters as SQLInputValue[];
    if (returnsRows) {
      return { rows: statement.all(...parameters) as R[] };
    }
    const { changes, lastInsertRowid } = statement.run(...parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported by the node:sqlite driver');
  }

  close(): void {
    this.#statements.clear();
    if (this.#database.isOpen) this.#database.close();
  }

  #prepare(sql: string): PreparedEntry {
    let entry = this.#statements.get(sql);
    if (entry === undefined) {
      const statement = this.#database.prepare(sql);
      // A statement returns rows when it has result columns (SELECT, or anything with RETURNING).
      const isControl = /^\s*(savepoint|release|rollback|begin|commit)\b/i.test(sql);
      entry = { statement, returnsRows: statement.columns().length > 0, kind: isControl ? 'control' : READ_ONLY_STATEMENT.test(sql) ? 'read' : 'write' };
      if (this.#statements.size >= STATEMENT_CACHE_LIMIT) this.#statements.clear();
      this.#statements.set(sql, entry);
    }
    return entry;
  }
}

/** A FIFO lock. `lock()` resolves at once when free, so uncontended statements wait for nothing. */
class Mutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];

  lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  unlock(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#locked = false;
    else next();
  }
}
