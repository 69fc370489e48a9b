import type { Config } from '../config/config.ts';
import type { DialectName, Storage } from './database.ts';
import { openPostgres, redactedLocation } from './postgres.ts';
import { openSqlite, sqlitePath, type SqliteOptions } from './sqlite.ts';

/** Which store a configuration names, safe to print (no password). */
export interface StoreDescription {
  readonly dialect: DialectName;
  /** The SQLite file as an absolute path, or the PostgreSQL URL without its password. */
  readonly location: string;
}

/** The store the configuration names: PostgreSQL when DATABASE_URL is set, else SQLite in DATA_DIR. */
export function describeStore(config: Pick<Config, 'databaseUrl' | 'dataDir'>): StoreDescription {
  return config.databaseUrl === undefined
    ? { dialect: 'sqlite', location: sqlitePath(config.dataDir) }
    : { dialect: 'postgres', location: redactedLocation(config.databaseUrl) };
}

/**
 * Opens the store the configuration names (describeStore). `create` says whether a missing SQLite
 * database may be created (`start`, `migrate`); other commands refuse one (StoreMissingError).
 * A long-running server passes `sqlite` options to checkpoint SQLite in the background.
 */
export function openStorage(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  options: { readonly create: boolean; readonly sqlite?: SqliteOptions },
): Promise<Storage> {
  return config.databaseUrl === undefined
    ? openSqlite({ dataDir: config.dataDir, ...options.sqlite, create: options.create })
    : openPostgres({ connectionString: config.databaseUrl });
}
