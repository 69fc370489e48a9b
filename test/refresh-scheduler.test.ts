import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deauthenticateAccountConnector, getAccountConnector, updateAccountConnector } from '../src/connectors/account-connector-admin.ts';
import { updateAppConnector } from '../src/connectors/app-connector-admin.ts';
import { refreshDue, SCHEDULER_DEFAULTS, startRefreshScheduler, type RefreshPassReport, type RefreshSchedulerSettings } from '../src/connectors/refresh/background-refresh-admin.ts';
import { BACKOFF_BASE_MS } from '../src/connectors/refresh/backoff.ts';
import { insertEndpoint } from '../src/webhooks/endpoints.repository.ts';
import { createHubFixture, testClock, type HubFixture } from './helpers/connector-hub.ts';
import { startOidcUpstream, type OidcUpstream } from './helpers/oidc-upstream.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

// The background refresh's outcomes (issue 12) against oidc-provider as the upstream (rotating
// refresh tokens, reuse detection): a due connector refreshed once and scheduled again, the grant
// gone (invalid_grant) → needs_reauth at once, a provider failing five times then answering →
// backoff and recovery without needs_reauth, a refresh that hangs → its lease expires and another
// scheduler takes over. Time is injected: nothing sleeps on the schedule.

const ACCESS_TOKEN_SECONDS = 120;
const SETTINGS: RefreshSchedulerSettings = { ...SCHEDULER_DEFAULTS, leaseMs: 30_000 };

describe.each(DIALECTS)('background refresh on %s', (dialect) => {
  const rootKey = randomBytes(32);
  const time = testClock();
  let upstream: OidcUpstream;
  let store: TestStore;
  let hub: HubFixture;

  beforeAll(async () => {
    upstream = await startOidcUpstream({ accessTokenSeconds: ACCESS_TOKEN_SECONDS });
    store = await createTestStore(dialect);
    hub = await createHubFixture(store.storage.db, upstream, { rootKey, clock: time });
    // An endpoint subscribed to every event, so that each announcement lands in the outbox.
    await insertEndpoint(store.storage.db, {
      orgId: hub.org.id,
      id: 'whe_test',
      url: 'https://receiver.example/hook',
      description: 'test',
      eventTypes: null,
      enabled: true,
      sealedSecret: 'not-used-here',
      sealedPreviousSecret: null,
      previousSecretExpiresAt: null,
      createdAt: time.now(),
      updatedAt: time.now(),
    });
  });
  afterAll(async () => {
    await store?.dispose();
    await upstream?.close();
  });

  const read = (id: string) => getAccountConnector(hub.context(store.storage.db), id);
  const row = (id: string) => store.storage.db.selectFrom('account_connectors').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const auditOf = (id: string, action: string) => store.storage.db.selectFrom('audit_events').selectAll().where('target_id', '=', id).where('action', '=', action).execute();
  /** The connector's events in the outbox, oldest first: type and data. */
  const eventsOf = async (id: string) =>
    (await store.storage.db.selectFrom('webhook_messages').select(['event_type', 'payload']).orderBy('id').execute())
      .map((message) => ({ type: message.event_type, data: JSON.parse(message.payload).data as Record<string, unknown> }))
      .filter((event) => event.data['account_connector_id'] === id);
  /** Moves every other connector's schedule out of the way, so a pass sees only the one under test. */
  const only = async (id: string) => {
    await store.storage.db.updateTable('account_connectors').set({ next_refresh_at: null }).where('id', '!=', id).execute();
  };

  it('schedules imported tokens half their lifetime ahead for a 2-minute token (the 15-minute margin is longer), and a deauthentication unschedules', async () => {
    const { id } = await hub.connect({ expiresInMs: ACCESS_TOKEN_SECONDS * 1000 });
    const connector = await read(id);
    expect(connector.nextRefreshAt).toBe(time.now() + 60_000);
    expect(connector.refreshAttempts).toBe(0);
    const gone = await deauthenticateAccountConnector(hub.context(store.storage.db), id);
    expect(gone.nextRefreshAt).toBeNull();
    expect((await row(id)).next_refresh_at).toBeNull();
  });

  it('refreshes a due connector once, stores the rotated refresh token and schedules the next refresh; a connector not yet due is left alone', async () => {
    const { id } = await hub.connect({ expiresInMs: ACCESS_TOKEN_SECONDS * 1000 });
    await only(id);
    upstream.resetTokenCalls();
    const deps = hub.schedulerDeps(store.storage.db);
    expect(await refreshDue(deps, SETTINGS)).toEqual({ refreshed: 0, failed: 0, needsReauth: 0, skipped: 0, errors: 0 });
    expect(upstream.tokenCalls()).toBe(0);

    time.advance(60_000);
    expect(await refreshDue(deps, SETTINGS)).toMatchObject({ refreshed: 1, failed: 0, needsReauth: 0 });
    expect(upstream.tokenCalls()).toBe(1);
    // A routine refresh announces nothing.
    expect(await eventsOf(id)).toEqual([]);
    const after = await read(id);
    expect(after).toMatchObject({ status: 'authenticated', lastRefreshedAt: time.now(), refreshAttempts: 0, lastRefreshError: null });
    expect(after.nextRefreshAt).toBe(time.now() + 60_000);
    expect((await row(id)).refresh_lease_owner).toBeNull();
    // Nothing due until then; after it, the rotated refresh token works (a reused one would revoke the grant).
    expect((await refreshDue(deps, SETTINGS)).refreshed).toBe(0);
    time.advance(60_000);
    expect(await refreshDue(deps, SETTINGS)).toMatchObject({ refreshed: 1, needsReauth: 0 });
    expect(upstream.tokenCalls()).toBe(2);
  });

  it('marks needs_reauth at once on invalid_grant, keeping the provider\'s error, unscheduled, audited once, and never calls again', async () => {
    const { id, refreshToken } = await hub.connect({ expiresInMs: ACCESS_TOKEN_SECONDS * 1000 });
    await only(id);
    // Spent outside the hub: rotation makes the hub's copy a reused token, which revokes the grant.
    expect(await upstream.refreshDirectly(upstream.clients.main, refreshToken)).toBe(200);
    upstream.resetTokenCalls();
    time.advance(60_000);
    const deps = hub.schedulerDeps(store.storage.db);
    expect(await refreshDue(deps, SETTINGS)).toMatchObject({ refreshed: 0, failed: 0, needsReauth: 1 });
    const after = await read(id);
    expect(after.status).toBe('needs_reauth');
    expect(after.nextRefreshAt).toBeNull();
    expect(after.lastRefreshError?.code).toBe('invalid_grant');
    expect(after.lastRefreshError?.description).not.toContain(refreshToken);
    const events = await auditOf(id, 'account_connector.needs_reauth');
    expect(events).toHaveLength(1);
    expect(events[0]!.actor_type).toBe('system');
    expect(JSON.parse(events[0]!.details)).toEqual({ previous_status: 'authenticated', status: 'needs_reauth', error: 'invalid_grant' });
    // One connector.needs_reauth in the outbox, written with the status change, with the provider's error and no token.
    const announced = await eventsOf(id);
    expect(announced).toEqual([
      {
        type: 'connector.needs_reauth',
        data: {
          account_connector_id: id,
          account_id: hub.accountId,
          app_connector_id: hub.appConnectorId,
          name: 'Upstream',
          status: 'needs_reauth',
          previous_status: 'authenticated',
          error: 'invalid_grant',
          error_description: after.lastRefreshError?.description,
          // Where the org's backend reconnects it: the seed's steps 1 and 2.
          reconnect: {
            signintoken_url: `https://gatehouse.example/o/acme/v1.0/accounts/${hub.accountId}/signintoken`,
            connect_url_template: `https://gatehouse.example/o/acme/connectorauth/updateaccountconnectoroauth?id=${id}&token={Token}&targetOrigin={targetOrigin}`,
          },
        },
      },
    ]);
    expect(JSON.stringify(announced)).not.toContain(refreshToken);
    time.advance(3_600_000);
    expect((await refreshDue(deps, SETTINGS)).needsReauth).toBe(0);
    expect(upstream.tokenCalls()).toBe(1);
  });

  it('retries a provider answering 503 five times with growing, jittered delays (Retry-After honoured), status unchanged, then recovers', async () => {
    const { id } = await hub.connect({ expiresInMs: ACCESS_TOKEN_SECONDS * 1000 });
    await only(id);
    upstream.resetTokenCalls();
    upstream.failNextTokenCalls(5, 45);
    const deps = hub.schedulerDeps(store.storage.db);
    time.advance(60_000);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect(await refreshDue(deps, SETTINGS)).toMatchObject({ refreshed: 0, failed: 1, needsReauth: 0 });
      const failing = await read(id);
      expect(failing).toMatchObject({ status: 'authenticated', refreshAttempts: attempt, lastRefreshError: { code: 'upstream_server_error' } });
      const delay = failing.nextRefreshAt! - time.now();
      delays.push(delay);
      // Equal jitter: between half and all of 30 s × 2^(n-1), and never sooner than the provider's Retry-After.
      expect(delay).toBeGreaterThanOrEqual(Math.max(45_000, (BACKOFF_BASE_MS * 2 ** (attempt - 1)) / 2));
      expect(delay).toBeLessThanOrEqual(Math.max(45_000, BACKOFF_BASE_MS * 2 ** (attempt - 1)));
      // Not due before its time.
      time.advance(delay - 1);
      expect((await refreshDue(deps, SETTINGS)).failed).toBe(0);
      time.advance(1);
    }
    expect(delays[4]!).toBeGreaterThan(delays[0]!);
    expect(await refreshDue(deps, SETTINGS)).toMatchObject({ refreshed: 1, failed: 0, needsReauth: 0 });
    expect(upstream.tokenCalls()).toBe(6);
    const recovered = await read(id);
    expect(recovered).toMatchObject({ status: 'authenticated', refreshAttempts: 0, lastRefreshError: null, lastRefreshedAt: time.now() });
    expect(await auditOf(id, 'account_connector.needs_reauth')).toHaveLength(0);
    // Announced once at the streak's first failure, then its end: no needs_reauth.
    const announced = await eventsOf(id);
    expect(announced.map((event) => event.type)).toEqual(['connector.refresh_failed', 'connector.recovered']);
    expect(announced[0]!.data).toMatchObject({ status: 'authenticated', error: 'upstream_server_error', attempts: 1 });
    expect(announced[1]!.data).toMatchObject({ status: 'authenticated', failed_attempts: 5 });
  });

  it('runs passes on its own once started (as main.ts starts it), reporting each, until stopped', async () => {
    const { id } = await hub.connect({ expiresInMs: ACCESS_TOKEN_SECONDS * 1000 });
    await only(id);
    time.advance(60_000);
    const passes: RefreshPassReport[] = [];
    const scheduler = startRefreshScheduler(hub.schedulerDeps(store.storage.db), { pass: (report) => passes.push(report) }, { ...SETTINGS, intervalMs: 20 });
    try {
      await until(() => passes.length > 0);
    } finally {
      await scheduler.stop();
    }
    expect(passes).toEqual([{ refreshed: 1, failed: 0, needsReauth: 0, skipped: 0, errors: 0 }]);
    expect((await read(id)).lastRefreshedAt).toBe(time.now());
    // Stopped: a connector due now stays due.
    time.advance(60_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(passes).toHaveLength(1);
  });

  it('takes over a refresh that hangs once its lease expires; the hung call, failing late, changes nothing', async () => {
    const { id } = await hub.connect({ expiresInMs: ACCESS_TOKEN_SECONDS * 1000 });
    await only(id);
    upstream.resetTokenCalls();
    time.advance(60_000);
    const hung = hub.schedulerDeps(store.storage.db, { timeoutMs: 60_000 });
    const other = hub.schedulerDeps(store.storage.db);
    upstream.holdTokenCalls(true);
    const hanging = refreshDue(hung, SETTINGS);
    await until(() => upstream.heldTokenCalls() === 1);
    upstream.holdTokenCalls(false);
    // The lease is live: the other scheduler leaves the connector alone (no failure either).
    expect(await refreshDue(other, SETTINGS)).toEqual({ refreshed: 0, failed: 0, needsReauth: 0, skipped: 0, errors: 0 });
    expect((await row(id)).refresh_lease_owner).not.toBeNull();
    time.advance(SETTINGS.leaseMs);
    expect(await refreshDue(other, SETTINGS)).toMatchObject({ refreshed: 1, failed: 0 });
    expect(upstream.tokenCalls()).toBe(1);
    const refreshed = await read(id);
    // The hung call dies (the provider never processed it); its failure is not recorded over the new tokens.
    upstream.dropHeldTokenCalls();
    expect(await hanging).toMatchObject({ refreshed: 0, failed: 0, skipped: 1 });
    const after = await read(id);
    expect(after).toMatchObject({ status: 'authenticated', refreshAttempts: 0, lastRefreshError: null, version: refreshed.version });
    expect((await row(id)).refresh_lease_owner).toBeNull();
    // The stored refresh token is the one the provider rotated to: the next refresh succeeds.
    time.advance(60_000);
    expect(await refreshDue(other, SETTINGS)).toMatchObject({ refreshed: 1, needsReauth: 0 });
  });

  it("an app secret the provider refuses (invalid_client) makes its connectors needs_reauth; saving the right one revives them, grants intact, without any customer reconnecting", async () => {
    const ctx = hub.context(store.storage.db);
    const first = await hub.connect({ expiresInMs: ACCESS_TOKEN_SECONDS * 1000 });
    const second = await hub.connect({ expiresInMs: ACCESS_TOKEN_SECONDS * 1000 });
    // A connector with its own ClientSecret uses its own app: the app connector's change is not its cure.
    const own = await hub.connect({ expiresInMs: ACCESS_TOKEN_SECONDS * 1000 });
    await store.storage.db.updateTable('account_connectors').set({ next_refresh_at: null }).where('id', 'not in', [first.id, second.id, own.id]).execute();
    await updateAccountConnector(ctx, own.id, { properties: { ClientId: upstream.clients.main.clientId, ClientSecret: 'a wrong secret of its own' } });
    await updateAppConnector(ctx, hub.appConnectorId, { clientSecret: 'a wrong secret' });
    time.advance(60_000);
    expect(await refreshDue(hub.schedulerDeps(store.storage.db), SETTINGS)).toMatchObject({ needsReauth: 3 });
    for (const { id } of [first, second, own]) expect(await read(id)).toMatchObject({ status: 'needs_reauth', lastRefreshError: { code: 'invalid_client' } });

    upstream.resetTokenCalls();
    time.advance(1_000);
    await updateAppConnector(ctx, hub.appConnectorId, { clientSecret: upstream.clients.main.clientSecret });
    const updated = await store.storage.db.selectFrom('audit_events').select('details').where('target_id', '=', hub.appConnectorId).where('action', '=', 'app_connector.updated').orderBy('occurred_at', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(updated.details)).toEqual({ fields: 'client_secret', revived_connectors: 2 });
    expect(await read(own.id)).toMatchObject({ status: 'needs_reauth' });
    expect(await refreshDue(hub.schedulerDeps(store.storage.db), SETTINGS)).toMatchObject({ refreshed: 2, needsReauth: 0 });
    expect(upstream.tokenCalls()).toBe(2);
    for (const { id } of [first, second]) {
      expect(await read(id)).toMatchObject({ status: 'authenticated', refreshAttempts: 0, lastRefreshError: null });
      expect((await eventsOf(id)).map((event) => event.type)).toEqual(['connector.needs_reauth', 'connector.recovered']);
    }
    // Its own secret corrected, the third is tried again as well.
    await updateAccountConnector(ctx, own.id, { properties: { ClientSecret: upstream.clients.main.clientSecret } });
    expect(await read(own.id)).toMatchObject({ status: 'authenticated' });
    expect(await refreshDue(hub.schedulerDeps(store.storage.db), SETTINGS)).toMatchObject({ refreshed: 1, needsReauth: 0 });
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
