import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/clients/clients.ts';
import { executeTogether } from '../src/db/precompiled.ts';
import type { Clock } from '../src/lib/clock.ts';
import { timeOrderedId } from '../src/lib/ids.ts';
import { mintOpaqueCredential } from '../src/oauth/credentials/credentials.ts';
import { insertGrantCredentials } from '../src/oauth/credentials/credentials.repository.ts';
import type { NewGrantCredentials } from '../src/oauth/credentials/stored-credentials.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const clock: Clock = () => NOW;
const HOUR = 3_600_000;

// A grant's family, access token and refresh token are written together (pipelined in one round
// trip on PostgreSQL): all of them or none.
describe.each(DIALECTS)('writing a grant’s credentials on %s', (dialect) => {
  let store: TestStore;
  let orgId: string;
  let clientId: string;
  beforeAll(async () => {
    store = await createTestStore(dialect);
    orgId = (await createOrganization(store.storage.db, clock, { slug: 'acme', name: 'Acme' })).id;
    clientId = (await createClient(store.storage.db, clock, orgId, { name: 'App', clientType: 'confidential', redirectUris: ['https://app.example/cb'], consentRequired: false })).clientId;
  });
  afterAll(async () => {
    await store?.dispose();
  });

  function rows(options: { readonly failing?: 'family' | 'refresh' } = {}): NewGrantCredentials {
    const family = timeOrderedId(NOW);
    const access = mintOpaqueCredential(NOW);
    const refresh = mintOpaqueCredential(NOW);
    const owned = { orgId, clientId };
    const unknownClient = { clientId: 'no-such-client' };
    return {
      family: { id: family, ...owned, ...(options.failing === 'family' ? unknownClient : {}), accountId: '1001', scope: 'openid', authTime: NOW, createdAt: NOW, expiresAt: NOW + HOUR },
      access: { id: access.id, hash: access.hash, ...owned, familyId: family, accountId: '1001', scope: 'openid', createdAt: NOW, expiresAt: NOW + HOUR },
      refresh: {
        id: refresh.id,
        hash: refresh.hash,
        ...owned,
        ...(options.failing === 'refresh' ? unknownClient : {}),
        familyId: family,
        accountId: '1001',
        scope: 'openid',
        authTime: NOW,
        createdAt: NOW,
        expiresAt: NOW + HOUR,
      },
    };
  }

  async function stored(written: NewGrantCredentials): Promise<{ families: number; access: number; refresh: number }> {
    const db = store.storage.db;
    const count = async (table: 'token_families' | 'access_tokens' | 'refresh_tokens', id: string): Promise<number> =>
      (await db.selectFrom(table).select('id').where('id', '=', id).execute()).length;
    return { families: await count('token_families', written.family!.id), access: await count('access_tokens', written.access.id), refresh: await count('refresh_tokens', written.refresh!.id) };
  }

  it('writes the family and both tokens', async () => {
    const written = rows();
    await insertGrantCredentials(store.storage.db, written);
    expect(await stored(written)).toEqual({ families: 1, access: 1, refresh: 1 });
  });

  it('keeps none of them when the last insert fails', async () => {
    const written = rows({ failing: 'refresh' });
    await expect(insertGrantCredentials(store.storage.db, written)).rejects.toThrow(/foreign key/i);
    expect(await stored(written)).toEqual({ families: 0, access: 0, refresh: 0 });
  });

  it('is part of the caller’s transaction: rolled back with it', async () => {
    const written = rows();
    await expect(
      store.storage.db.transaction().execute(async (trx) => {
        await insertGrantCredentials(trx, written);
        throw new Error('the grant failed after writing');
      }),
    ).rejects.toThrow('the grant failed after writing');
    expect(await stored(written)).toEqual({ families: 0, access: 0, refresh: 0 });
  });

  it('reports the statement that failed, not the ones it aborted after it', async () => {
    const written = rows({ failing: 'family' });
    // On PostgreSQL the statements after the failure are answered "current transaction is
    // aborted"; the error raised must be the cause.
    await expect(insertGrantCredentials(store.storage.db, written)).rejects.toThrow(/foreign key/i);
    expect(await stored(written)).toEqual({ families: 0, access: 0, refresh: 0 });
  });

  it('runs statements given together in their order', async () => {
    const db = store.storage.db;
    const written = rows();
    await db.transaction().execute((trx) =>
      executeTogether(trx, [
        sql`insert into token_families (id, org_id, client_id, account_id, scope, auth_time, created_at, expires_at) values (${written.family!.id}, ${orgId}, ${clientId}, '1001', 'openid', ${NOW}, ${NOW}, ${NOW + HOUR})`.compile(trx),
        sql`update token_families set scope = 'openid email' where id = ${written.family!.id}`.compile(trx),
        sql`update token_families set scope = scope || ' profile' where id = ${written.family!.id}`.compile(trx),
      ]),
    );
    const family = await db.selectFrom('token_families').select('scope').where('id', '=', written.family!.id).executeTakeFirstOrThrow();
    expect(family.scope).toBe('openid email profile');
  });
});
