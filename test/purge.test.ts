import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/clients/clients.ts';
import type { Clock } from '../src/lib/clock.ts';
import { timeOrderedId } from '../src/lib/ids.ts';
import { CODE_REPLAY_WINDOW_MS, purgeExpired, schedulePurge } from '../src/oauth/purge.ts';
import { insertInteraction, insertSsoSession } from '../src/oauth/sessions/sessions.repository.ts';
import { mintOpaqueCredential } from '../src/oauth/credentials/credentials.ts';
import { insertCode, insertGrantCredentials } from '../src/oauth/credentials/credentials.repository.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { gatehouse, onlyJson } from './helpers/cli.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const clock: Clock = () => NOW;
const MINUTE = 60_000;

describe.each(DIALECTS)('purging expired rows on %s', (dialect) => {
  let store: TestStore;
  let orgId: string;
  let clientId: string;
  beforeAll(async () => {
    store = await createTestStore(dialect);
    orgId = (await createOrganization(store.storage.db, clock, { slug: 'acme', name: 'Acme' })).id;
    clientId = (await createClient(store.storage.db, clock, orgId, { name: 'App', clientType: 'confidential', redirectUris: ['https://app.example/cb'], consentRequired: true })).clientId;
  });
  afterAll(async () => {
    await store?.dispose();
  });

  /** One row of each kind that expires at `expiresAt`; returns their ids by table. */
  async function seed(expiresAt: number): Promise<Record<string, string>> {
    const db = store.storage.db;
    const owned = { orgId, clientId };
    const family = timeOrderedId(NOW);
    const code = mintOpaqueCredential(NOW);
    const access = mintOpaqueCredential(NOW);
    const refresh = mintOpaqueCredential(NOW);
    const session = mintOpaqueCredential(NOW).hash;
    const interaction = timeOrderedId(NOW);
    await insertGrantCredentials(db, {
      family: { id: family, ...owned, accountId: '1001', scope: 'openid', authTime: NOW, createdAt: NOW, expiresAt },
      access: { id: access.id, hash: access.hash, ...owned, familyId: family, accountId: '1001', scope: 'openid', createdAt: NOW, expiresAt },
      refresh: { id: refresh.id, hash: refresh.hash, ...owned, familyId: family, accountId: '1001', scope: 'openid', authTime: NOW, createdAt: NOW, expiresAt },
    });
    await insertCode(db, { id: code.id, hash: code.hash, ...owned, accountId: '1001', familyId: family, redirectUri: 'https://app.example/cb', scope: 'openid', nonce: null, codeChallenge: null, codeChallengeMethod: null, authTime: NOW, sessionId: null, createdAt: NOW, expiresAt });
    await insertSsoSession(db, { idHash: session, orgId, accountId: '1001', authTime: NOW, createdAt: NOW, expiresAt });
    await insertInteraction(db, { id: interaction, orgId, clientId, request: {}, browserBindingHash: 'x', csrfToken: 'y', clientNetwork: 'n', accountId: null, authTime: null, createdAt: NOW, expiresAt });
    return { token_families: family, authorization_codes: code.id, access_tokens: access.id, refresh_tokens: refresh.id, sso_sessions: session, authorization_requests: interaction };
  }

  async function exists(table: string, id: string): Promise<boolean> {
    const key = table === 'sso_sessions' ? 'id_hash' : 'id';
    const rows = await (store.storage.db as any).selectFrom(table).select(key).where(key, '=', id).execute();
    return rows.length === 1;
  }

  it('deletes what expired, keeps what is live, and keeps used codes a day for replay detection', async () => {
    const live = await seed(NOW + MINUTE);
    const expired = await seed(NOW - MINUTE);
    const longExpired = await seed(NOW - CODE_REPLAY_WINDOW_MS - MINUTE);

    const counts = await purgeExpired(store.storage.db, clock);
    expect(counts).toEqual({ authorization_codes: 1, access_tokens: 2, refresh_tokens: 2, token_families: 2, sso_sessions: 2, authorization_requests: 2 });
    for (const [table, id] of Object.entries(live)) expect(await exists(table, id), `live ${table}`).toBe(true);
    for (const [table, id] of Object.entries(expired)) expect(await exists(table, id), `expired ${table}`).toBe(table === 'authorization_codes');
    for (const [table, id] of Object.entries(longExpired)) expect(await exists(table, id), `long expired ${table}`).toBe(false);
    expect(await purgeExpired(store.storage.db, clock)).toEqual({ authorization_codes: 0, access_tokens: 0, refresh_tokens: 0, token_families: 0, sso_sessions: 0, authorization_requests: 0 });
  });

  it('goes through more rows than one batch', async () => {
    for (let i = 0; i < 1100; i++) {
      const access = mintOpaqueCredential(NOW);
      await insertGrantCredentials(store.storage.db, { access: { id: access.id, hash: access.hash, orgId, clientId, familyId: null, accountId: null, scope: 'api', createdAt: NOW, expiresAt: NOW - MINUTE } });
    }
    expect((await purgeExpired(store.storage.db, clock)).access_tokens).toBe(1100);
  });

  it('runs on a schedule until stopped, and reports each run', async () => {
    await seed(NOW - MINUTE);
    const runs: unknown[] = [];
    const schedule = schedulePurge(store.storage.db, clock, { purged: (counts) => runs.push(counts), failed: (error) => runs.push(error) }, { intervalMs: 20 });
    while (runs.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await schedule.stop();
    expect(runs[0]).toMatchObject({ access_tokens: 1, token_families: 1 });
  });

  it('is a CLI command answering one JSON object', async () => {
    // The CLI runs on the real clock, later than this file's: everything seeded here has expired.
    const first = await gatehouse(['purge', '--json'], store.env);
    expect(first.code).toBe(0);
    const counted = { deleted: { authorization_codes: expect.any(Number), access_tokens: expect.any(Number), refresh_tokens: expect.any(Number), token_families: expect.any(Number), sso_sessions: expect.any(Number), authorization_requests: expect.any(Number), connector_signin_tokens: expect.any(Number), connector_auth_attempts: expect.any(Number), webhook_deliveries: expect.any(Number) } };
    expect(onlyJson(first)).toEqual(counted);
    expect((onlyJson(first).deleted as Record<string, number>).access_tokens).toBeGreaterThan(0);
    const second = await gatehouse(['purge', '--json'], store.env);
    expect(onlyJson(second)).toEqual({ deleted: { authorization_codes: 0, access_tokens: 0, refresh_tokens: 0, token_families: 0, sso_sessions: 0, authorization_requests: 0, connector_signin_tokens: 0, connector_auth_attempts: 0, webhook_deliveries: 0 } });
  });
});
