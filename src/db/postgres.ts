import { Kysely, PostgresDialect, sql, type DatabaseIntrospector, type PostgresPool, type PostgresPoolClient, type TableMetadata } from 'kysely';
import pg from 'pg';
import type { Database, Storage } from './database.ts';
import { preparedStatementName } from './precompiled.ts';
import { StorageError } from './storage-error.ts';

const INT8_OID = 20;

export interface PostgresOptions {
  readonly connectionString: string;
  /** Schema to use instead of the connection's default (`public`); tests isolate each file in one. */
  readonly schema?: string;
  readonly maxConnections?: number;
}

/** Opens a connection pool and checks that the server answers. */
export async function openPostgres(options: PostgresOptions): Promise<Storage> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
    pipeline: true,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    // Timestamps and counters are bigint columns holding values far below 2^53: read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  const location = redactedLocation(options.connectionString);
  let schema: string;
  try {
    schema = (await pool.query<{ schema: string }>('select current_schema() as schema')).rows[0]!.schema;
  } catch (error) {
    await pool.end().catch(() => {});
    throw new StorageError(describeConnectError(location, error));
  }
  const db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool: preparingPool(pool) }) });
  return {
    db,
    dialect: 'postgres',
    location,
    schema,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Kysely's PostgreSQL dialect, with an introspector that reads this store's schema only. Kysely's
 * own scans every schema of the database and calls has_schema_privilege on each by name, so a
 * schema that someone else drops meanwhile (another application, another test file) made it fail
 * with "schema … does not exist"; the migrator, its only user here, failed with it.
 */
class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return ownSchemaIntrospector(db);
  }
}

/** Tables and views by name only (no columns): what the migrator looks for. */
function ownSchemaIntrospector(db: Kysely<any>): DatabaseIntrospector {
  const getTables = async (): Promise<TableMetadata[]> => {
    const { rows } = await sql<{ name: string; schema: string; is_view: boolean }>`
      select c.relname as name, n.nspname as schema, c.relkind = 'v' as is_view
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v')
      order by c.relname`.execute(db);
    return rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.is_view, columns: [] }));
  };
  return {
    async getSchemas() {
      const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(db);
      return rows;
    },
    getTables,
    async getMetadata() {
      return { tables: await getTables() };
    },
  };
}

/**
 * The pool as Kysely sees it, with the hot paths' statements (db/precompiled.ts) sent as named
 * prepared statements: the server parses and plans each once per connection, not on every call.
 */
function preparingPool(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      return {
        query: ((textOrCursor: unknown, values?: readonly unknown[]) => {
          // A cursor (Kysely's streamQuery) passes through untouched.
          if (typeof textOrCursor !== 'string') return client.query(textOrCursor as never);
          const name = preparedStatementName(textOrCursor);
          return name === undefined ? client.query(textOrCursor, values as unknown[]) : client.query({ name, text: textOrCursor, values: values as unknown[] });
        }) as unknown as PostgresPoolClient['query'],
        release: () => client.release(),
      };
    },
    end: () => pool.end(),
  };
}


/**
 * Query parameters of a connection string that say where, never with what: kept in messages.
 * Every other one is dropped, since pg reads secrets from the query too (`password`,
 * `sslpassword`, `sslkey`, …) and what it may honour tomorrow is not ours to list.
 */
const SHOWN_QUERY_PARAMETERS: ReadonlySet<string> = new Set(['host', 'port', 'sslmode', 'application_name']);
/** `options` is shown only when it does nothing but choose the schema (`-c search_path=…`, as the tests do). */
const SEARCH_PATH_ONLY = /^\s*(?:-c\s*search_path=[^\s]+\s*)+$/;

/**
 * The connection string for messages and logs (every CLI run prints it): the password of the
 * user info as `***`, and of the query only the parameters that say where (host, port, sslmode,
 * application_name, and an `options` that only sets search_path), each as it was written.
 */
export function redactedLocation(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password !== '') url.password = '***';
    const shown = url.search
      .slice(1)
      .split('&')
      .filter((pair) => {
        const equals = pair.indexOf('=');
        const name = decodeQueryPart(equals === -1 ? pair : pair.slice(0, equals));
        if (SHOWN_QUERY_PARAMETERS.has(name)) return true;
        return name === 'options' && equals !== -1 && SEARCH_PATH_ONLY.test(decodeQueryPart(pair.slice(equals + 1)));
      });
    url.search = '';
    url.hash = '';
    return shown.length === 0 ? url.href : `${url.href}?${shown.join('&')}`;
  } catch {
    return 'postgres://(unparseable DATABASE_URL)';
  }
}

/** A query string's name or value as pg-connection-string reads it (URLSearchParams: `+` is a space). */
function decodeQueryPart(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return '';
  }
}

function describeConnectError(location: string, error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return `cannot reach PostgreSQL at ${location} (${code}); is the server running and DATABASE_URL right?`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${location} refused the credentials; check the user and password in DATABASE_URL`;
    case '3D000':
      return `PostgreSQL at ${location}: the database does not exist; create it (createdb) or fix DATABASE_URL`;
    default:
      return `cannot use PostgreSQL at ${location}: ${message ?? String(error)}`;
  }
}
