import type { Selectable, Updateable } from 'kysely';
import { PostgresAdapter, sql, SqliteAdapter, type Expression, type SqlBool } from 'kysely';
import type { Executor } from '../db/database.ts';
import { columnsOf, PrecompiledQuery } from '../db/precompiled.ts';
import type { Constituent, ConstituentRecord, ConstituentStatus } from './constituent.ts';
import type { ConstituentsTable } from './constituents.table.ts';

type ConstituentRow = Selectable<ConstituentsTable>;

/** The keys under which login names and emails are unique, case-folded by the domain's rules (identifiers.ts). */
export interface IdentifierKeys {
  readonly loginNameKey: string;
  readonly emailKey: string | null;
}

/** A new constituent as stored: the record, its unique keys, and its password hash (null: no password yet). */
export type ConstituentToInsert = ConstituentRecord & IdentifierKeys & { readonly passwordHash: string | null };

/** A row as the constituent the rest of the system sees (no password hash, no keys). */
export function toConstituent(row: ConstituentRow): Constituent {
  return {
    orgId: row.org_id,
    accountId: row.account_id,
    loginName: row.login_name,
    email: row.email,
    emailVerified: row.email_verified === 1,
    displayName: row.display_name,
    pictureUrl: row.picture_url,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    status: row.status,
    updatedAt: row.updated_at,
  };
}

function toRecord(row: ConstituentRow): ConstituentRecord {
  return { ...toConstituent(row), createdAt: row.created_at };
}

export async function insertConstituent(db: Executor, constituent: ConstituentToInsert): Promise<void> {
  await db
    .insertInto('constituents')
    .values({
      org_id: constituent.orgId,
      account_id: constituent.accountId,
      login_name: constituent.loginName,
      login_name_key: constituent.loginNameKey,
      email: constituent.email,
      email_key: constituent.emailKey,
      email_verified: constituent.emailVerified ? 1 : 0,
      display_name: constituent.displayName,
      picture_url: constituent.pictureUrl,
      password_hash: constituent.passwordHash,
      attributes: JSON.stringify(constituent.attributes),
      status: constituent.status,
      created_at: constituent.createdAt,
      updated_at: constituent.updatedAt,
    })
    .execute();
}

/** Which of the given unique keys an existing constituent of the org already holds. */
export async function findTakenIdentifiers(
  db: Executor,
  orgId: string,
  keys: IdentifierKeys,
): Promise<{ loginName: boolean; email: boolean }> {
  const rows = await db
    .selectFrom('constituents')
    .select(['login_name_key', 'email_key'])
    .where('org_id', '=', orgId)
    .where((eb) =>
      eb.or([
        eb('login_name_key', '=', keys.loginNameKey),
        ...(keys.emailKey === null ? [] : [eb('email_key', '=', keys.emailKey)]),
      ]),
    )
    .execute();
  return {
    loginName: rows.some((r) => r.login_name_key === keys.loginNameKey),
    email: keys.emailKey !== null && rows.some((r) => r.email_key === keys.emailKey),
  };
}

/**
 * The constituent whose login name or, failing that, email matches the case-folded identifier,
 * with its password hash (null: it has none), which only sign-in verifies.
 */
export async function findConstituentBySignInKey(db: Executor, orgId: string, key: string): Promise<{ constituent: Constituent; passwordHash: string | null } | undefined> {
  const rows = await db
    .selectFrom('constituents')
    .selectAll()
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb('login_name_key', '=', key), eb('email_key', '=', key)]))
    .limit(2)
    .execute();
  // A login name wins over another account's identical email.
  const row = rows.find((r) => r.login_name_key === key) ?? rows[0];
  return row === undefined ? undefined : { constituent: toConstituent(row), passwordHash: row.password_hash };
}

// Precompiled (db/precompiled.ts): userinfo and every authorization read a constituent by its key.
const CONSTITUENT_COLUMNS = columnsOf<ConstituentsTable>({
  org_id: true,
  account_id: true,
  login_name: true,
  login_name_key: true,
  email: true,
  email_key: true,
  email_verified: true,
  display_name: true,
  picture_url: true,
  password_hash: true,
  attributes: true,
  status: true,
  created_at: true,
  updated_at: true,
});
const findByIdQuery = new PrecompiledQuery<{ readonly orgId: string; readonly accountId: string }, ConstituentRow>({ orgId: true, accountId: true }, (db, p) =>
  db.selectFrom('constituents').select(CONSTITUENT_COLUMNS).where('org_id', '=', p.orgId).where('account_id', '=', p.accountId),
);

export async function findConstituentById(db: Executor, orgId: string, accountId: string): Promise<ConstituentRecord | undefined> {
  const row = await findByIdQuery.first(db, { orgId, accountId });
  return row && toRecord(row);
}

export async function updateAttributes(db: Executor, orgId: string, accountId: string, attributes: Readonly<Record<string, unknown>>, now: number): Promise<boolean> {
  const result = await db
    .updateTable('constituents')
    .set({ attributes: JSON.stringify(attributes), updated_at: now })
    .where('org_id', '=', orgId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** What a constituent search may filter on; every key already case-folded as the unique keys are. */
export interface ConstituentFilter {
  readonly loginNameKey?: string;
  readonly emailKey?: string;
  /** A prefix of the login name key or of the email key. */
  readonly prefix?: { readonly loginNameKey: string; readonly emailKey: string };
  readonly status?: ConstituentStatus;
  /** A custom attribute whose JSON text (a string's content, `42`, `true`) equals `value`. */
  readonly attribute?: { readonly name: string; readonly value: string };
}

/** One page of an org's constituents in creation order (created_at, then account_id), after `after`. */
export async function searchConstituentsPage(
  db: Executor,
  orgId: string,
  filter: ConstituentFilter,
  page: { readonly limit: number; readonly after?: { readonly createdAt: number; readonly accountId: string } },
): Promise<ConstituentRecord[]> {
  let select = db.selectFrom('constituents').selectAll().where('org_id', '=', orgId);
  if (filter.loginNameKey !== undefined) select = select.where('login_name_key', '=', filter.loginNameKey);
  if (filter.emailKey !== undefined) select = select.where('email_key', '=', filter.emailKey);
  if (filter.prefix !== undefined) {
    const { loginNameKey, emailKey } = filter.prefix;
    select = select.where((eb) =>
      eb.or([
        sql<SqlBool>`(${sql.ref('login_name_key')} like ${likePrefix(loginNameKey)} escape '\\')`,
        sql<SqlBool>`(${sql.ref('email_key')} like ${likePrefix(emailKey)} escape '\\')`,
      ]),
    );
  }
  if (filter.status !== undefined) select = select.where('status', '=', filter.status);
  if (filter.attribute !== undefined) {
    const { name, value } = filter.attribute;
    select = select.where((eb) => eb(attributeText(db, name), '=', value));
  }
  const after = page.after;
  if (after !== undefined) {
    select = select.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('account_id', '>', after.accountId)])]));
  }
  const rows = await select.orderBy('created_at', 'asc').orderBy('account_id', 'asc').limit(page.limit).execute();
  return rows.map(toRecord);
}

/** A LIKE pattern matching values that start with `prefix` literally (`%`, `_` and `\` escaped). */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * A custom attribute of the row as text, in each dialect's JSON syntax; the attribute name is a
 * bound parameter, never SQL. Booleans read as `true`/`false` on both (SQLite's json_extract
 * would give 1/0), numbers as their decimal text, JSON null and a missing attribute as NULL.
 */
function attributeText(db: Executor, name: string): Expression<string | null> {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return sql<string | null>`(${sql.ref('attributes')}::jsonb ->> cast(${name} as text))`;
  if (adapter instanceof SqliteAdapter) {
    const path = `$."${name}"`;
    return sql<string | null>`(case json_type(${sql.ref('attributes')}, ${path}) when 'true' then 'true' when 'false' then 'false' else cast(json_extract(${sql.ref('attributes')}, ${path}) as text) end)`;
  }
  throw new Error('attribute search supports SQLite and PostgreSQL only');
}

/** What an administrator's change may write; a field left out is kept. Keys change with what they are the keys of. */
export interface ConstituentFieldsChange {
  readonly loginName?: string;
  readonly loginNameKey?: string;
  readonly email?: string | null;
  readonly emailKey?: string | null;
  readonly emailVerified?: boolean;
  readonly displayName?: string | null;
  readonly pictureUrl?: string | null;
  readonly passwordHash?: string;
  readonly status?: ConstituentStatus;
}

function columnsChanged(change: ConstituentFieldsChange): Updateable<ConstituentsTable> {
  const columns: Updateable<ConstituentsTable> = {};
  if (change.loginName !== undefined) columns.login_name = change.loginName;
  if (change.loginNameKey !== undefined) columns.login_name_key = change.loginNameKey;
  if (change.email !== undefined) columns.email = change.email;
  if (change.emailKey !== undefined) columns.email_key = change.emailKey;
  if (change.emailVerified !== undefined) columns.email_verified = change.emailVerified ? 1 : 0;
  if (change.displayName !== undefined) columns.display_name = change.displayName;
  if (change.pictureUrl !== undefined) columns.picture_url = change.pictureUrl;
  if (change.passwordHash !== undefined) columns.password_hash = change.passwordHash;
  if (change.status !== undefined) columns.status = change.status;
  return columns;
}

/** Writes `change`, only if the row is still at `expectedUpdatedAt` (no lost update between two writers). */
export async function updateConstituentRow(db: Executor, orgId: string, accountId: string, change: ConstituentFieldsChange, expectedUpdatedAt: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('constituents')
    .set({ ...columnsChanged(change), updated_at: now })
    .where('org_id', '=', orgId)
    .where('account_id', '=', accountId)
    .where('updated_at', '=', expectedUpdatedAt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
