import { CompiledQuery, type Compilable, type QueryResult, type Transaction } from 'kysely';
import type { Database, Executor } from './database.ts';

/**
 * A query of a hot path, built and compiled by Kysely once per store instead of on every call.
 * Building and compiling a small query costs about as much as running it on SQLite (~10 µs: an
 * immutable operation tree, then a visitor), and the hot endpoints run one or two queries each.
 *
 * `parameters` names every field of P (`{ id: true, … }`: the compiler refuses a missing one, so a
 * column added to a table type cannot be silently left out of an insert). `build` receives a
 * parameters object whose values are placeholders; every placeholder must
 * become exactly one bound parameter of the compiled query (checked when it is compiled), so the
 * query's shape cannot depend on the values: no `in` lists, no branches on a value. Each call
 * then binds the real values in their places and runs the same SQL text, which the PostgreSQL
 * driver also prepares once per connection (preparedStatementName). Selects and RETURNING name
 * their columns instead of `*`: a prepared `SELECT *` fails ("cached plan must not change result
 * type") once a migration adds a column while the server runs.
 */
export class PrecompiledQuery<P extends object, R> {
  readonly #build: (db: Executor, params: P) => Compilable<R>;
  readonly #names: readonly (keyof P & string)[];
  readonly #placeholders: P;
  /** Per store: a Kysely instance and its transactions share one adapter object. */
  readonly #compiled = new WeakMap<object, { readonly sql: string; readonly positions: readonly (keyof P & string)[] }>();

  constructor(parameters: { readonly [K in keyof P]-?: true }, build: (db: Executor, params: P) => Compilable<R>) {
    const names = Object.keys(parameters) as (keyof P & string)[];
    this.#names = names;
    this.#build = build;
    this.#placeholders = Object.fromEntries(names.map((name) => [name, placeholder(name)])) as P;
  }

  async execute(db: Executor, params: P): Promise<QueryResult<R>> {
    return db.getExecutor().executeQuery<R>(this.bind(db, params));
  }

  /** This query with its values, for executeTogether. */
  bind(db: Executor, params: P): CompiledQuery<R> {
    let compiled = this.#compiled.get(db.getExecutor().adapter);
    if (compiled === undefined) {
      compiled = this.#compile(db);
      this.#compiled.set(db.getExecutor().adapter, compiled);
    }
    return CompiledQuery.raw(compiled.sql, compiled.positions.map((name) => params[name]));
  }

  /** The first row, or undefined. */
  async first(db: Executor, params: P): Promise<R | undefined> {
    return (await this.execute(db, params)).rows[0];
  }

  #compile(db: Executor): { sql: string; positions: (keyof P & string)[] } {
    const { sql, parameters } = this.#build(db, this.#placeholders).compile();
    const byPlaceholder = new Map(this.#names.map((name) => [placeholder(name), name]));
    const positions = parameters.map((value) => {
      const name = typeof value === 'string' ? byPlaceholder.get(value) : undefined;
      if (name === undefined) throw new Error(`precompiled query has a parameter that is not a placeholder: ${sql}`);
      return name;
    });
    for (const name of this.#names) {
      if (positions.filter((p) => p === name).length !== 1) throw new Error(`precompiled query must bind '${name}' exactly once: ${sql}`);
    }
    if (!statementNames.has(sql)) statementNames.set(sql, `gatehouse_${statementNames.size + 1}`);
    return { sql, positions };
  }
}

/**
 * Runs statements that do not depend on one another's results, in order, in the caller's
 * transaction. On PostgreSQL they are pipelined (db/postgres.ts): sent together and answered in
 * one round trip instead of one each. Inside a transaction they are atomic with it; if one fails,
 * PostgreSQL aborts the transaction, so those after it fail too and nothing of them is kept.
 */
export async function executeTogether(trx: Transaction<Database>, queries: readonly CompiledQuery[]): Promise<void> {
  await trx.getExecutor().provideConnection((connection) => Promise.all(queries.map((query) => connection.executeQuery(query))));
}

/** The column names of a `{ column: true, … }` object, for a select or RETURNING list. */
export function columnsOf<T>(columns: { readonly [K in keyof T]-?: true }): (keyof T & string)[] {
  return Object.keys(columns) as (keyof T & string)[];
}

/** Names of the statements precompiled so far, by SQL text: at most one per query per dialect. */
const statementNames = new Map<string, string>();

/**
 * The name under which a precompiled statement is prepared on a PostgreSQL connection (parsed and
 * planned once per connection instead of per call), or undefined for any other SQL: Kysely's ad
 * hoc queries (`in` lists of any length, admin searches) would pile up prepared statements.
 */
export function preparedStatementName(sql: string): string | undefined {
  return statementNames.get(sql);
}

function placeholder(name: string): string {
  return `\u0000precompiled:${name}`;
}

