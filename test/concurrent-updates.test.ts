import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { disableConstituent, getConstituent, setConstituentPassword, updateConstituent } from '../src/accounts/constituent-admin.ts';
import { getClient, rotateClientSecret, updateClient } from '../src/clients/client-admin.ts';
import type { Executor } from '../src/db/database.ts';
import { systemClock } from '../src/lib/clock.ts';
import { CLI_OPERATOR } from '../src/staff/actor.ts';
import { ConflictError, StaleVersionError } from '../src/lib/errors.ts';
import { updateOrganization } from '../src/orgs/orgs.ts';
import { findOrganizationById } from '../src/orgs/orgs.ts';
import { getStaffUser, updateStaffUser } from '../src/staff/staff-admin.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

/**
 * Races are made deterministic: while `races.left` > 0, each conditional UPDATE of a versioned
 * row is preceded, in the same transaction, by another writer's change of that row (its
 * updated_at moves on), exactly what a concurrent transaction committing between the use
 * case's read and its write looks like.
 */
const races = vi.hoisted(() => ({ left: 0 }));

async function anotherWriter(db: Executor, table: 'organizations' | 'clients' | 'constituents' | 'staff_users', where: Record<string, string>, expectedUpdatedAt: number): Promise<void> {
  if (races.left === 0) return;
  races.left--;
  let update = db.updateTable(table as 'clients').set({ updated_at: expectedUpdatedAt + 1 });
  for (const [column, value] of Object.entries(where)) update = update.where(column as 'id', '=', value);
  await update.execute();
}

vi.mock('../src/orgs/orgs.repository.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/orgs/orgs.repository.ts')>();
  return {
    ...original,
    updateOrganizationRow: async (...args: Parameters<typeof original.updateOrganizationRow>) => {
      await anotherWriter(args[0], 'organizations', { id: args[1] }, args[3]);
      return original.updateOrganizationRow(...args);
    },
  };
});
vi.mock('../src/clients/clients.repository.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/clients/clients.repository.ts')>();
  return {
    ...original,
    updateClientRow: async (...args: Parameters<typeof original.updateClientRow>) => {
      await anotherWriter(args[0], 'clients', { org_id: args[1], id: args[2] }, args[4]);
      return original.updateClientRow(...args);
    },
  };
});
vi.mock('../src/accounts/constituents.repository.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/accounts/constituents.repository.ts')>();
  return {
    ...original,
    updateConstituentRow: async (...args: Parameters<typeof original.updateConstituentRow>) => {
      await anotherWriter(args[0], 'constituents', { org_id: args[1], account_id: args[2] }, args[4]);
      return original.updateConstituentRow(...args);
    },
  };
});
vi.mock('../src/staff/staff.repository.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/staff/staff.repository.ts')>();
  return {
    ...original,
    updateStaffUserRow: async (...args: Parameters<typeof original.updateStaffUserRow>) => {
      await anotherWriter(args[0], 'staff_users', { org_id: args[1], id: args[2] }, args[4]);
      return original.updateStaffUserRow(...args);
    },
  };
});

// Regression: a change sent without If-Match answered 412 (version_mismatch) when another
// change committed between its read and its write, though it named no version to mismatch.
describe.each(DIALECTS)('updates racing a concurrent change on %s', (dialect) => {
  let store: TestStore;
  let seeded: SeededOrg;
  let clientId: string;
  let staffUserId: string;

  beforeAll(async () => {
    store = await createTestStore(dialect);
    const db = store.storage.db;
    seeded = await seedOrg(db, 'acme');
    clientId = (await seedClient(db, seeded.org.id)).clientId;
    staffUserId = (await createStaffUser(db, systemClock, seeded.org.id, { email: 'dev@acme.example', role: 'developer' })).userId;
  });
  afterAll(async () => {
    races.left = 0;
    await store?.dispose();
  });

  const db = () => store.storage.db;
  const orgId = () => seeded.org.id;
  const accountId = () => seeded.constituent.accountId;
  /** The staff operations' context: the CLI's operator, who may do everything. */
  const operator = () => ({ db: db(), clock: systemClock, org: seeded.org, actor: CLI_OPERATOR });
  const versionOfOrg = async () => (await findOrganizationById(db(), orgId()))!.updatedAt;

  /** Each use case, run with an optional expected version (If-Match). */
  const cases: ReadonlyArray<{ name: string; run: (expectedVersion?: number) => Promise<unknown>; version?: () => Promise<number> }> = [
    { name: 'updateOrganization', version: versionOfOrg, run: (v) => updateOrganization(db(), systemClock, orgId(), { codeTtlSeconds: 45 }, { expectedVersion: v }) },
    { name: 'updateClient', version: async () => (await getClient(operator(), clientId)).updatedAt, run: (v) => updateClient(operator(), clientId, { name: 'Renamed' }, { expectedVersion: v }) },
    { name: 'rotateClientSecret', run: () => rotateClientSecret(operator(), clientId) },
    { name: 'updateConstituent', version: async () => (await getConstituent(operator(), accountId())).updatedAt, run: (v) => updateConstituent(operator(), accountId(), { name: 'Alice Renamed' }, { expectedVersion: v }) },
    { name: 'setConstituentPassword', run: () => setConstituentPassword(operator(), accountId(), 'another long passphrase') },
    { name: 'disableConstituent', run: () => disableConstituent(operator(), accountId()) },
    { name: 'updateStaffUser', version: async () => (await getStaffUser(operator(), staffUserId)).updatedAt, run: (v) => updateStaffUser(operator(), staffUserId, { name: `Dev ${Date.now()}` }, { expectedVersion: v }) },
  ];

  it.each(cases)('$name without a version applies on the version now current after losing one race', async ({ run }) => {
    races.left = 1;
    await expect(run()).resolves.toBeDefined();
    expect(races.left).toBe(0);
  });

  it.each(cases)('$name without a version answers a conflict (409), not a stale version (412), after losing twice', async ({ run }) => {
    races.left = 2;
    const error = await run().then(() => undefined, (e: unknown) => e);
    races.left = 0;
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).not.toBeInstanceOf(StaleVersionError);
    expect((error as ConflictError).field).toBe('version');
  });

  it.each(cases.filter((c) => c.version !== undefined))('$name under If-Match keeps 412 when it loses the race: the version it named is gone', async ({ run, version }) => {
    const current = await version!();
    races.left = 1;
    const error = await run(current).then(() => undefined, (e: unknown) => e);
    races.left = 0;
    expect(error).toBeInstanceOf(StaleVersionError);
  });
});
