import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDue, SCHEDULER_DEFAULTS } from '../src/connectors/refresh/background-refresh-admin.ts';
import { createHubFixture, testClock, type HubFixture } from './helpers/connector-hub.ts';
import { startOidcUpstream, type OidcUpstream } from './helpers/oidc-upstream.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

// kill -9 of a process holding refresh leases (issue 12): a real child process runs the background
// refresh against the test's store while the upstream hangs, so it holds the leases of every due
// connector; it is killed with SIGKILL (no cleanup runs). Another scheduler leaves the connectors
// alone while the leases live, then refreshes each exactly once after they expire: none lost,
// none doubled (a doubled refresh would present a rotated token again, which oidc-provider answers
// by revoking the grant).

const CONNECTORS = 20;
const LEASE_MS = 30_000;
const CHILD = join(import.meta.dirname, 'helpers', 'refresh-scheduler-process.ts');

describe.each(DIALECTS)('a scheduler killed while holding leases on %s', (dialect) => {
  const rootKey = randomBytes(32);
  const time = testClock();
  let upstream: OidcUpstream;
  let store: TestStore;
  let hub: HubFixture;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    upstream = await startOidcUpstream({ accessTokenSeconds: 120 });
    store = await createTestStore(dialect);
    hub = await createHubFixture(store.storage.db, upstream, { rootKey, clock: time });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await store?.dispose();
    await upstream?.close();
  });

  it('leaves the dead holder\'s connectors alone until its leases expire, then refreshes each once', async () => {
    const db = store.storage.db;
    // Due now by the real clock the child runs on.
    const ids = new Set<string>();
    for (let i = 0; i < CONNECTORS; i += 1) ids.add((await hub.connect({ expiresInMs: -1_000 })).id);
    upstream.resetTokenCalls();
    upstream.holdTokenCalls(true);

    child = spawn(process.execPath, [CHILD], {
      env: { PATH: process.env.PATH ?? '', ...store.env, ROOT_KEY: rootKey.toString('base64'), LEASE_MS: String(LEASE_MS), OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const leased = async () => (await db.selectFrom('account_connectors').select('id').where('refresh_lease_owner', 'is not', null).execute()).length;
    await until(async () => (await leased()) === CONNECTORS && upstream.heldTokenCalls() === CONNECTORS, () => `child: ${stderr}`);
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // What it sent never reached the provider (a hang, not a late success).
    upstream.holdTokenCalls(false);
    upstream.dropHeldTokenCalls();
    expect(upstream.tokenCalls()).toBe(0);

    const deps = hub.schedulerDeps(db);
    // The test's clock catches up with the real one the child took its leases by.
    time.advance(Math.max(0, Date.now() - time.now()));
    // The leases still live: nothing is taken, nothing counts as failed.
    expect(await refreshDue(deps, SCHEDULER_DEFAULTS)).toEqual({ refreshed: 0, failed: 0, needsReauth: 0, skipped: 0, errors: 0 });
    time.advance(LEASE_MS + 1_000);
    expect(await refreshDue(deps, SCHEDULER_DEFAULTS)).toEqual({ refreshed: CONNECTORS, failed: 0, needsReauth: 0, skipped: 0, errors: 0 });
    expect(upstream.tokenCalls()).toBe(CONNECTORS);
    const rows = await db.selectFrom('account_connectors').select(['id', 'status', 'last_refreshed_at', 'refresh_lease_owner', 'refresh_attempts']).execute();
    expect(rows.filter((row) => ids.has(row.id)).map(({ id: _, ...rest }) => rest)).toEqual(
      Array(CONNECTORS).fill({ status: 'authenticated', last_refreshed_at: time.now(), refresh_lease_owner: null, refresh_attempts: 0 }),
    );
    // The tokens stored are the ones the provider rotated to: the next cycle refreshes each again, without invalid_grant.
    time.advance(60_000);
    expect(await refreshDue(deps, SCHEDULER_DEFAULTS)).toMatchObject({ refreshed: CONNECTORS, needsReauth: 0 });
    expect(upstream.tokenCalls()).toBe(2 * CONNECTORS);
  }, 60_000);
});

async function until(condition: () => Promise<boolean>, describe: () => string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met in time; ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
