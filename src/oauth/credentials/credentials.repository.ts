import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../db/database.ts';
import { columnsOf, executeTogether, PrecompiledQuery } from '../../db/precompiled.ts';
import { inTransaction } from '../../db/transaction.ts';
import type { CredentialKey } from './credentials.ts';
import type {
  LiveTokenFamily,
  NewAccessToken,
  NewCode,
  NewGrantCredentials,
  NewRefreshToken,
  NewTokenFamily,
  StoredAccessToken,
  StoredCode,
  StoredRefreshToken,
} from './stored-credentials.ts';
import type { AccessTokensTable, AuthorizationCodesTable, RefreshTokensTable, TokenFamiliesTable } from '../oauth.table.ts';

// The statements of the token endpoint, userinfo and introspection are precompiled (db/precompiled.ts):
// they run on every request. Rows become domain values (stored-credentials.ts) here, one object
// literal each; values become rows in the statements themselves, whose parameters are the domain
// values' fields: an insert copies nothing.

const ACCESS_TOKEN_COLUMNS = { id: true, token_hash: true, org_id: true, client_id: true, family_id: true, account_id: true, scope: true, created_at: true, expires_at: true, revoked_at: true, grant_type: true } as const;
const REFRESH_TOKEN_COLUMNS = { id: true, token_hash: true, org_id: true, client_id: true, family_id: true, account_id: true, scope: true, auth_time: true, created_at: true, expires_at: true, rotated_at: true, revoked_at: true } as const;
const CODE_COLUMNS = { id: true, code_hash: true, org_id: true, client_id: true, account_id: true, family_id: true, redirect_uri: true, scope: true, nonce: true, code_challenge: true, code_challenge_method: true, auth_time: true, session_id: true, created_at: true, expires_at: true, consumed_at: true } as const;

function toStoredAccessToken(row: Selectable<AccessTokensTable>): StoredAccessToken {
  return {
    id: row.id,
    hash: row.token_hash,
    orgId: row.org_id,
    clientId: row.client_id,
    familyId: row.family_id,
    accountId: row.account_id,
    scope: row.scope,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

function toStoredRefreshToken(row: Selectable<RefreshTokensTable>): StoredRefreshToken {
  return {
    id: row.id,
    hash: row.token_hash,
    orgId: row.org_id,
    clientId: row.client_id,
    familyId: row.family_id,
    accountId: row.account_id,
    scope: row.scope,
    authTime: row.auth_time,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    rotatedAt: row.rotated_at,
    revokedAt: row.revoked_at,
  };
}

function toStoredCode(row: Selectable<AuthorizationCodesTable>): StoredCode {
  return {
    id: row.id,
    hash: row.code_hash,
    orgId: row.org_id,
    clientId: row.client_id,
    accountId: row.account_id,
    familyId: row.family_id,
    redirectUri: row.redirect_uri,
    scope: row.scope,
    nonce: row.nonce,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method,
    authTime: row.auth_time,
    sessionId: row.session_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

/**
 * Every column of a table: an insert's values satisfy it, so that a column added to the table type
 * cannot be silently left out of an insert.
 */
type EveryColumn<T> = { readonly [K in keyof T]-?: unknown };
/** A new credential is neither revoked, rotated nor consumed: NULL written into the statement, not bound. */
const NOT_YET = sql<null>`null`;

const insertFamilyQuery = new PrecompiledQuery<NewTokenFamily, never>(
  { id: true, orgId: true, clientId: true, accountId: true, scope: true, authTime: true, createdAt: true, expiresAt: true },
  (db, family) =>
    db.insertInto('token_families').values({
      id: family.id,
      org_id: family.orgId,
      client_id: family.clientId,
      account_id: family.accountId,
      scope: family.scope,
      auth_time: family.authTime,
      created_at: family.createdAt,
      expires_at: family.expiresAt,
      revoked_at: NOT_YET,
    } satisfies EveryColumn<TokenFamiliesTable>),
);
const insertAccessTokenQuery = new PrecompiledQuery<NewAccessToken, never>(
  { id: true, hash: true, orgId: true, clientId: true, familyId: true, accountId: true, scope: true, createdAt: true, expiresAt: true, grantType: true },
  (db, token) =>
    db.insertInto('access_tokens').values({
      id: token.id,
      token_hash: token.hash,
      org_id: token.orgId,
      client_id: token.clientId,
      family_id: token.familyId,
      account_id: token.accountId,
      scope: token.scope,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      revoked_at: NOT_YET,
      grant_type: token.grantType,
    } satisfies EveryColumn<AccessTokensTable>),
);
const insertRefreshTokenQuery = new PrecompiledQuery<NewRefreshToken, never>(
  { id: true, hash: true, orgId: true, clientId: true, familyId: true, accountId: true, scope: true, authTime: true, createdAt: true, expiresAt: true },
  (db, token) =>
    db.insertInto('refresh_tokens').values({
      id: token.id,
      token_hash: token.hash,
      org_id: token.orgId,
      client_id: token.clientId,
      family_id: token.familyId,
      account_id: token.accountId,
      scope: token.scope,
      auth_time: token.authTime,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      rotated_at: NOT_YET,
      revoked_at: NOT_YET,
    } satisfies EveryColumn<RefreshTokensTable>),
);
const insertCodeQuery = new PrecompiledQuery<NewCode, never>(
  {
    id: true,
    hash: true,
    orgId: true,
    clientId: true,
    accountId: true,
    familyId: true,
    redirectUri: true,
    scope: true,
    nonce: true,
    codeChallenge: true,
    codeChallengeMethod: true,
    authTime: true,
    sessionId: true,
    createdAt: true,
    expiresAt: true,
  },
  (db, code) =>
    db.insertInto('authorization_codes').values({
      id: code.id,
      code_hash: code.hash,
      org_id: code.orgId,
      client_id: code.clientId,
      account_id: code.accountId,
      family_id: code.familyId,
      redirect_uri: code.redirectUri,
      scope: code.scope,
      nonce: code.nonce,
      code_challenge: code.codeChallenge,
      code_challenge_method: code.codeChallengeMethod,
      auth_time: code.authTime,
      session_id: code.sessionId,
      created_at: code.createdAt,
      expires_at: code.expiresAt,
      consumed_at: NOT_YET,
    } satisfies EveryColumn<AuthorizationCodesTable>),
);

/**
 * Writes a grant's credentials atomically: in the caller's transaction when it holds one, or in
 * one of their own. On PostgreSQL the inserts go in one round trip (executeTogether).
 */
export async function insertGrantCredentials(db: Executor, credentials: NewGrantCredentials): Promise<void> {
  const queries = [
    ...(credentials.family === undefined ? [] : [insertFamilyQuery.bind(db, credentials.family)]),
    // A precompiled statement binds every parameter: an absent grant is a null one.
    insertAccessTokenQuery.bind(db, { ...credentials.access, grantType: credentials.access.grantType ?? null }),
    ...(credentials.refresh === undefined ? [] : [insertRefreshTokenQuery.bind(db, credentials.refresh)]),
  ];
  if (queries.length === 1) await db.executeQuery(queries[0]!);
  else await inTransaction(db, (trx) => executeTogether(trx, queries));
}

export async function insertCode(db: Executor, code: NewCode): Promise<void> {
  await insertCodeQuery.execute(db, code);
}

// Every lookup of a presented credential is by its key: the id (primary key) and the hash of the
// whole credential, in one statement, so an id alone finds nothing.

interface KeyInOrg {
  readonly orgId: string;
  readonly id: string;
  readonly hash: string;
}
const KEY_IN_ORG = { orgId: true, id: true, hash: true } as const;

const findAccessTokenQuery = new PrecompiledQuery<KeyInOrg, Selectable<AccessTokensTable>>(KEY_IN_ORG, (db, p) =>
  db.selectFrom('access_tokens').select(columnsOf<AccessTokensTable>(ACCESS_TOKEN_COLUMNS)).where('id', '=', p.id).where('token_hash', '=', p.hash).where('org_id', '=', p.orgId),
);
const findRefreshTokenQuery = new PrecompiledQuery<KeyInOrg, Selectable<RefreshTokensTable>>(KEY_IN_ORG, (db, p) =>
  db.selectFrom('refresh_tokens').select(columnsOf<RefreshTokensTable>(REFRESH_TOKEN_COLUMNS)).where('id', '=', p.id).where('token_hash', '=', p.hash).where('org_id', '=', p.orgId),
);
const findCodeQuery = new PrecompiledQuery<KeyInOrg, Selectable<AuthorizationCodesTable>>(KEY_IN_ORG, (db, p) =>
  db.selectFrom('authorization_codes').select(columnsOf<AuthorizationCodesTable>(CODE_COLUMNS)).where('id', '=', p.id).where('code_hash', '=', p.hash).where('org_id', '=', p.orgId),
);

export async function findAccessToken(db: Executor, orgId: string, key: CredentialKey): Promise<StoredAccessToken | undefined> {
  const row = await findAccessTokenQuery.first(db, { orgId, id: key.id, hash: key.hash });
  return row === undefined ? undefined : toStoredAccessToken(row);
}

export async function findRefreshToken(db: Executor, orgId: string, key: CredentialKey): Promise<StoredRefreshToken | undefined> {
  const row = await findRefreshTokenQuery.first(db, { orgId, id: key.id, hash: key.hash });
  return row === undefined ? undefined : toStoredRefreshToken(row);
}

export async function findCode(db: Executor, orgId: string, key: CredentialKey): Promise<StoredCode | undefined> {
  const row = await findCodeQuery.first(db, { orgId, id: key.id, hash: key.hash });
  return row === undefined ? undefined : toStoredCode(row);
}

interface ClientKeyInOrg extends KeyInOrg {
  readonly clientId: string;
  readonly now: number;
}
const CLIENT_KEY_IN_ORG = { ...KEY_IN_ORG, clientId: true, now: true } as const;

const consumeCodeQuery = new PrecompiledQuery<ClientKeyInOrg, Selectable<AuthorizationCodesTable>>(CLIENT_KEY_IN_ORG, (db, p) =>
  db
    .updateTable('authorization_codes')
    .set({ consumed_at: p.now })
    .where('id', '=', p.id)
    .where('code_hash', '=', p.hash)
    .where('org_id', '=', p.orgId)
    .where('client_id', '=', p.clientId)
    .where('consumed_at', 'is', null)
    .returning(columnsOf<AuthorizationCodesTable>(CODE_COLUMNS)),
);
// A precompiled query binds each parameter once: the expiry check takes `now` under a name of its own.
interface LiveClientKeyInOrg extends ClientKeyInOrg {
  readonly expiresAfter: number;
}
const LIVE_CLIENT_KEY_IN_ORG = { ...CLIENT_KEY_IN_ORG, expiresAfter: true } as const;

const rotateRefreshTokenQuery = new PrecompiledQuery<LiveClientKeyInOrg, Selectable<RefreshTokensTable>>(LIVE_CLIENT_KEY_IN_ORG, (db, p) =>
  db
    .updateTable('refresh_tokens')
    .set({ rotated_at: p.now })
    .where('id', '=', p.id)
    .where('token_hash', '=', p.hash)
    .where('org_id', '=', p.orgId)
    .where('client_id', '=', p.clientId)
    .where('rotated_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', p.expiresAfter)
    // The family too (one primary-key probe): on PostgreSQL a family revoked while a rotation of
    // it committed cannot see the refresh token that rotation wrote, which stays unrevoked, and
    // must still be worthless.
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('token_families').select('token_families.id').whereRef('token_families.id', '=', 'refresh_tokens.family_id').where('token_families.revoked_at', 'is not', null))),
    )
    .returning(columnsOf<RefreshTokensTable>(REFRESH_TOKEN_COLUMNS)),
);

/**
 * Marks a code used, only if it is unused and was issued to this client: one conditional UPDATE,
 * so of any number of concurrent redemptions exactly one gets the row (RFC 6749 §4.1.2: a code
 * is single use).
 */
export async function consumeCode(db: Executor, orgId: string, clientId: string, key: CredentialKey, now: number): Promise<StoredCode | undefined> {
  const row = await consumeCodeQuery.first(db, { orgId, clientId, id: key.id, hash: key.hash, now });
  return row === undefined ? undefined : toStoredCode(row);
}

/**
 * Marks a refresh token rotated, only if it is current (neither rotated, revoked nor expired) and
 * was issued to this client. One conditional UPDATE: concurrent uses of one token yield one
 * winner. Call it only once the request is known to succeed: a rotated token is spent.
 */
export async function rotateRefreshToken(db: Executor, orgId: string, clientId: string, key: CredentialKey, now: number): Promise<StoredRefreshToken | undefined> {
  const row = await rotateRefreshTokenQuery.first(db, { orgId, clientId, id: key.id, hash: key.hash, now, expiresAfter: now });
  return row === undefined ? undefined : toStoredRefreshToken(row);
}

// Every revocation writes refresh tokens first, then access tokens, then families, the order in
// which a refresh locks them. On PostgreSQL a request that loses a rotation race still keeps the
// row lock of the token it lost, out of that order, so a deadlock between a revocation and a
// reuse of one family remains possible: the callers run in retriedTransaction, which runs the
// transaction PostgreSQL aborted again.

/** Revokes a family and every access and refresh token in it. Idempotent. */
export async function revokeFamily(db: Executor, orgId: string, familyId: string, now: number): Promise<void> {
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('family_id', '=', familyId).where('org_id', '=', orgId).where('revoked_at', 'is', null).execute();
  await db.updateTable('access_tokens').set({ revoked_at: now }).where('family_id', '=', familyId).where('org_id', '=', orgId).where('revoked_at', 'is', null).execute();
  await db.updateTable('token_families').set({ revoked_at: now }).where('id', '=', familyId).where('org_id', '=', orgId).where('revoked_at', 'is', null).execute();
}

export async function revokeAccessToken(db: Executor, orgId: string, id: string, now: number): Promise<void> {
  await db.updateTable('access_tokens').set({ revoked_at: now }).where('id', '=', id).where('org_id', '=', orgId).where('revoked_at', 'is', null).execute();
}

/** The account's families neither revoked nor expired, oldest first. */
export async function listLiveFamiliesOfAccount(db: Executor, orgId: string, accountId: string, now: number): Promise<LiveTokenFamily[]> {
  const rows = await db
    .selectFrom('token_families')
    .select(['id', 'client_id', 'scope', 'created_at', 'expires_at'])
    .where('org_id', '=', orgId)
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
  return rows.map((row) => ({ id: row.id, clientId: row.client_id, scope: row.scope, createdAt: row.created_at, expiresAt: row.expires_at }));
}

/**
 * Revokes every live family of the account (of one client, with `clientId`) and every token in
 * them that could still be used: revokeFamily for all of them at once, in three statements.
 * Returns how many families were live.
 */
export async function revokeFamiliesOfAccount(db: Executor, orgId: string, accountId: string, now: number, options: { readonly clientId?: string } = {}): Promise<number> {
  const families = () => {
    let select = db.selectFrom('token_families').select('id').where('org_id', '=', orgId).where('account_id', '=', accountId);
    if (options.clientId !== undefined) select = select.where('client_id', '=', options.clientId);
    return select;
  };
  // Tokens already expired are left alone: revoking them changes nothing but costs writes.
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('org_id', '=', orgId).where('family_id', 'in', families()).where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
  await db.updateTable('access_tokens').set({ revoked_at: now }).where('org_id', '=', orgId).where('family_id', 'in', families()).where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
  let update = db.updateTable('token_families').set({ revoked_at: now }).where('org_id', '=', orgId).where('account_id', '=', accountId).where('revoked_at', 'is', null).where('expires_at', '>', now);
  if (options.clientId !== undefined) update = update.where('client_id', '=', options.clientId);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Expires the account's unredeemed codes (of one client, with `clientId`), so that a code issued
 * just before an account was disabled or a grant revoked cannot start a new family: redeeming one
 * fails as an expired code (RFC 6749 §5.2 invalid_grant).
 */
export async function expireCodesOfAccount(db: Executor, orgId: string, accountId: string, now: number, options: { readonly clientId?: string } = {}): Promise<void> {
  let update = db.updateTable('authorization_codes').set({ expires_at: now }).where('org_id', '=', orgId).where('account_id', '=', accountId).where('consumed_at', 'is', null).where('expires_at', '>', now);
  if (options.clientId !== undefined) update = update.where('client_id', '=', options.clientId);
  await update.execute();
}

/**
 * Revokes everything a client holds in an org: its families, access and refresh tokens, and its
 * unredeemed codes. For rare, deliberate acts (suspending a client): it scans by client rather
 * than adding an index to the token tables, whose inserts are the hot path.
 */
export async function revokeEverythingOfClient(db: Executor, orgId: string, clientId: string, now: number): Promise<void> {
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('org_id', '=', orgId).where('client_id', '=', clientId).where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
  await db.updateTable('access_tokens').set({ revoked_at: now }).where('org_id', '=', orgId).where('client_id', '=', clientId).where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
  await db.updateTable('token_families').set({ revoked_at: now }).where('org_id', '=', orgId).where('client_id', '=', clientId).where('revoked_at', 'is', null).execute();
  await db.updateTable('authorization_codes').set({ expires_at: now }).where('org_id', '=', orgId).where('client_id', '=', clientId).where('consumed_at', 'is', null).where('expires_at', '>', now).execute();
}

/** The tables of codes, tokens and families; each keyed by `id`, with an index on `expires_at`. */
export type CredentialTable = 'authorization_codes' | 'access_tokens' | 'refresh_tokens' | 'token_families';

/** Deletes up to `limit` rows of `table` (every org's) that expired before `before`; returns how many. */
export async function deleteExpired(db: Executor, table: CredentialTable, before: number, limit: number): Promise<number> {
  const expired = db.selectFrom(table).select('id').where('expires_at', '<', before).limit(limit);
  const result = await db.deleteFrom(table).where('id', 'in', expired).executeTakeFirst();
  return Number(result.numDeletedRows);
}

const DAY_MS = 86_400_000;

/**
 * Deletes up to `limit` access tokens expired before `before`, and adds them to the tokens issued
 * per org, UTC day and grant (token_issuance_days), in one transaction: the DELETE … RETURNING
 * names exactly the rows it removed, so two processes purging at once count each token once.
 * Tokens without a grant (issued before migration 0018) are deleted uncounted.
 */
export async function deleteExpiredAccessTokens(db: Executor, before: number, limit: number): Promise<number> {
  return inTransaction(db, async (trx) => {
    const expired = trx.selectFrom('access_tokens').select('id').where('expires_at', '<', before).limit(limit);
    const deleted = await trx.deleteFrom('access_tokens').where('id', 'in', expired).returning(['org_id', 'created_at', 'grant_type']).execute();
    const counts = new Map<string, { org_id: string; day: number; grant_type: string; count: number }>();
    for (const row of deleted) {
      if (row.grant_type === null) continue;
      const day = Math.floor(Number(row.created_at) / DAY_MS);
      const key = `${row.org_id} ${day} ${row.grant_type}`;
      const entry = counts.get(key) ?? { org_id: row.org_id, day, grant_type: row.grant_type, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    for (const entry of counts.values()) {
      await trx
        .insertInto('token_issuance_days')
        .values(entry)
        .onConflict((conflict) => conflict.columns(['org_id', 'day', 'grant_type']).doUpdateSet((eb) => ({ count: eb('token_issuance_days.count', '+', eb.ref('excluded.count')) })))
        .execute();
    }
    return deleted.length;
  });
}

/**
 * Access tokens issued per UTC day and grant by `orgId` since `sinceDay`: those the purge counted
 * and deleted, plus those still stored (each token is in exactly one of the two), in one grouped
 * statement. The stored ones are found through the expires_at index (a token issued since then
 * expires after it): access_tokens has no index by organization, its inserts being the hot path.
 */
export async function countAccessTokensIssuedPerDay(db: Executor, orgId: string, sinceDay: number): Promise<Array<{ day: number; grantType: string; count: number }>> {
  const since = sinceDay * DAY_MS;
  const result = await sql<{ day: number | string; grant_type: string; n: number | string }>`
    select day, grant_type, sum(n) as n from (
      select day, grant_type, count as n from token_issuance_days where org_id = ${orgId} and day >= ${sinceDay}
      union all
      select created_at / ${sql.lit(DAY_MS)} as day, grant_type, 1 as n from access_tokens
        where org_id = ${orgId} and expires_at >= ${since} and created_at >= ${since} and grant_type is not null
    ) issued group by day, grant_type`.execute(db);
  // PostgreSQL answers bigint and sum() as strings.
  return result.rows.map((row) => ({ day: Number(row.day), grantType: row.grant_type, count: Number(row.n) }));
}
