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
 * Writes are durable (the caller's promise resolves only after an fsynced COMMIT) and committed
 * in groups: see GroupCommit below.
 */
export class NodeSqliteDialect implements Dialect {
  readonly #database: DatabaseSync;

  constructor(database: DatabaseSync) {
    this.#database = database;
  }

  createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  createDriver(): Driver {
    return new NodeSqliteDriver(this.#database);
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
 * Group commit. With `synchronous = FULL` every COMMIT waits for an fsync, and `node:sqlite` is
 * synchronous, so one COMMIT per request would stall the whole event loop for one fsync per
 * token issued. Instead, the first write opens a real transaction (BEGIN IMMEDIATE); each logical
 * transaction inside it is a SAVEPOINT (released on commit, rolled back to on rollback, so one
 * request's failure never touches another's work); a single COMMIT, scheduled with setImmediate,
 * makes the whole group durable with one fsync. Every writer's promise resolves only after that
 * COMMIT, so an answer is never sent for a write that could still be lost.
 *
 * Reads on this connection see the group's writes before its COMMIT; those writes belong to
 * requests that have not been answered yet, so nobody can present what they created.
 */
class GroupCommit {
  readonly #database: DatabaseSync;
  readonly #mutex: Mutex;
  #open = false;
  #flushScheduled = false;
  #waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(database: DatabaseSync, mutex: Mutex) {
    this.#database = database;
    this.#mutex = mutex;
  }

  /** Makes sure a group transaction is open. Call holding the connection. */
  join(): void {
    if (this.#open) return;
    // BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
    // writes fails at once with SQLITE_BUSY when another process (the CLI) committed in between.
    this.#database.exec('BEGIN IMMEDIATE');
    this.#open = true;
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

  /** Commits an open group at once (closing the database). Call holding the connection. */
  commitNow(): void {
    if (this.#open && this.#database.isOpen && this.#database.isTransaction) this.#database.exec('COMMIT');
    this.#open = false;
  }

  #schedule(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    await this.#mutex.lock();
    const waiters = this.#waiters;
    this.#waiters = [];
    try {
      if (this.#open && !this.#database.isOpen) throw new Error('the database was closed before its writes were committed');
      if (this.#open) {
        // SQLite may have rolled the whole transaction back on its own (some I/O errors do):
        // then the group's work is lost and every writer must hear so.
        if (!this.#database.isTransaction) throw new Error('the SQLite transaction was rolled back by SQLite; the writes of this group are lost');
        this.#database.exec('COMMIT');
      }
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      try {
        if (this.#database.isOpen && this.#database.isTransaction) this.#database.exec('ROLLBACK');
      } catch {
        // Nothing more can be done; the writers are told below.
      }
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      this.#open = false;
      this.#flushScheduled = false;
      this.#mutex.unlock();
    }
  }
}

class NodeSqliteDriver implements Driver {
  readonly #mutex = new Mutex();
  readonly #group: GroupCommit;
  readonly #connection: NodeSqliteConnection;
  /** Whether the current holder of the connection wrote, and so must wait for the group's COMMIT. */
  #wrote = false;
  #inTransaction = false;

  constructor(database: DatabaseSync) {
    this.#group = new GroupCommit(database, this.#mutex);
    this.#connection = new NodeSqliteConnection(database, (isWrite) => {
      if (!isWrite || this.#inTransaction) return;
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
      // Writers wait for their group's COMMIT, so after a graceful stop there is none pending;
      // a group still open here holds nothing anyone waits for, but it is committed, not dropped.
      this.#group.commitNow();
    } finally {
      this.#connection.close();
      this.#mutex.unlock();
    }
  }
}

class NodeSqliteConnection implements DatabaseConnection {
  readonly #database: DatabaseSync;
  readonly #statements = new Map<string, { statement: StatementSync; returnsRows: boolean; isWrite: boolean }>();
  readonly #beforeStatement: (isWrite: boolean) => void;

  constructor(database: DatabaseSync, beforeStatement: (isWrite: boolean) => void) {
    this.#database = database;
    this.#beforeStatement = beforeStatement;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { statement, returnsRows, isWrite } = this.#prepare(compiledQuery.sql);
    this.#beforeStatement(isWrite);
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

  #prepare(sql: string): { statement: StatementSync; returnsRows: boolean; isWrite: boolean } {
    let entry = this.#statements.get(sql);
    if (entry === undefined) {
      const statement = this.#database.prepare(sql);
      // A statement returns rows when it has result columns (SELECT, or anything with RETURNING).
      const isControl = /^\s*(savepoint|release|rollback|begin|commit)\b/i.test(sql);
      entry = { statement, returnsRows: statement.columns().length > 0, isWrite: !isControl && !READ_ONLY_STATEMENT.test(sql) };
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
