import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite, SQLITE_FILE } from './sqlite.ts';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

// Regression (issue 9 item 10): the database was created 0644, readable by every local user,
// in a DATA_DIR the operator made with the usual umask.
describe('SQLite file modes', () => {
  let umask: number;
  const dirs: string[] = [];
  beforeAll(() => {
    // The usual umask, whatever the test runner's: a 0644 file is what it lets through.
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
  });
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function userMadeDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-modes-'));
    chmodSync(dir, 0o755);
    dirs.push(dir);
    return dir;
  }

  it('creates the database and its -wal and -shm files 0600 in a directory the operator made, leaving its mode alone', async () => {
    const dataDir = userMadeDir();
    const storage = await openSqlite({ dataDir });
    try {
      await sql`create table t (x integer)`.execute(storage.db);
      await sql`insert into t values (1)`.execute(storage.db);
      for (const file of [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`]) expect([file, modeOf(join(dataDir, file))]).toEqual([file, 0o600]);
    } finally {
      await storage.close();
    }
    expect(modeOf(dataDir)).toBe(0o755);
  });

  it('creates a missing DATA_DIR (and its missing parents) 0700', async () => {
    const parent = userMadeDir();
    const dataDir = join(parent, 'a', 'data');
    const storage = await openSqlite({ dataDir });
    await storage.close();
    expect(modeOf(join(parent, 'a'))).toBe(0o700);
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, SQLITE_FILE))).toBe(0o600);
  });

  it('narrows a database file an older version left readable by others, keeping its content', async () => {
    const dataDir = userMadeDir();
    const first = await openSqlite({ dataDir });
    await sql`create table t (x integer)`.execute(first.db);
    await first.close();
    chmodSync(join(dataDir, SQLITE_FILE), 0o644);
    writeFileSync(join(dataDir, `${SQLITE_FILE}-wal`), '', { mode: 0o644 });
    const again = await openSqlite({ dataDir });
    try {
      expect(modeOf(join(dataDir, SQLITE_FILE))).toBe(0o600);
      expect(modeOf(join(dataDir, `${SQLITE_FILE}-wal`))).toBe(0o600);
      expect(await sql`select count(*) as n from t`.execute(again.db)).toMatchObject({ rows: [{ n: 0 }] });
    } finally {
      await again.close();
    }
  });
});
