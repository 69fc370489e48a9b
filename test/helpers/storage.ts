import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DialectName, Storage } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import { randomBase32 } from '../../src/lib/random.ts';

/** Every storage test runs once per dialect: `describe.each(DIALECTS)(...)`. */
export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  readonly storage: Storage;
  /** What the CLI or a child server needs in its environment to use the same store. */
  readonly env: Readonly<Record<string, string>>;
  /** Closes the store and deletes it (the temporary directory, or the PostgreSQL schema). */
  dispose(): Promise<void>;
}

/**
 * A fresh, migrated, private store: a temporary directory for SQLite, a schema of its own in the
 * test database for PostgreSQL, so test files never see each other's rows.
 */
export async function createTestStore(dialect: DialectName, options: { readonly migrate?: boolean } = {}): Promise<TestStore> {
  const store = dialect === 'sqlite' ? await createSqliteStore() : await createPostgresStore();
  if (options.migrate ?? true) await migrateToLatest(store.storage);
  return store;
}

async function createSqliteStore(): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const storage = await openSqlite({ dataDir });
  return {
    storage,
    env: { DATA_DIR: dataDir },
    async dispose() {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function createPostgresStore(): Promise<TestStore> {
  const schema = `test_${randomBase32(12)}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
    await admin.query(`create schema ${schema}`);
  } catch (error) {
    await admin.end().catch(() => {});
    throw new Error(
      `PostgreSQL tests need a server, and none answered at ${TEST_DATABASE_URL} (${(error as Error).message}). ` +
        `Start one (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) ` +
        `or point TEST_DATABASE_URL at a database this user may create schemas in.`,
    );
  }
  const storage = await openPostgres({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 5 });
  // The same schema for child processes (CLI, server), through libpq's `options` parameter.
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    storage,
    env: { DATABASE_URL: url.href },
    async dispose() {
      await storage.close();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}
