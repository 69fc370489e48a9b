import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, migratorFor } from '../src/db/migrate.ts';
import type { Clock } from '../src/lib/clock.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { credentialKey, mintOpaqueCredential } from '../src/oauth/credentials/credentials.ts';
import { consumeCode, findAccessToken, insertGrantCredentials, rotateRefreshToken } from '../src/oauth/credentials/credentials.repository.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const clock: Clock = () => NOW;
const HOUR = 3_600_000;

// Credentials issued before 0006_credential_ids are 43 random characters whose rows were keyed by
// their SHA-256. After the migration they must keep working, and going back down must keep
// working for the credentials issued since.
describe.each(DIALECTS)('migration 0006_credential_ids on %s', (dialect) => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.dispose();
    store = undefined;
  });

  it('keeps codes, access and refresh tokens issued before it usable, and comes back down without losing any', async () => {
    store = await createTestStore(dialect, { migrate: false });
    const migrator = migratorFor(store.storage);
    const before = await migrator.migrateTo('0005_client_lifecycle');
    expect(before.error).toBeUndefined();
    const db = store.storage.db;
    const org = await createOrganization(db, clock, { slug: 'acme', name: 'Acme' });
    const raw = db as unknown as Kysely<any>;
    // Written as that schema had it: createClient writes the columns of today's.
    const client = { clientId: 'app' };
    await raw.insertInto('clients').values({ id: client.clientId, org_id: org.id, name: 'App', client_type: 'confidential', secret_hash: 'h', redirect_uris: '["https://app.example/cb"]', post_logout_redirect_uris: '[]', grant_types: '["authorization_code","refresh_token"]', scope: 'openid', consent_required: 1, code_ttl_seconds: null, status: 'active', created_at: NOW, updated_at: NOW }).execute();

    const legacy = { code: 'c0deC0deC0deC0deC0deC0deC0deC0deC0deC0deC0d', access: 'accessAccessAccessAccessAccessAccessAccessA', refresh: 'refreshRefreshRefreshRefreshRefreshRefresh' };
    const owned = { org_id: org.id, client_id: client.clientId };
    await raw.insertInto('token_families').values({ id: 'fam1', ...owned, account_id: '1001', scope: 'openid', auth_time: NOW, created_at: NOW, expires_at: NOW + HOUR, revoked_at: null }).execute();
    await raw
      .insertInto('authorization_codes')
      .values({ code_hash: hashSecret(legacy.code), ...owned, account_id: '1001', family_id: 'fam2', redirect_uri: 'https://app.example/cb', scope: 'openid', nonce: null, code_challenge: null, code_challenge_method: null, auth_time: NOW, session_id: null, created_at: NOW, expires_at: NOW + HOUR, consumed_at: null })
      .execute();
    await raw.insertInto('access_tokens').values({ token_hash: hashSecret(legacy.access), ...owned, family_id: 'fam1', account_id: '1001', scope: 'openid', created_at: NOW, expires_at: NOW + HOUR, revoked_at: null }).execute();
    await raw
      .insertInto('refresh_tokens')
      .values({ token_hash: hashSecret(legacy.refresh), ...owned, family_id: 'fam1', account_id: '1001', scope: 'openid', auth_time: NOW, created_at: NOW, expires_at: NOW + HOUR, rotated_at: null, revoked_at: null })
      .execute();

    expect((await migrateToLatest(store.storage)).applied).toContain('0006_credential_ids');

    expect(await findAccessToken(db, org.id, credentialKey(legacy.access))).toMatchObject({ id: hashSecret(legacy.access), familyId: 'fam1', scope: 'openid' });
    expect(await consumeCode(db, org.id, client.clientId, credentialKey(legacy.code), NOW)).toMatchObject({ familyId: 'fam2', consumedAt: NOW });
    expect(await rotateRefreshToken(db, org.id, client.clientId, credentialKey(legacy.refresh), NOW)).toMatchObject({ familyId: 'fam1', rotatedAt: NOW });
    // Another organization finds none of them.
    const other = await createOrganization(db, clock, { slug: 'other', name: 'Other' });
    expect(await findAccessToken(db, other.id, credentialKey(legacy.access))).toBeUndefined();

    const fresh = mintOpaqueCredential(NOW);
    await insertGrantCredentials(db, { access: { id: fresh.id, hash: fresh.hash, orgId: org.id, clientId: client.clientId, familyId: null, accountId: null, scope: 'api', createdAt: NOW, expiresAt: NOW + HOUR } });
    expect(await findAccessToken(db, org.id, credentialKey(fresh.value))).toMatchObject({ id: fresh.id, scope: 'api' });
    // The id alone, with another secret, finds nothing.
    expect(await findAccessToken(db, org.id, { id: fresh.id, hash: hashSecret('guess') })).toBeUndefined();

    const down = await migrator.migrateTo('0005_client_lifecycle');
    expect(down.error).toBeUndefined();
    const hashes = (await raw.selectFrom('access_tokens').select('token_hash').orderBy('token_hash').execute()).map((r) => r.token_hash);
    expect(hashes).toEqual([hashSecret(legacy.access), fresh.hash].sort());
  });
});
