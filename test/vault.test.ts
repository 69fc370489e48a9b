import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVault,
  DataKeyUnavailableError,
  dataKeyIdOf,
  DEFAULT_ACTIVE_KEY_TTL_MS,
  VaultOpenError,
  type Vault,
  type VaultOpenFailure,
} from '../src/connectors/vault/vault.ts';
import { resealColumn, type SealedColumn } from '../src/connectors/vault/reseal.ts';
import type { Db } from '../src/db/database.ts';
import { migrateToLatest, migratorFor } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { createSealer } from '../src/keys/sealing.ts';
import type { Clock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createTestStore, DIALECTS, TEST_DATABASE_URL, type TestStore } from './helpers/storage.ts';

const T0 = 1_700_000_000_000;
const rootSealer = createSealer(randomBytes(32));
const SECRET = 'ya29.third-party-access-token';
/** v1.<data key id>.<96-bit iv>.<ciphertext>.<128-bit tag>, base64url parts. */
const VAULT_VALUE = /^v1\.dk_[a-z2-7]{16}\.[\w-]{16}\.[\w-]*\.[\w-]{22}$/;

/** A clock the test moves by hand. */
function manualClock(start = T0): Clock & { advance(ms: number): void } {
  let now = start;
  return Object.assign(() => now, { advance: (ms: number) => void (now += ms) });
}

/** The store, counting every query started through it, to show what reaches the database. */
function countingDb(db: Db): { db: Db; queries: () => number } {
  let count = 0;
  const proxy = new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (['selectFrom', 'insertInto', 'updateTable', 'deleteFrom', 'transaction'].includes(String(property))) count++;
      return value.bind(target);
    },
  });
  return { db: proxy, queries: () => count };
}

/** Flips one bit of one base64url part of a sealed value. */
function flipBit(sealed: string, part: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0]! ^= 1;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

async function failureOf(attempt: Promise<unknown>): Promise<VaultOpenFailure> {
  const error = await attempt.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof VaultOpenError)) throw new Error(`expected a VaultOpenError, got ${String(error)}`);
  expect(error.message).not.toContain(SECRET);
  return error.failure;
}

/**
 * What a second process's vault works through: on PostgreSQL a pool of its own; on SQLite the same
 * connection (each vault keeps its own caches, as a process would). node:sqlite is synchronous, so
 * a second connection in this thread waiting for the first one's write lock would block the very
 * thread that must release it, until the busy timeout.
 */
async function secondProcessStore(store: TestStore): Promise<{ readonly db: Db; close(): Promise<void> }> {
  if (store.storage.dialect === 'sqlite') return { db: store.storage.db, close: async () => {} };
  return openPostgres({ connectionString: TEST_DATABASE_URL, schema: store.storage.schema, maxConnections: 5 });
}

// A table standing for the owners of vault values to come (app connectors, account connectors),
// made by this test only: resealColumn is written against the SealedColumn pair, not a table.
interface TestSecretsTable {
  org_id: string;
  id: string;
  secret_sealed: string | null;
}

function testSecretsColumn(db: Db, hooks: { beforeReplace?: (id: string) => Promise<void> } = {}): SealedColumn {
  const tables = db.withTables<{ test_secrets: TestSecretsTable }>();
  return {
    name: 'test_secrets.secret_sealed',
    async listAfter(orgId, afterId, limit) {
      let query = tables.selectFrom('test_secrets').select(['id', 'secret_sealed']).where('org_id', '=', orgId).where('secret_sealed', 'is not', null);
      if (afterId !== null) query = query.where('id', '>', afterId);
      const rows = await query.orderBy('id').limit(limit).execute();
      return rows.map((row) => ({ id: row.id, ciphertext: row.secret_sealed!, aad: secretAad(row.id) }));
    },
    async replaceIfUnchanged(orgId, value) {
      await hooks.beforeReplace?.(value.id);
      const result = await tables
        .updateTable('test_secrets')
        .set({ secret_sealed: value.ciphertext })
        .where('org_id', '=', orgId)
        .where('id', '=', value.id)
        .where('secret_sealed', '=', value.previous)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

const secretAad = (id: string): string => `test_secret:${id}:secret`;

describe.each(DIALECTS)('the vault on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore(dialect);
    await store.storage.db.schema
      .createTable('test_secrets')
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('secret_sealed', 'text')
      .addPrimaryKeyConstraint('test_secrets_pk', ['org_id', 'id'])
      .execute();
  });
  afterAll(async () => {
    await store?.dispose();
  });
  const db = (): Db => store.storage.db;
  let orgCount = 0;
  const newOrg = async (): Promise<string> => (await createOrganization(db(), () => T0, { slug: `vault-${dialect}-${++orgCount}` })).id;
  const keyRows = (orgId: string) => db().selectFrom('vault_data_keys').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute();
  const activeRows = async (orgId: string) => (await keyRows(orgId)).filter((row) => row.retired_at === null);

  it('seal under the organization data key made on first use, naming it in the value, and open what it sealed', async () => {
    const vault = createVault(db(), rootSealer, () => T0);
    const orgId = await newOrg();
    expect(await keyRows(orgId)).toEqual([]);
    const sealed = await vault.seal(orgId, SECRET, 'app_connector:ac_1:client_secret');
    expect(sealed).toMatch(VAULT_VALUE);
    expect(sealed).not.toContain(SECRET);
    const [row, ...others] = await keyRows(orgId);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ org_id: orgId, id: dataKeyIdOf(sealed), created_at: T0, retired_at: null });
    // The data key itself is stored sealed under the root key, bound to its org and id.
    expect(row!.sealed_key).toMatch(new RegExp(`^v1\\.${rootSealer.keyId}\\.`));
    expect(rootSealer.open(row!.sealed_key, `vault_data_key:${orgId}:${row!.id}`)).toHaveLength(32);
    expect(await vault.open(orgId, sealed, 'app_connector:ac_1:client_secret')).toBe(SECRET);
    // A fresh IV each time, under the same key.
    const again = await vault.seal(orgId, SECRET, 'app_connector:ac_1:client_secret');
    expect(again).not.toBe(sealed);
    expect(dataKeyIdOf(again)).toBe(dataKeyIdOf(sealed));
    expect(await vault.seal(orgId, '', 'empty')).toMatch(VAULT_VALUE);
    expect(await vault.open(orgId, await vault.seal(orgId, '', 'empty'), 'empty')).toBe('');
  });

  it('open with a data key in memory without a query; a process that has not seen the key reads it once', async () => {
    const orgId = await newOrg();
    const counted = countingDb(db());
    const vault = createVault(counted.db, rootSealer, () => T0);
    const sealed = await vault.seal(orgId, SECRET, 'aad');
    const afterSeal = counted.queries();
    for (let i = 0; i < 50; i++) expect(await vault.open(orgId, sealed, 'aad')).toBe(SECRET);
    await vault.seal(orgId, 'another', 'aad');
    expect(counted.queries()).toBe(afterSeal);

    // Another process (its own vault and caches) finds the key the first one created.
    const other = countingDb(db());
    const otherVault = createVault(other.db, rootSealer, () => T0);
    const opened = await Promise.all(Array.from({ length: 10 }, () => otherVault.open(orgId, sealed, 'aad')));
    expect(opened).toEqual(Array(10).fill(SECRET));
    expect(other.queries()).toBe(1);
  });

  it('refuse a tampered value: iv, ciphertext, tag, key id, truncation, another format', async () => {
    const vault = createVault(db(), rootSealer, () => T0);
    const orgId = await newOrg();
    const sealed = await vault.seal(orgId, SECRET, 'aad');
    for (const part of [2, 3, 4]) expect(await failureOf(vault.open(orgId, flipBit(sealed, part), 'aad'))).toBe('rejected');
    const parts = sealed.split('.');
    expect(await failureOf(vault.open(orgId, [...parts.slice(0, 4), parts[4]!.slice(0, 8)].join('.'), 'aad'))).toBe('rejected');
    expect(await failureOf(vault.open(orgId, parts.slice(0, 4).join('.'), 'aad'))).toBe('malformed');
    expect(await failureOf(vault.open(orgId, `v2.${parts.slice(1).join('.')}`, 'aad'))).toBe('malformed');
    expect(await failureOf(vault.open(orgId, 'not sealed at all', 'aad'))).toBe('malformed');
    expect(await failureOf(vault.open(orgId, '', 'aad'))).toBe('malformed');
    // A value sealed under the root key (a signing key's) is no vault value.
    expect(await failureOf(vault.open(orgId, rootSealer.seal(SECRET, 'aad'), 'aad'))).toBe('malformed');
    // A key id this organization never had.
    expect(await failureOf(vault.open(orgId, [parts[0], 'dk_aaaaaaaaaaaaaaaa', ...parts.slice(2)].join('.'), 'aad'))).toBe('unknown_key');
    expect(await vault.open(orgId, sealed, 'aad')).toBe(SECRET);
  });

  it('refuse a value moved to another row or field (another associated data)', async () => {
    const vault = createVault(db(), rootSealer, () => T0);
    const orgId = await newOrg();
    const sealed = await vault.seal(orgId, SECRET, 'account_connector:acn_1:access_token');
    expect(await failureOf(vault.open(orgId, sealed, 'account_connector:acn_2:access_token'))).toBe('rejected');
    expect(await failureOf(vault.open(orgId, sealed, 'account_connector:acn_1:refresh_token'))).toBe('rejected');
    expect(await vault.open(orgId, sealed, 'account_connector:acn_1:access_token')).toBe(SECRET);
  });

  it("refuse another organization's value, even relabelled with a key id of the organization opening it", async () => {
    const vault = createVault(db(), rootSealer, () => T0);
    const [a, b] = [await newOrg(), await newOrg()];
    const ofA = await vault.seal(a, SECRET, 'aad');
    expect(await failureOf(vault.open(b, ofA, 'aad'))).toBe('unknown_key');
    const keyOfB = dataKeyIdOf(await vault.seal(b, 'of b', 'aad'));
    const relabelled = ofA.replace(dataKeyIdOf(ofA), keyOfB);
    expect(await failureOf(vault.open(b, relabelled, 'aad'))).toBe('rejected');
    // A's data key row copied into B (same id and sealed key) does not open there either.
    const [rowOfA] = await keyRows(a);
    await db().insertInto('vault_data_keys').values({ ...rowOfA!, org_id: b, retired_at: T0 }).execute();
    await expect(createVault(db(), rootSealer, () => T0).open(b, ofA, 'aad')).rejects.toThrowError(DataKeyUnavailableError);
    expect(await vault.open(a, ofA, 'aad')).toBe(SECRET);
  });

  it('say so when the configured root key does not open the data keys, and rotate nothing then', async () => {
    const orgId = await newOrg();
    const sealed = await createVault(db(), rootSealer, () => T0).seal(orgId, SECRET, 'aad');
    const misconfigured = createVault(db(), createSealer(randomBytes(32)), () => T0);
    const error = await misconfigured.open(orgId, sealed, 'aad').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataKeyUnavailableError);
    expect(error).toMatchObject({ orgId, keyId: dataKeyIdOf(sealed) });
    expect(String(error)).not.toContain(SECRET);
    await expect(misconfigured.seal(orgId, SECRET, 'aad')).rejects.toThrowError(DataKeyUnavailableError);
    const before = await keyRows(orgId);
    await expect(misconfigured.rotateDataKey(orgId)).rejects.toThrowError(DataKeyUnavailableError);
    expect(await keyRows(orgId)).toEqual(before);
  });

  it('rotate: a new key seals, the retired one still opens what it sealed, here and in another process', async () => {
    const clock = manualClock();
    const vault = createVault(db(), rootSealer, clock);
    const orgId = await newOrg();
    const old = await vault.seal(orgId, SECRET, 'aad');
    clock.advance(1000);
    const rotation = await vault.rotateDataKey(orgId);
    expect(rotation).toEqual({ keyId: expect.stringMatching(/^dk_/), retiredKeyId: dataKeyIdOf(old) });
    expect((await keyRows(orgId)).map((row) => [row.id, row.created_at, row.retired_at])).toEqual([
      [rotation.retiredKeyId, T0, T0 + 1000],
      [rotation.keyId, T0 + 1000, null],
    ]);
    expect(await vault.listDataKeys(orgId)).toEqual([
      { id: rotation.keyId, status: 'active', createdAt: T0 + 1000, retiredAt: null },
      { id: rotation.retiredKeyId, status: 'retired', createdAt: T0, retiredAt: T0 + 1000 },
    ]);
    const fresh = await vault.seal(orgId, 'new secret', 'aad');
    expect(dataKeyIdOf(fresh)).toBe(rotation.keyId);
    expect(await vault.open(orgId, old, 'aad')).toBe(SECRET);
    const other = createVault(db(), rootSealer, clock);
    expect(await other.open(orgId, old, 'aad')).toBe(SECRET);
    expect(await other.open(orgId, fresh, 'aad')).toBe('new secret');
    // An organization without a key yet gets its first one.
    const unused = await newOrg();
    expect(await vault.rotateDataKey(unused)).toEqual({ keyId: expect.stringMatching(/^dk_/), retiredKeyId: null });
    expect(await activeRows(unused)).toHaveLength(1);
  });

  it("seal under another process's new key once its active key has been in memory for the TTL", async () => {
    const clock = manualClock();
    const server = createVault(db(), rootSealer, clock);
    const orgId = await newOrg();
    const before = dataKeyIdOf(await server.seal(orgId, SECRET, 'aad'));
    const { keyId } = await createVault(db(), rootSealer, clock).rotateDataKey(orgId);
    clock.advance(DEFAULT_ACTIVE_KEY_TTL_MS - 1);
    expect(dataKeyIdOf(await server.seal(orgId, SECRET, 'aad'))).toBe(before);
    clock.advance(1);
    expect(dataKeyIdOf(await server.seal(orgId, SECRET, 'aad'))).toBe(keyId);
  });

  it('end with one active data key when two processes seal for a fresh organization at once', async () => {
    const second = await secondProcessStore(store);
    try {
      for (let round = 0; round < 3; round++) {
        const orgId = await newOrg();
        const [one, two] = [createVault(db(), rootSealer, () => T0), createVault(second.db, rootSealer, () => T0)];
        const sealed = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : two).seal(orgId, `secret ${i}`, `row ${i}`)));
        const active = await activeRows(orgId);
        expect(active).toHaveLength(1);
        expect(await keyRows(orgId)).toHaveLength(1);
        expect(new Set(sealed.map(dataKeyIdOf))).toEqual(new Set([active[0]!.id]));
        // Each opens what the other sealed.
        for (const [i, value] of sealed.entries()) expect(await (i % 2 === 0 ? two : one).open(orgId, value, `row ${i}`)).toBe(`secret ${i}`);
      }
    } finally {
      await second.close();
    }
  });

  // The race above, pinned: the losing process read no key, then the other's insert landed first.
  it('seal under the key another process inserted between this one reading none and inserting its own', async () => {
    const orgId = await newOrg();
    const first = createVault(db(), rootSealer, () => T0);
    const sealedFirst = await first.seal(orgId, SECRET, 'aad');
    let reads = 0;
    const readTooEarly = new Proxy(db(), {
      get(target, property) {
        // Its first read of the keys sees the store as it was before the other process's insert: empty.
        if (property === 'selectFrom' && reads++ === 0) return (table: 'vault_data_keys') => target.selectFrom(table).where(sql<boolean>`1 = 0`);
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const late = createVault(readTooEarly, rootSealer, () => T0);
    const sealedLate = await late.seal(orgId, 'later', 'aad');
    expect(reads).toBeGreaterThan(1);
    expect(dataKeyIdOf(sealedLate)).toBe(dataKeyIdOf(sealedFirst));
    expect(await keyRows(orgId)).toHaveLength(1);
    expect(await first.open(orgId, sealedLate, 'aad')).toBe('later');
    expect(await late.open(orgId, sealedFirst, 'aad')).toBe(SECRET);
  });

  it('end with one active data key when two processes rotate at once, every value still opening', async () => {
    const second = await secondProcessStore(store);
    try {
      const orgId = await newOrg();
      const [one, two] = [createVault(db(), rootSealer, () => T0), createVault(second.db, rootSealer, () => T0)];
      const sealed = await one.seal(orgId, SECRET, 'aad');
      const rotations = await Promise.all([one.rotateDataKey(orgId), two.rotateDataKey(orgId), one.rotateDataKey(orgId), two.rotateDataKey(orgId)]);
      const active = await activeRows(orgId);
      expect(active).toHaveLength(1);
      // The last rotation to commit names the key now active (a rotation that lost a race names the winner's).
      expect(rotations.map((r) => r.keyId)).toContain(active[0]!.id);
      expect(await two.open(orgId, sealed, 'aad')).toBe(SECRET);
      expect(dataKeyIdOf(await two.seal(orgId, SECRET, 'aad'))).toBe(active[0]!.id);
    } finally {
      await second.close();
    }
  });

  it('re-seal a table column under the active key in batches, leaving rows changed meanwhile and damaged rows as they are', async () => {
    const vault = createVault(db(), rootSealer, () => T0);
    const orgId = await newOrg();
    const ids = Array.from({ length: 25 }, (_, i) => `row_${String(i).padStart(2, '0')}`);
    const tables = db().withTables<{ test_secrets: TestSecretsTable }>();
    for (const id of ids) {
      await tables.insertInto('test_secrets').values({ org_id: orgId, id, secret_sealed: await vault.seal(orgId, `secret of ${id}`, secretAad(id)) }).execute();
    }
    await tables.insertInto('test_secrets').values({ org_id: orgId, id: 'row_never_set', secret_sealed: null }).execute();
    const damaged = flipBit(await vault.seal(orgId, 'damaged', secretAad('row_03')), 3);
    await tables.updateTable('test_secrets').set({ secret_sealed: damaged }).where('org_id', '=', orgId).where('id', '=', 'row_03').execute();
    // Another org's rows are not this pass's.
    const otherOrg = await newOrg();
    const otherValue = await vault.seal(otherOrg, 'other', secretAad('row_00'));
    await tables.insertInto('test_secrets').values({ org_id: otherOrg, id: 'row_00', secret_sealed: otherValue }).execute();

    const { keyId, retiredKeyId } = await vault.rotateDataKey(orgId);
    // A server refreshes row_17 between the pass's read and its write.
    const refreshed = await vault.seal(orgId, 'refreshed secret', secretAad('row_17'));
    const column = testSecretsColumn(db(), {
      beforeReplace: async (id) => {
        if (id === 'row_17') await tables.updateTable('test_secrets').set({ secret_sealed: refreshed }).where('org_id', '=', orgId).where('id', '=', id).execute();
      },
    });
    const report = await resealColumn(vault, orgId, column, { batchSize: 10 });
    expect(report).toEqual({ column: 'test_secrets.secret_sealed', examined: 25, resealed: 23, alreadyCurrent: 0, changedMeanwhile: 1, unopenable: [{ id: 'row_03', failure: 'rejected' }] });

    const rows = await tables.selectFrom('test_secrets').selectAll().where('org_id', '=', orgId).orderBy('id').execute();
    for (const row of rows) {
      if (row.id === 'row_never_set') expect(row.secret_sealed).toBeNull();
      else if (row.id === 'row_03') expect(row.secret_sealed).toBe(damaged);
      else if (row.id === 'row_17') expect(row.secret_sealed).toBe(refreshed);
      else {
        expect(dataKeyIdOf(row.secret_sealed!)).toBe(keyId);
        expect(await vault.open(orgId, row.secret_sealed!, secretAad(row.id))).toBe(`secret of ${row.id}`);
      }
    }
    expect(dataKeyIdOf(refreshed)).toBe(keyId);
    expect((await tables.selectFrom('test_secrets').select('secret_sealed').where('org_id', '=', otherOrg).executeTakeFirstOrThrow()).secret_sealed).toBe(otherValue);
    expect(retiredKeyId).not.toBe(keyId);

    // A second pass finds nothing left to do but the damaged row.
    const again = await resealColumn(vault, orgId, testSecretsColumn(db()), { batchSize: 7 });
    expect(again).toEqual({ column: 'test_secrets.secret_sealed', examined: 25, resealed: 0, alreadyCurrent: 24, changedMeanwhile: 0, unopenable: [{ id: 'row_03', failure: 'rejected' }] });
  });

  it('re-seal under the key active in the store, even when this process still holds the one before', async () => {
    const clock = manualClock();
    const server = createVault(db(), rootSealer, clock);
    const orgId = await newOrg();
    const value = await server.seal(orgId, SECRET, 'aad');
    const { keyId } = await createVault(db(), rootSealer, clock).rotateDataKey(orgId);
    const outcome = await server.reseal(orgId, [{ id: 'r1', ciphertext: value, aad: 'aad' }]);
    expect(outcome.resealed.map((v) => dataKeyIdOf(v.ciphertext))).toEqual([keyId]);
    expect(outcome.resealed[0]).toMatchObject({ id: 'r1', previous: value });
    expect(await server.open(orgId, outcome.resealed[0]!.ciphertext, 'aad')).toBe(SECRET);
  });
});

describe.each(DIALECTS)('migration 0011_vault_data_keys on %s', (dialect) => {
  let store: TestStore | undefined;
  afterAll(async () => {
    await store?.dispose();
  });

  it('holds one active key per organization in the store, and goes down and up again', async () => {
    store = await createTestStore(dialect);
    const db = store.storage.db;
    const orgId = (await createOrganization(db, () => T0, { slug: 'acme' })).id;
    const row = (id: string, retiredAt: number | null) => ({ org_id: orgId, id, sealed_key: 'sealed', created_at: T0, retired_at: retiredAt });
    await db.insertInto('vault_data_keys').values([row('dk_1', T0), row('dk_2', T0), row('dk_3', null)]).execute();
    await expect(db.insertInto('vault_data_keys').values(row('dk_4', null)).execute()).rejects.toThrowError(/unique|duplicate/i);

    const migrator = migratorFor(store.storage);
    expect((await migrator.migrateTo('0010_client_auth_networks')).error).toBeUndefined();
    await expect(db.selectFrom('vault_data_keys').selectAll().execute()).rejects.toThrowError(/vault_data_keys/);
    expect((await migrateToLatest(store.storage)).applied).toEqual(['0011_vault_data_keys', '0012_connectors', '0013_connector_refresh_lease', '0014_connector_signin_tokens', '0015_connector_auth_attempts', '0016_webhooks', '0017_connector_refresh_schedule', '0018_token_issuance_days']);
    expect(await db.selectFrom('vault_data_keys').selectAll().execute()).toEqual([]);
  });
});
