import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeSqliteDialect } from './sqlite-dialect.ts';

interface Schema {
  items: { id: number; name: string };
}

type Durability = 'synced by SQLite' | 'synced by the driver';

/**
 * A store in WAL mode, made durable by SQLite's own sync in COMMIT (synchronous = FULL), or as
 * openSqlite does it: synchronous = NORMAL and the driver's fdatasync of the WAL (`walPath`).
 */
function open(durability: Durability, options: { readonly walPath?: string } = {}): { db: Kysely<Schema>; path: string; commits: () => number } {
  const path = join(mkdtempSync(join(tmpdir(), 'gatehouse-dialect-')), 'test.db');
  const database = new DatabaseSync(path, { timeout: 2000 });
  database.exec('PRAGMA journal_mode = WAL');
  database.exec(`PRAGMA synchronous = ${durability === 'synced by SQLite' ? 'FULL' : 'NORMAL'}`);
  database.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)');
  let commits = 0;
  const exec = database.exec.bind(database);
  database.exec = (statement: string) => {
    if (/^\s*commit\b/i.test(statement)) commits++;
    return exec(statement);
  };
  const walPath = durability === 'synced by SQLite' ? undefined : (options.walPath ?? `${path}-wal`);
  return { db: new Kysely<Schema>({ dialect: new NodeSqliteDialect(database, { walPath }) }), path, commits: () => commits };
}

/** What another process would see: a separate connection to the same file. */
function countFromOutside(path: string): number {
  const outside = new DatabaseSync(path, { readOnly: true });
  try {
    return Number((outside.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n);
  } finally {
    outside.close();
  }
}

describe.each<Durability>(['synced by SQLite', 'synced by the driver'])('node:sqlite dialect with group commit, %s', (durability) => {
  const opened: Array<Kysely<Schema>> = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.destroy().catch(() => {});
  });
  const fresh = (options: { readonly walPath?: string } = {}) => {
    const store = open(durability, options);
    opened.push(store.db);
    return store;
  };

  if (durability === 'synced by the driver') {
    it('answers a writer only after the WAL sync, and tells it when the sync fails', async () => {
      // A WAL path that cannot be opened makes every sync fail: the writes are committed, but
      // their durability is unknown, so no writer may hear success.
      const { db } = fresh({ walPath: join(tmpdir(), 'no-such-directory-gatehouse', 'test.db-wal') });
      const results = await Promise.allSettled([
        db.insertInto('items').values({ id: 1, name: 'a' }).execute(),
        db.transaction().execute(async (trx) => {
          await trx.insertInto('items').values({ id: 2, name: 'b' }).execute();
        }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/ENOENT/);
      // Reads do not wait for syncs.
      expect((await db.selectFrom('items').select('id').execute()).length).toBe(2);
    });
  }

  it('resolves a write only once it is committed: another connection sees it', async () => {
    const { db, path } = fresh();
    await db.insertInto('items').values({ id: 1, name: 'a' }).execute();
    expect(countFromOutside(path)).toBe(1);
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ id: 2, name: 'b' }).execute();
    });
    expect(countFromOutside(path)).toBe(2);
  });

  it('commits many concurrent writers with fewer COMMITs than writers', async () => {
    const { db, path, commits } = fresh();
    await Promise.all(Array.from({ length: 50 }, (_, i) => db.insertInto('items').values({ id: i + 1, name: `n${i}` }).execute()));
    expect(countFromOutside(path)).toBe(50);
    expect(commits()).toBeLessThan(10);
  });

  it('rolls back a failed transaction alone, keeping the others of its group', async () => {
    const { db, path } = fresh();
    const results = await Promise.allSettled([
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ id: 1, name: 'kept' }).execute();
      }),
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ id: 2, name: 'dropped' }).execute();
        throw new Error('use case failed');
      }),
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ id: 3, name: 'kept too' }).execute();
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(countFromOutside(path)).toBe(2);
    expect(await db.selectFrom('items').select('name').orderBy('id').execute()).toEqual([{ name: 'kept' }, { name: 'kept too' }]);
  });

  it('reports a failed statement to its own caller only', async () => {
    const { db } = fresh();
    await db.insertInto('items').values({ id: 1, name: 'unique' }).execute();
    const results = await Promise.allSettled([
      db.insertInto('items').values({ id: 2, name: 'unique' }).execute(),
      db.insertInto('items').values({ id: 3, name: 'other' }).execute(),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
  });

  it('never interleaves two transactions that await in the middle', async () => {
    const { db } = fresh();
    const order: string[] = [];
    await Promise.all(
      ['x', 'y'].map((name, i) =>
        db.transaction().execute(async (trx) => {
          order.push(`${name}:begin`);
          await trx.insertInto('items').values({ id: i + 1, name }).execute();
          await new Promise((resolve) => setTimeout(resolve, 5));
          order.push(`${name}:end`);
        }),
      ),
    );
    expect(order).toEqual(['x:begin', 'x:end', 'y:begin', 'y:end']);
  });

  it('runs the reads of one turn in one read transaction, ended before the next group writes', async () => {
    const { db, path } = fresh();
    await db.insertInto('items').values({ id: 1, name: 'a' }).execute();
    const count = async (): Promise<number> => (await db.selectFrom('items').select('id').execute()).length;
    expect(await count()).toBe(1);
    // Another process writes between two reads of the same turn: the second read still sees the
    // snapshot of the first, because both run in one read transaction…
    const other = new DatabaseSync(path, { timeout: 100 });
    other.exec("INSERT INTO items (id, name) VALUES (3, 'from another process')");
    other.close();
    expect(await count()).toBe(1);
    // …which ends with the turn: the next turn sees the write.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await count()).toBe(2);
    // A write right after reads in the same turn: the read transaction gives way to BEGIN IMMEDIATE.
    const [, inserted] = await Promise.all([db.selectFrom('items').selectAll().execute(), db.insertInto('items').values({ id: 2, name: 'b' }).execute()]);
    expect(inserted).toBeDefined();
    expect(countFromOutside(path)).toBe(3);
  });

  it('closes after the writes in flight are durable, and no writer hears success for a write that is not there', async () => {
    const { db, path } = fresh();
    const committed = Array.from({ length: 20 }, (_, i) => db.insertInto('items').values({ id: i + 1, name: `n${i}` }).execute());
    // One turn: the group has committed (and, synced by the driver, its WAL sync is in flight).
    await new Promise((resolve) => setImmediate(resolve));
    const late = Array.from({ length: 5 }, (_, i) => db.insertInto('items').values({ id: 100 + i, name: `late${i}` }).execute());
    await db.destroy();
    expect((await Promise.allSettled(committed)).map((r) => r.status)).toEqual(Array(20).fill('fulfilled'));
    // Writes that had not run when the store closed are refused, never acknowledged and lost.
    const lateSettled = await Promise.allSettled(late);
    expect(countFromOutside(path)).toBe(20 + lateSettled.filter((r) => r.status === 'fulfilled').length);
  });

  it('leaves no transaction open when idle, so other processes can write', async () => {
    const { db, path } = fresh();
    await db.insertInto('items').values({ id: 1, name: 'a' }).execute();
    await sql`select 1`.execute(db);
    const other = new DatabaseSync(path, { timeout: 100 });
    other.exec("INSERT INTO items (id, name) VALUES (2, 'from another process')");
    other.close();
    expect((await db.selectFrom('items').selectAll().execute()).length).toBe(2);
  });
});
