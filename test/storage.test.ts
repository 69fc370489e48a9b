import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConstituent } from '../src/accounts/constituents.ts';
import { createClient, findClient, recordClientAuthNetwork } from '../src/clients/clients.ts';
import { migrateToLatest, migratorFor } from '../src/db/migrate.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { createDemoOrganizationOnce } from '../src/demo.ts';
import type { Clock } from '../src/lib/clock.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../src/lib/errors.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { createOrganization, getOrganizationBySlug } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { parseApiKey } from '../src/staff/api-keys.ts';
import { createTestStore, DIALECTS, TEST_DATABASE_URL, type TestStore } from './helpers/storage.ts';

/** Every migration, in order: a fresh store applies them all. */
const ALL_MIGRATIONS = Object.keys(migrations);

const clock: Clock = () => 1_700_000_000_000;

describe.each(DIALECTS)('storage on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore(dialect);
  });
  afterAll(async () => {
    await store?.dispose();
  });
  const db = () => store.storage.db;

  it('migrates idempotently', async () => {
    expect(await migrateToLatest(store.storage)).toEqual({ applied: [] });
  });

  // Regression: Kysely's migrator looked for its tables in every schema, so a fresh PostgreSQL
  // schema beside a migrated one (this file's own store) was taken for migrated.
  it('migrates a fresh store even when another schema of the database is migrated', async () => {
    const fresh = await createTestStore(dialect, { migrate: false });
    try {
      expect((await migrateToLatest(fresh.storage)).applied).toEqual(ALL_MIGRATIONS);
      expect(await fresh.storage.db.selectFrom('organizations').select('id').execute()).toEqual([]);
    } finally {
      await fresh.dispose();
    }
  });

  // Kysely's PostgreSQL introspection (run by the migrator) checks every schema of the database
  // by name: one dropped meanwhile by someone else failed the migration with "schema … does not
  // exist" (seen when test files dropped their schemas while another file's CLI migrated).
  it.runIf(dialect === 'postgres')('migrates while other schemas of the database are created and dropped', async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    let churning = true;
    const churn = (async () => {
      for (let i = 0; churning; i++) {
        const name = `churn_${process.pid}_${i}`;
        await admin.query(`create schema ${name}`);
        await admin.query(`drop schema ${name}`);
      }
    })();
    try {
      for (let run = 0; run < 30; run++) expect(await migrateToLatest(store.storage)).toEqual({ applied: [] });
    } finally {
      churning = false;
      await churn;
      await admin.end();
    }
  });

  describe('organizations', () => {
    it('are created with a slug, a name and default settings', async () => {
      const org = await createOrganization(db(), clock, { slug: 'acme', name: 'Acme Charity' });
      expect(org).toMatchObject({ slug: 'acme', name: 'Acme Charity', createdAt: clock() });
      expect(org.id).toMatch(/^org_[a-z2-7]{20}$/);
      expect(org.settings.codeTtlSeconds).toBe(600);
      expect(await getOrganizationBySlug(db(), 'acme')).toEqual(org);
    });

    it('refuse a duplicate slug with a conflict naming the slug', async () => {
      await createOrganization(db(), clock, { slug: 'dup' });
      await expect(createOrganization(db(), clock, { slug: 'dup' })).rejects.toThrowError(ConflictError);
      await expect(createOrganization(db(), clock, { slug: 'dup' })).rejects.toThrowError("slug 'dup' already exists");
    });

    it.each(['Acme', 'a_b', '-acme', 'acme-', '', 'a'.repeat(64), 'acmé'])('refuse the slug %j', async (slug) => {
      await expect(createOrganization(db(), clock, { slug })).rejects.toThrowError(InvalidInputError);
    });

    it('are not found by an unknown or malformed slug', async () => {
      await expect(getOrganizationBySlug(db(), 'nope')).rejects.toThrowError(NotFoundError);
      await expect(getOrganizationBySlug(db(), "x' or '1'='1")).rejects.toThrowError(NotFoundError);
    });
  });

  describe('constituents', () => {
    it('get short sequential account IDs per organization', async () => {
      const one = await createOrganization(db(), clock, { slug: 'seq-one' });
      const two = await createOrganization(db(), clock, { slug: 'seq-two' });
      const a = await createConstituent(db(), clock, one.id, { username: 'ann', password: 'password-1' });
      const b = await createConstituent(db(), clock, one.id, { username: 'bob' });
      const c = await createConstituent(db(), clock, two.id, { username: 'ann' });
      expect([a.accountId, b.accountId, c.accountId]).toEqual(['1001', '1002', '1001']);
    });

    it('get distinct account IDs when created concurrently', async () => {
      const org = await createOrganization(db(), clock, { slug: 'parallel' });
      const created = await Promise.all(Array.from({ length: 10 }, (_, i) => createConstituent(db(), clock, org.id, { username: `user${i}` })));
      expect(new Set(created.map((c) => c.accountId)).size).toBe(10);
    });

    it('refuse a login name taken in another case, and an email taken, without using up an account ID', async () => {
      const org = await createOrganization(db(), clock, { slug: 'unique' });
      await createConstituent(db(), clock, org.id, { username: 'Alice', email: 'Alice@Example.org' });
      await expect(createConstituent(db(), clock, org.id, { username: 'alice' })).rejects.toThrowError(ConflictError);
      await expect(createConstituent(db(), clock, org.id, { username: 'alice2', email: 'alice@example.ORG' })).rejects.toThrowError(
        expect.objectContaining({ field: 'email' }) as Error,
      );
      const next = await createConstituent(db(), clock, org.id, { username: 'carol' });
      expect(next.accountId).toBe('1002');
    });

    it('check input before writing anything', async () => {
      const org = await createOrganization(db(), clock, { slug: 'checks' });
      await expect(createConstituent(db(), clock, org.id, { username: ' padded' })).rejects.toThrowError(InvalidInputError);
      await expect(createConstituent(db(), clock, org.id, { username: 'x', password: 'short' })).rejects.toThrowError(/password/);
      await expect(createConstituent(db(), clock, org.id, { username: 'x', email: 'not-an-email' })).rejects.toThrowError(/email/);
      expect((await createConstituent(db(), clock, org.id, { username: 'x' })).accountId).toBe('1001');
    });

    it('store the password as an argon2id hash only', async () => {
      const org = await createOrganization(db(), clock, { slug: 'hashing' });
      const { accountId } = await createConstituent(db(), clock, org.id, { username: 'dave', password: 'correct horse battery' });
      const row = await db().selectFrom('constituents').selectAll().where('org_id', '=', org.id).where('account_id', '=', accountId).executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(JSON.stringify(row)).not.toContain('correct horse');
    });
  });

  describe('staff users and API keys', () => {
    it('store only the hash of the key, findable by its public prefix', async () => {
      const org = await createOrganization(db(), clock, { slug: 'staffed' });
      const user = await createStaffUser(db(), clock, org.id, { email: 'ops@example.org', role: 'developer', withApiKey: true });
      expect(user.userId).toMatch(/^stf_/);
      const { prefix, secret } = parseApiKey(user.apiKey!)!;
      const row = await db().selectFrom('api_keys').selectAll().where('prefix', '=', prefix).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ org_id: org.id, staff_user_id: user.userId, secret_hash: hashSecret(secret) });
      expect(JSON.stringify(row)).not.toContain(secret);
    });

    it('refuse a duplicate email and an unknown role, leaving nothing behind', async () => {
      const org = await createOrganization(db(), clock, { slug: 'staff-dup' });
      await createStaffUser(db(), clock, org.id, { email: 'a@example.org' });
      await expect(createStaffUser(db(), clock, org.id, { email: 'A@example.org', withApiKey: true })).rejects.toThrowError(ConflictError);
      await expect(createStaffUser(db(), clock, org.id, { email: 'b@example.org', role: 'god' })).rejects.toThrowError(InvalidInputError);
      const keys = await db().selectFrom('api_keys').select('id').where('org_id', '=', org.id).execute();
      expect(keys).toEqual([]);
    });
  });

  describe('clients', () => {
    it('are created with a hashed secret and found only within their organization', async () => {
      const org = await createOrganization(db(), clock, { slug: 'clients-a' });
      const other = await createOrganization(db(), clock, { slug: 'clients-b' });
      const created = await createClient(db(), clock, org.id, {
        name: 'App',
        clientType: 'confidential',
        redirectUris: ['https://app.example.org/cb'],
        consentRequired: true,
        codeTtlSeconds: 30,
      });
      expect(created.clientSecret).toMatch(/^gsec_[A-Za-z0-9_-]{43}$/);
      const client = await findClient(db(), org.id, created.clientId);
      expect(client).toMatchObject({
        name: 'App',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['https://app.example.org/cb'],
        scope: 'openid profile email',
        codeTtlSeconds: 30,
        secretHash: hashSecret(created.clientSecret!),
        status: 'active',
      });
      expect(await findClient(db(), other.id, created.clientId)).toBeUndefined();
    });

    it('let a client_credentials service client go without redirect URIs, and no other', async () => {
      const org = await createOrganization(db(), clock, { slug: 'service' });
      const service = await createClient(db(), clock, org.id, { name: 'Sync', clientType: 'confidential', redirectUris: [], grantTypes: ['client_credentials'], scope: 'sync', consentRequired: false });
      expect((await findClient(db(), org.id, service.clientId))?.grantTypes).toEqual(['client_credentials']);
      await expect(createClient(db(), clock, org.id, { name: 'Web', clientType: 'confidential', redirectUris: [], consentRequired: true })).rejects.toThrowError(
        /redirect_uris: at least one/,
      );
    });

    it.each([
      [{ grantTypes: ['password'] }, /grant_types/],
      [{ grantTypes: ['refresh_token'] }, /needs authorization_code/],
      [{ clientType: 'public' as const, grantTypes: ['client_credentials'] }, /public client cannot/],
      [{ grantTypes: ['authorization_code', 'client_credentials'] }, /scope: a client using client_credentials needs a scope of its own/],
      [{ codeTtlSeconds: 0 }, /code_ttl_seconds/],
      [{ codeTtlSeconds: 601 }, /code_ttl_seconds/],
      [{ scope: 'openid "quoted"' }, /scope/],
      [{ name: '  ' }, /name/],
    ])('refuse %o', async (override, message) => {
      const org = await createOrganization(db(), clock, { slug: `bad-${Math.random().toString(36).slice(2, 8)}` });
      const input = { name: 'App', clientType: 'confidential' as const, redirectUris: ['https://a.example/cb'], consentRequired: true, ...override };
      await expect(createClient(db(), clock, org.id, input)).rejects.toThrowError(message);
    });

    it('give public clients no secret', async () => {
      const org = await createOrganization(db(), clock, { slug: 'native' });
      const created = await createClient(db(), clock, org.id, { name: 'Phone', clientType: 'public', redirectUris: ['com.example.app:/cb'], consentRequired: true });
      expect(created.clientSecret).toBeNull();
      expect((await findClient(db(), org.id, created.clientId))?.secretHash).toBeNull();
    });
  });

  describe('the demo organization', () => {
    it('is created once, even by concurrent first starts', async () => {
      const config = { publicUrl: 'https://id.example.org' };
      const results = await Promise.all([createDemoOrganizationOnce(db(), clock, config), createDemoOrganizationOnce(db(), clock, config)]);
      const created = results.filter((r) => r !== undefined);
      expect(created).toHaveLength(1);
      const demo = created[0]!;
      expect(demo.issuer).toBe('https://id.example.org/o/demo');
      expect(new URL(demo.authorizationUrl).searchParams.get('client_id')).toBe(demo.client.clientId);
      expect(await createDemoOrganizationOnce(db(), clock, config)).toBeUndefined();
      const client = await findClient(db(), demo.orgId, demo.client.clientId);
      expect(client?.redirectUris).toEqual(['http://localhost:8080/callback']);
    });
  });
});

describe.each(DIALECTS)("migration 0010_client_auth_networks (clients' usual networks) on %s", (dialect) => {
  let store: TestStore | undefined;
  afterAll(async () => {
    await store?.dispose();
  });

  it('gives existing clients no usual network, records them, and goes down and up again keeping the clients', async () => {
    store = await createTestStore(dialect, { migrate: false });
    const migrator = migratorFor(store.storage);
    expect((await migrator.migrateTo('0009_pending_sign_in_limits')).error).toBeUndefined();
    const db = store.storage.db;
    const org = await createOrganization(db, clock, { slug: 'acme', name: 'Acme' });
    const raw = db as unknown as Kysely<any>;
    const row = { org_id: org.id, name: 'App', client_type: 'confidential', secret_hash: 'h', redirect_uris: '[]', post_logout_redirect_uris: '[]', grant_types: '["client_credentials"]', scope: 'api', consent_required: 0, code_ttl_seconds: null, status: 'active', id_token_signed_response_alg: 'ES256', access_token_format: 'opaque', created_at: clock(), updated_at: clock() };
    await raw.insertInto('clients').values({ id: 'before', ...row }).execute();

    expect((await migrateToLatest(store.storage)).applied).toEqual(['0010_client_auth_networks', '0011_vault_data_keys', '0012_connectors', '0013_connector_refresh_lease', '0014_connector_signin_tokens', '0015_connector_auth_attempts', '0016_webhooks', '0017_connector_refresh_schedule', '0018_token_issuance_days']);
    const before = (await findClient(db, org.id, 'before'))!;
    expect(before.authNetworks.lastSeen.size).toBe(0);
    await recordClientAuthNetwork(db, before, 'net', clock());
    expect((await findClient(db, org.id, 'before'))!.authNetworks.lastSeen).toEqual(new Map([['net', clock()]]));
    // Written over the list as read only: a stale copy changes nothing, and reads the list again.
    await recordClientAuthNetwork(db, before, 'other', clock());
    expect([...(await findClient(db, org.id, 'before'))!.authNetworks.lastSeen.keys()].sort()).toEqual(['net', 'other']);

    expect((await migrator.migrateTo('0009_pending_sign_in_limits')).error).toBeUndefined();
    const down = await raw.selectFrom('clients').selectAll().execute();
    expect(down.map((r) => r.id)).toEqual(['before']);
    expect(down[0]).not.toHaveProperty('auth_networks');
    expect((await migrateToLatest(store.storage)).applied).toEqual(['0010_client_auth_networks', '0011_vault_data_keys', '0012_connectors', '0013_connector_refresh_lease', '0014_connector_signin_tokens', '0015_connector_auth_attempts', '0016_webhooks', '0017_connector_refresh_schedule', '0018_token_issuance_days']);
    expect((await findClient(db, org.id, 'before'))!.authNetworks.lastSeen.size).toBe(0);
  });
});
