import type { Config } from '../config/config.ts';
import type { Storage } from './database.ts';
import { openPostgres } from './postgres.ts';
import { openSqlite, type SqliteOptions } from './sqlite.ts';

/**
 * The store the configuration names: PostgreSQL when DATABASE_URL is set, else SQLite in DATA_DIR.
 * A long-running server passes `sqlite` options to checkpoint SQLite in the background.
 */
export function openStorage(config: Pick<Config, 'databaseUrl' | 'dataDir'>, options: { readonly sqlite?: SqliteOptions } = {}): Promise<Storage> {
  return config.databaseUrl === undefined
    ? openSqlite({ dataDir: config.dataDir, ...options.sqlite })
    : openPostgres({ connectionString: config.databaseUrl });
}
