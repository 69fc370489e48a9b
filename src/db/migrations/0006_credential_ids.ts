import { sql, type CreateTableBuilder, type Kysely } from 'kysely';

// Codes, access tokens and refresh tokens were keyed by the SHA-256 of the credential: a random
// key, so every insert landed on a random page of the table's B-tree and a group of inserts
// dirtied (and wrote to the WAL) one page each. They are now keyed by a time-ordered id carried
// in the credential (oauth/credentials/credentials.ts), and the hash becomes a plain column checked in
// the same statement. Rows of credentials issued before keep working: their id is their old key
// (the hash), which is how such a credential is still looked up.
//
// Changing a primary key means rebuilding the table on SQLite; the same rebuild (create, copy,
// drop, rename) is done on both stores so that one migration serves both.

type Columns = (table: CreateTableBuilder<string, never>) => CreateTableBuilder<string, never>;

const codeColumns: Columns = (t) =>
  t
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('family_id', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text')
    .addColumn('code_challenge', 'text')
    .addColumn('code_challenge_method', 'text')
    .addColumn('auth_time', 'bigint', (c) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint');

const accessTokenColumns: Columns = (t) =>
  t
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('family_id', 'text')
    .addColumn('account_id', 'text')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint');

const refreshTokenColumns: Columns = (t) =>
  t
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('family_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('auth_time', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('rotated_at', 'bigint')
    .addColumn('revoked_at', 'bigint');

const CODE_COLUMNS = ['org_id', 'client_id', 'account_id', 'family_id', 'redirect_uri', 'scope', 'nonce', 'code_challenge', 'code_challenge_method', 'auth_time', 'session_id', 'created_at', 'expires_at', 'consumed_at'];
const ACCESS_COLUMNS = ['org_id', 'client_id', 'family_id', 'account_id', 'scope', 'created_at', 'expires_at', 'revoked_at'];
const REFRESH_COLUMNS = ['org_id', 'client_id', 'family_id', 'account_id', 'scope', 'auth_time', 'created_at', 'expires_at', 'rotated_at', 'revoked_at'];

interface Rebuild {
  readonly table: string;
  readonly hashColumn: string;
  readonly columns: Columns;
  readonly copied: readonly string[];
  readonly familyIndex?: string;
}

const REBUILDS: readonly Rebuild[] = [
  { table: 'authorization_codes', hashColumn: 'code_hash', columns: codeColumns, copied: CODE_COLUMNS },
  { table: 'access_tokens', hashColumn: 'token_hash', columns: accessTokenColumns, copied: ACCESS_COLUMNS, familyIndex: 'access_tokens_family_idx' },
  { table: 'refresh_tokens', hashColumn: 'token_hash', columns: refreshTokenColumns, copied: REFRESH_COLUMNS, familyIndex: 'refresh_tokens_family_idx' },
];

/** Recreates the table keyed by `id` with the hash beside it (up), or keyed by the hash again (down). */
async function rebuild(db: Kysely<any>, r: Rebuild, options: { readonly keyed: 'id' | 'hash' }): Promise<void> {
  const next = `${r.table}_next`;
  let create = db.schema.createTable(next);
  create = options.keyed === 'id' ? create.addColumn('id', 'text', (c) => c.primaryKey()).addColumn(r.hashColumn, 'text', (c) => c.notNull()) : create.addColumn(r.hashColumn, 'text', (c) => c.primaryKey());
  await r.columns(create).execute();
  // Up: an old row's key is its hash. Down: a new row's hash becomes its key (its id is dropped).
  const target = options.keyed === 'id' ? ['id', r.hashColumn, ...r.copied] : [r.hashColumn, ...r.copied];
  const source = options.keyed === 'id' ? [sql.ref(r.hashColumn).as('id'), sql.ref(r.hashColumn).as(r.hashColumn), ...r.copied] : [r.hashColumn, ...r.copied];
  await db
    .insertInto(next)
    .columns(target)
    .expression(db.selectFrom(r.table).select(source as never))
    .execute();
  await db.schema.dropTable(r.table).execute();
  await db.schema.alterTable(next).renameTo(r.table).execute();
  if (r.familyIndex !== undefined) await db.schema.createIndex(r.familyIndex).on(r.table).column('family_id').execute();
}

export async function up(db: Kysely<any>): Promise<void> {
  for (const r of REBUILDS) await rebuild(db, r, { keyed: 'id' });
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const r of REBUILDS) await rebuild(db, r, { keyed: 'hash' });
}
