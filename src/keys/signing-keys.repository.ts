import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { SigningKeysTable } from './signing-keys.table.ts';
import type { SigningAlg, SigningKeyInfo, StoredSigningKey } from './signing-key.ts';

type Row = Selectable<SigningKeysTable>;

function toStoredKey(row: Row): StoredSigningKey {
  return {
    orgId: row.org_id,
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    privateJwkSealed: row.private_jwk_sealed,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
    publishUntil: row.publish_until,
  };
}

export async function insertSigningKey(db: Executor, key: StoredSigningKey): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({
      org_id: key.orgId,
      kid: key.kid,
      alg: key.alg,
      public_jwk: key.publicJwk,
      private_jwk_sealed: key.privateJwkSealed,
      created_at: key.createdAt,
      retired_at: key.retiredAt,
      publish_until: key.publishUntil,
    })
    .execute();
}

/** The key that signs for `alg` in this organization, if there is one yet. */
export async function findActiveKey(db: Executor, orgId: string, alg: SigningAlg): Promise<StoredSigningKey | undefined> {
  const row = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('alg', '=', alg)
    .where('retired_at', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return row && toStoredKey(row);
}

/** The keys that belong in the JWKS at `now`: the active ones, and retired ones until their publish_until. Newest first. */
export async function findPublishedKeys(db: Executor, orgId: string, now: number): Promise<StoredSigningKey[]> {
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('publish_until', '>', now)]))
    .orderBy('created_at', 'desc')
    .orderBy('kid')
    .execute();
  return rows.map(toStoredKey);
}

/**
 * Stops the active key of `alg` signing, keeping it published until `publishUntil`. Returns its
 * kid, or null when the organization had none. Call inside the transaction that adds the successor.
 */
export async function retireActiveKey(
  db: Executor,
  orgId: string,
  alg: SigningAlg,
  at: { readonly retiredAt: number; readonly publishUntil: number },
): Promise<string | null> {
  const rows = await db
    .updateTable('signing_keys')
    .set({ retired_at: at.retiredAt, publish_until: at.publishUntil })
    .where('org_id', '=', orgId)
    .where('alg', '=', alg)
    .where('retired_at', 'is', null)
    .returning('kid')
    .execute();
  return rows[0]?.kid ?? null;
}

/** Every key of the organization, newest first, without key material. */
export async function listSigningKeys(db: Executor, orgId: string): Promise<SigningKeyInfo[]> {
  const rows = await db
    .selectFrom('signing_keys')
    .select(['kid', 'alg', 'created_at', 'retired_at', 'publish_until'])
    .where('org_id', '=', orgId)
    .orderBy('created_at', 'desc')
    .orderBy('kid')
    .execute();
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    status: row.retired_at === null ? 'active' : 'retired',
    createdAt: row.created_at,
    retiredAt: row.retired_at,
    publishUntil: row.publish_until,
  }));
}
