import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, SQLITE_FILE } from './sqlite.ts';
import type { Storage } from './database.ts';

describe('SQLite background checkpointer', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function open(options: { readonly checkpointInBackground: boolean }): Promise<{ storage: Storage; file: string }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-checkpoint-'));
    const storage = await openSqlite({ dataDir, ...options });
    cleanups.push(async () => {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    return { storage, file: join(dataDir, SQLITE_FILE) };
  }

  /** ~2 MiB of rows: half of SQLite's own automatic checkpoint threshold (1,000 pages). */
  async function write(storage: Storage): Promise<void> {
    await sql`create table filler (id integer primary key, body text not null)`.execute(storage.db);
    await storage.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 2000; i++) await sql`insert into filler (body) values (${'x'.repeat(1000)})`.execute(trx);
    });
  }

  async function databaseFileGrowsBeyond(file: string, bytes: number, withinMs: number): Promise<boolean> {
    const until = Date.now() + withinMs;
    while (Date.now() < until) {
      if (statSync(file).size > bytes) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return statSync(file).size > bytes;
  }

  it('copies committed pages from the WAL into the database file off the event loop', async () => {
    const { storage, file } = await open({ checkpointInBackground: true });
    await write(storage);
    expect(await databaseFileGrowsBeyond(file, 1_000_000, 3000)).toBe(true);
    // The data is all there, read through the server's connection.
    expect((await sql<{ n: number }>`select count(*) as n from filler`.execute(storage.db)).rows[0]!.n).toBe(2000);
  });

  it('is off unless asked for: the WAL keeps the pages until SQLite checkpoints on its own', async () => {
    const { storage, file } = await open({ checkpointInBackground: false });
    await write(storage);
    expect(await databaseFileGrowsBeyond(file, 1_000_000, 600)).toBe(false);
  });
});
