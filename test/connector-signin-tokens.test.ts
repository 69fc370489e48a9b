import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAccount } from '../src/connectors/accounts.repository.ts';
import { purgeExpiredConnectorRows } from '../src/connectors/purge.ts';
import { consumeSignInToken, issueSignInToken, SIGN_IN_TOKEN_TTL_MS } from '../src/connectors/signin-tokens.ts';
import { migrateToLatest, migratorFor } from '../src/db/migrate.ts';
import { schedulePurge } from '../src/oauth/purge.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { InvalidInputError, NotFoundError } from '../src/lib/errors.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

// Sign-in tokens below the endpoint: issued for an account's user (created on first use), stored
// hashed, used once by one conditional update, refused as unknown, used, expired or of another
// account, and purged after expiry.

const T0 = 1_700_000_000_000;

describe.each(DIALECTS)('connector sign-in tokens on %s', (dialect) => {
  let store: TestStore;
  let orgId: string;
  let otherOrgId: string;
  let now = T0;
  const clock = () => now;

  beforeAll(async () => {
    store = await createTestStore(dialect);
    orgId = (await createOrganization(store.storage.db, clock, { slug: 'acme' })).id;
    otherOrgId = (await createOrganization(store.storage.db, clock, { slug: 'other' })).id;
    for (const [org, id] of [[orgId, 'cust-1'], [orgId, 'cust-2'], [otherOrgId, 'theirs']] as const) {
      await insertAccount(store.storage.db, { orgId: org, id, name: id, createdAt: T0, updatedAt: T0 });
    }
  });
  afterAll(async () => {
    await store.dispose();
  });

  it('issues a 256-bit token that lives five minutes, stores only its hash, and creates the user once', async () => {
    now = T0;
    const first = await issueSignInToken(store.storage.db, clock, orgId, 'cust-1', 'alice@example.com');
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.expiresAt).toBe(T0 + SIGN_IN_TOKEN_TTL_MS);
    expect(first.userCreated).toBe(true);
    const second = await issueSignInToken(store.storage.db, clock, orgId, 'cust-1', 'alice@example.com');
    expect(second.userId).toBe(first.userId);
    expect(second.userCreated).toBe(false);
    expect(second.token).not.toBe(first.token);
    const rows = await store.storage.db.selectFrom('connector_signin_tokens').selectAll().where('id', '=', first.tokenId).execute();
    expect(rows).toEqual([
      { org_id: orgId, id: first.tokenId, token_hash: hashSecret(first.token), account_id: 'cust-1', user_id: first.userId, created_at: T0, expires_at: T0 + SIGN_IN_TOKEN_TTL_MS, used_at: null },
    ]);
    expect(JSON.stringify(await store.storage.db.selectFrom('connector_signin_tokens').selectAll().execute())).not.toContain(first.token);
  });

  it('refuses an unknown account, another org\'s account, and a bad username, writing nothing', async () => {
    const db = store.storage.db;
    const before = await db.selectFrom('connector_signin_tokens').select('id').execute();
    await expect(issueSignInToken(db, clock, orgId, 'nobody', 'alice')).rejects.toBeInstanceOf(NotFoundError);
    await expect(issueSignInToken(db, clock, orgId, 'theirs', 'alice')).rejects.toBeInstanceOf(NotFoundError);
    await expect(issueSignInToken(db, clock, orgId, 'cust-1', '')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(issueSignInToken(db, clock, orgId, 'cust-1', 'x'.repeat(201))).rejects.toBeInstanceOf(InvalidInputError);
    await expect(issueSignInToken(db, clock, orgId, 'cust-1', 'a\nb')).rejects.toBeInstanceOf(InvalidInputError);
    expect(await db.selectFrom('connector_signin_tokens').select('id').execute()).toEqual(before);
    expect(await db.selectFrom('connector_account_users').select('id').where('account_id', '=', 'theirs').execute()).toEqual([]);
  });

  it('is used once: a second use is refused as used', async () => {
    now = T0;
    const issued = await issueSignInToken(store.storage.db, clock, orgId, 'cust-1', 'bob');
    now = T0 + 1000;
    expect(await consumeSignInToken(store.storage.db, clock, orgId, issued.token)).toEqual({ accepted: true, tokenId: issued.tokenId, accountId: 'cust-1', userId: issued.userId });
    expect(await consumeSignInToken(store.storage.db, clock, orgId, issued.token)).toEqual({ accepted: false, refusal: 'used' });
  });

  it('of ten parallel uses, exactly one wins', async () => {
    now = T0;
    const issued = await issueSignInToken(store.storage.db, clock, orgId, 'cust-1', 'carol');
    const uses = await Promise.all(Array.from({ length: 10 }, () => consumeSignInToken(store.storage.db, clock, orgId, issued.token)));
    expect(uses.filter((use) => use.accepted)).toHaveLength(1);
    expect(uses.filter((use) => !use.accepted)).toEqual(Array.from({ length: 9 }, () => ({ accepted: false, refusal: 'used' })));
  });

  it('expires after five minutes to the millisecond', async () => {
    now = T0;
    const a = await issueSignInToken(store.storage.db, clock, orgId, 'cust-1', 'dave');
    const b = await issueSignInToken(store.storage.db, clock, orgId, 'cust-1', 'dave');
    now = T0 + SIGN_IN_TOKEN_TTL_MS - 1;
    expect((await consumeSignInToken(store.storage.db, clock, orgId, a.token)).accepted).toBe(true);
    now = T0 + SIGN_IN_TOKEN_TTL_MS;
    expect(await consumeSignInToken(store.storage.db, clock, orgId, b.token)).toEqual({ accepted: false, refusal: 'expired' });
  });

  it('is unknown in another org, and when junk, empty or huge', async () => {
    now = T0;
    const issued = await issueSignInToken(store.storage.db, clock, orgId, 'cust-1', 'erin');
    expect(await consumeSignInToken(store.storage.db, clock, otherOrgId, issued.token)).toEqual({ accepted: false, refusal: 'unknown' });
    for (const junk of ['', 'nope', 'x'.repeat(100_000), issued.token.slice(1)]) {
      expect(await consumeSignInToken(store.storage.db, clock, orgId, junk)).toEqual({ accepted: false, refusal: 'unknown' });
    }
    // The refusals above left it unused.
    expect((await consumeSignInToken(store.storage.db, clock, orgId, issued.token)).accepted).toBe(true);
  });

  it('expecting an account, refuses another account\'s token and leaves it unused', async () => {
    now = T0;
    const issued = await issueSignInToken(store.storage.db, clock, orgId, 'cust-1', 'frank');
    expect(await consumeSignInToken(store.storage.db, clock, orgId, issued.token, { accountId: 'cust-2' })).toEqual({ accepted: false, refusal: 'other_account' });
    expect((await consumeSignInToken(store.storage.db, clock, orgId, issued.token, { accountId: 'cust-1' })).accepted).toBe(true);
  });

  it('goes with its account', async () => {
    now = T0;
    await insertAccount(store.storage.db, { orgId, id: 'gone', name: 'gone', createdAt: T0, updatedAt: T0 });
    const issued = await issueSignInToken(store.storage.db, clock, orgId, 'gone', 'gina');
    await store.storage.db.deleteFrom('connector_accounts').where('org_id', '=', orgId).where('id', '=', 'gone').execute();
    expect(await consumeSignInToken(store.storage.db, clock, orgId, issued.token)).toEqual({ accepted: false, refusal: 'unknown' });
  });

  it('purges expired tokens, used or not, and keeps the live ones', async () => {
    now = T0 + 60 * 60 * 1000;
    const live = await issueSignInToken(store.storage.db, clock, orgId, 'cust-2', 'hank');
    const counts = await purgeExpiredConnectorRows(store.storage.db, clock);
    expect(counts.connector_signin_tokens).toBeGreaterThan(5);
    expect(await store.storage.db.selectFrom('connector_signin_tokens').select('id').execute()).toEqual([{ id: live.tokenId }]);
    expect(await purgeExpiredConnectorRows(store.storage.db, clock)).toEqual({ connector_signin_tokens: 0, connector_auth_attempts: 0 });
  });

  it('joins the server\'s periodic purge, its count in the report', async () => {
    now = T0;
    await issueSignInToken(store.storage.db, clock, orgId, 'cust-2', 'ivy');
    now = T0 + 60 * 60 * 1000;
    const runs: unknown[] = [];
    const schedule = schedulePurge(store.storage.db, clock, { purged: (counts) => runs.push(counts), failed: (error) => runs.push(error) }, { intervalMs: 20, alsoPurge: purgeExpiredConnectorRows });
    while (runs.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await schedule.stop();
    expect(runs[0]).toMatchObject({ access_tokens: 0, connector_signin_tokens: 1 });
  });
});

describe.each(DIALECTS)('migration 0014_connector_signin_tokens on %s', (dialect) => {
  let store: TestStore | undefined;
  afterAll(async () => {
    await store?.dispose();
  });

  it('goes down and up again', async () => {
    store = await createTestStore(dialect);
    expect((await migratorFor(store.storage).migrateTo('0013_connector_refresh_lease')).error).toBeUndefined();
    await expect(store.storage.db.selectFrom('connector_signin_tokens').selectAll().execute()).rejects.toThrowError(/connector_signin_tokens/);
    expect((await migrateToLatest(store.storage)).applied).toEqual(['0014_connector_signin_tokens', '0015_connector_auth_attempts', '0016_webhooks', '0017_connector_refresh_schedule', '0018_token_issuance_days']);
    expect(await store.storage.db.selectFrom('connector_signin_tokens').selectAll().execute()).toEqual([]);
  });
});
