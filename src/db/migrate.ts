import { Migrator, sql, type MigrationResultSet } from 'kysely';
import type { Storage } from './database.ts';
import { migrations } from './migrations/index.ts';
import { asStorageError, StorageError } from './storage-error.ts';

export interface MigrationOutcome {
  /** Names of the migrations this call applied, in order; empty when the schema was current. */
  readonly applied: readonly string[];
}

/**
 * Brings the schema up to date. Safe to run from several processes at once: Kysely takes a
 * lock (an advisory lock on PostgreSQL, the write lock on SQLite) around the whole run.
 */
export async function migrateToLatest(storage: Pick<Storage, 'db' | 'schema'>): Promise<MigrationOutcome> {
  const result: MigrationResultSet = await migratorFor(storage).migrateToLatest();
  if (result.error !== undefined) {
    const unusable = asStorageError(result.error);
    if (unusable !== undefined) throw unusable;
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new StorageError(failed === undefined ? `could not run migrations: ${cause}` : `migration ${failed} failed and was rolled back: ${cause}`);
  }
  return { applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

const MIGRATION_TABLE = 'gatehouse_migration';

/**
 * True when Gatehouse's migrations ever ran in this store: a store without them is a new one,
 * which only `start` and `migrate` may set up (a PostgreSQL DATABASE_URL naming the wrong
 * database or schema is refused by the other commands instead of being given a fresh schema).
 */
export async function hasGatehouseSchema(storage: Pick<Storage, 'db' | 'dialect' | 'schema'>): Promise<boolean> {
  const found =
    storage.dialect === 'sqlite'
      ? await sql<{ found: number }>`select 1 as found from sqlite_schema where type = 'table' and name = ${MIGRATION_TABLE}`.execute(storage.db)
      : await sql<{ found: number }>`select 1 as found from information_schema.tables where table_schema = ${storage.schema ?? ''} and table_name = ${MIGRATION_TABLE}`.execute(storage.db);
  return found.rows.length > 0;
}

/** The migrator of Gatehouse's schema in this store (tests also move it to a given migration). */
export function migratorFor(storage: Pick<Storage, 'db' | 'schema'>): Migrator {
  return new Migrator({
    db: storage.db,
    // Kysely looks for its tables in every schema unless told which: a database holding another
    // schema with Gatehouse tables (another installation, a test) would fool it.
    ...(storage.schema === undefined ? {} : { migrationTableSchema: storage.schema }),
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: 'gatehouse_migration_lock',
  });
}
