import { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database, Executor } from './database.ts';
import { PrecompiledQuery } from './precompiled.ts';
import { NodeSqliteDialect } from './sqlite-dialect.ts';

interface Item {
  readonly id: string;
  readonly name: string;
  readonly size: number | null;
}

function open(): Executor {
  const database = new DatabaseSync(':memory:');
  database.exec('CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT NOT NULL, size INTEGER)');
  return new Kysely<Database>({ dialect: new NodeSqliteDialect(database) });
}

// The queries are written against an ad-hoc table, outside the application's schema type.
const loose = (db: Executor): Kysely<any> => db as unknown as Kysely<any>;

const insertItem = new PrecompiledQuery<Item, never>({ id: true, name: true, size: true }, (db, row) => loose(db).insertInto('items').values(row));
const findItem = new PrecompiledQuery<{ id: string; name: string }, Item>({ id: true, name: true }, (db, p) =>
  loose(db).selectFrom('items').selectAll().where('id', '=', p.id).where('name', '=', p.name),
);

describe('PrecompiledQuery', () => {
  const opened: Executor[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.destroy();
  });
  const fresh = (): Executor => {
    const db = open();
    opened.push(db);
    return db;
  };

  it('binds each call its own values, nulls included, in the database and in its transactions', async () => {
    const db = fresh();
    await insertItem.execute(db, { id: 'a', name: 'first', size: 1 });
    await db.transaction().execute(async (trx) => {
      await insertItem.execute(trx, { id: 'b', name: 'second', size: null });
      expect(await findItem.first(trx, { id: 'b', name: 'second' })).toEqual({ id: 'b', name: 'second', size: null });
    });
    expect(await findItem.first(db, { id: 'a', name: 'first' })).toEqual({ id: 'a', name: 'first', size: 1 });
    expect(await findItem.first(db, { id: 'a', name: 'second' })).toBeUndefined();
  });

  it('compiles per store: another store gets its own statement', async () => {
    const one = fresh();
    const two = fresh();
    await insertItem.execute(one, { id: 'a', name: 'in one', size: 1 });
    await insertItem.execute(two, { id: 'a', name: 'in two', size: 2 });
    expect(await findItem.first(two, { id: 'a', name: 'in two' })).toMatchObject({ size: 2 });
  });

  it('refuses a query whose shape holds a value of its own, or that leaves a parameter out', async () => {
    const db = fresh();
    const withLiteral = new PrecompiledQuery<{ id: string }, Item>({ id: true }, (d, p) => loose(d).selectFrom('items').selectAll().where('id', '=', p.id).where('name', '=', 'fixed'));
    await expect(withLiteral.first(db, { id: 'a' })).rejects.toThrow(/not a placeholder/);
    const unused = new PrecompiledQuery<{ id: string; name: string }, Item>({ id: true, name: true }, (d, p) => loose(d).selectFrom('items').selectAll().where('id', '=', p.id));
    await expect(unused.first(db, { id: 'a', name: 'x' })).rejects.toThrow(/must bind 'name' exactly once/);
  });
});
