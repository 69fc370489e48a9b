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
 * migrator run each migration run in one BEGIN IMMEDIATE transaction, which also serializes two
 * processes (server and CLI) migrating the same file at once.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Prepared statements kept per SQL text; Kysely produces a small, fixed set of them. */
const STATEMENT_CACHE_LIMIT = 500;

class NodeSqliteDriver implements Driver {
  readonly #connection: NodeSqliteConnection;
  readonly #mutex = new Mutex();

  constructor(database: DatabaseSync) {
    this.#connection = new NodeSqliteConnection(database);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel !== undefined && settings.isolationLevel !== 'serializable') {
      throw new Error('SQLite transactions are always serializable');
    }
    // BEGIN IMMEDIATE takes the write lock up front. A deferred transaction that reads and then
    // writes fails with SQLITE_BUSY, without waiting, when another process (the CLI beside the
    // server) committed in between; an immediate one waits out the busy timeout instead.
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock();
  }

  async destroy(): Promise<void> {
    this.#connection.close();
  }
}

class NodeSqliteConnection implements DatabaseConnection {
  readonly #database: DatabaseSync;
  readonly #statements = new Map<string, { statement: StatementSync; returnsRows: boolean }>();

  constructor(database: DatabaseSync) {
    this.#database = database;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { statement, returnsRows } = this.#prepare(compiledQuery.sql);
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

  #prepare(sql: string): { statement: StatementSync; returnsRows: boolean } {
    let entry = this.#statements.get(sql);
    if (entry === undefined) {
      const statement = this.#database.prepare(sql);
      // A statement returns rows when it has result columns (SELECT, or anything with RETURNING).
      entry = { statement, returnsRows: statement.columns().length > 0 };
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
