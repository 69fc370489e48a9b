import type { Config } from '../config/config.ts';
import type { Storage } from './database.ts';
import { openPostgres } from './postgres.ts';
import { openSqlite } from './sqlite.ts';

/** The store the configuration names: PostgreSQL when DATABASE_URL is set, else SQLite in DATA_DIR. */
export function openStorage(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Storage> {
  return config.databaseUrl === undefined
    ? openSqlite({ dataDir: config.dataDir })
    : openPostgres({ connectionString: config.databaseUrl });
}
