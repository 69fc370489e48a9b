import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/clients/clients.ts';
import { openPostgres } from '../src/db/postgres.ts';
import type { Clock } from '../src/lib/clock.ts';
import { credentialKey, mintOpaqueCredential } from '../src/oauth/credentials/credentials.ts';
import { findAccessToken, insertGrantCredentials } from '../src/oauth/credentials/credentials.repository.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createTestStore, DIALECTS, TEST_DATABASE_URL, type TestStore } from './helpers/storage.ts';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const clock: Clock = () => NOW;

describe.each(DIALECTS)('precompiled statements on %s', (dialect) => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.dispose();
    store = undefined;
  });

  // A deployment migrates (adding a column) while servers keep running: a statement prepared
  // before must go on working, so precompiled statements name their columns instead of `*`.
  it('keep working when a migration adds a column to their table while the server runs', async () => {
    store = await createTestStore(dialect);
    const db = store.storage.db;
    const org = await createOrganization(db, clock, { slug: 'acme', name: 'Acme' });
    const client = await createClient(db, clock, org.id, { name: 'Svc', clientType: 'confidential', redirectUris: [], grantTypes: ['client_credentials'], scope: 'api', consentRequired: false });
    const token = mintOpaqueCredential(NOW);
    await insertGrantCredentials(db, { access: { id: token.id, hash: token.hash, orgId: org.id, clientId: client.clientId, familyId: null, accountId: null, scope: 'api', createdAt: NOW, expiresAt: NOW + 60_000 } });
    // Every connection of the pool prepares the statement before the schema changes.
    for (let i = 0; i < 10; i++) expect(await findAccessToken(db, org.id, credentialKey(token.value))).toMatchObject({ scope: 'api' });
    await sql`alter table access_tokens add column later_column text`.execute(db);
    for (let i = 0; i < 10; i++) expect(await findAccessToken(db, org.id, credentialKey(token.value))).toMatchObject({ scope: 'api' });
  });
});

describe('precompiled statements on postgres', () => {
  it('are prepared once per connection, by name', async () => {
    const store = await createTestStore('postgres');
    const single = await openPostgres({ connectionString: TEST_DATABASE_URL, schema: store.storage.schema, maxConnections: 1 });
    try {
      const org = await createOrganization(single.db, clock, { slug: 'acme', name: 'Acme' });
      await findAccessToken(single.db, org.id, credentialKey(mintOpaqueCredential(NOW).value));
      await findAccessToken(single.db, org.id, credentialKey(mintOpaqueCredential(NOW).value));
      const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(single.db);
      const prepared = rows.filter((r) => r.statement.includes('"access_tokens"'));
      expect(prepared).toHaveLength(1);
      expect(prepared[0]!.name).toMatch(/^gatehouse_\d+$/);
    } finally {
      await single.close();
      await store.dispose();
    }
  });
});
