import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BenchMemoryAdapter } from '../bench/oidc-memory-adapter.ts';
import { refreshDue, SCHEDULER_DEFAULTS, type RefreshSchedulerDeps } from '../src/connectors/refresh/background-refresh-admin.ts';
import type { DialectName } from '../src/db/database.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { createHubFixture, testClock } from './helpers/connector-hub.ts';
import { startOidcUpstream } from './helpers/oidc-upstream.ts';
import { createTestStore, DIALECTS, TEST_DATABASE_URL } from './helpers/storage.ts';

// Issue 12's proof: 200 connectors stay authenticated for an hour of simulated time, refreshed by
// two schedulers at once, against oidc-provider with 2-minute access tokens and rotating refresh
// tokens with reuse detection (a second refresh of one token would revoke its grant). On
// PostgreSQL the two schedulers are two pools, vaults and upstream clients on one schema, as two
// processes would be; on SQLite (one server per data directory) they share the store. The count
// is taken at the upstream: exactly 200 refreshes per cycle, and every connector refreshed in it.
// The two stores run side by side (each waits on its own disk), to keep the file near a minute.

const CONNECTORS = 200;
const ACCESS_TOKEN_SECONDS = 120;
const STEP_MS = 15_000;
const HOUR_MS = 3_600_000;

describe('an hour of background refresh', () => {
  it.concurrent.each(DIALECTS)('on %s keeps 200 connectors authenticated with two schedulers: one upstream refresh per connector per cycle, none needs_reauth', async (dialect: DialectName) => {
    const time = testClock();
    // Unbounded storage at the upstream: its default LRU of 1,000 entries would evict live grants of 200 connectors.
    const upstream = await startOidcUpstream({ accessTokenSeconds: ACCESS_TOKEN_SECONDS, adapter: BenchMemoryAdapter });
    const store = await createTestStore(dialect);
    const second = dialect === 'postgres' ? await openPostgres({ connectionString: TEST_DATABASE_URL, schema: schemaOf(store.env), maxConnections: 5 }) : undefined;
    try {
      const db = store.storage.db;
      const hub = await createHubFixture(db, upstream, { rootKey: randomBytes(32), clock: time });
      for (let i = 0; i < CONNECTORS; i += 20) await Promise.all(Array.from({ length: 20 }, () => hub.connect({ expiresInMs: ACCESS_TOKEN_SECONDS * 1000 })));
      const schedulers: RefreshSchedulerDeps[] = [hub.schedulerDeps(db), hub.schedulerDeps(second?.db ?? db)];
      const settings = { ...SCHEDULER_DEFAULTS, batchSize: 50, concurrency: 16 };
      upstream.resetTokenCalls();
      const cycles: number[] = [];
      const byScheduler = [0, 0];
      for (let elapsed = 0; elapsed <= HOUR_MS; elapsed += STEP_MS) {
        const before = upstream.tokenCalls();
        const reports = await Promise.all(schedulers.map((deps) => refreshDue(deps, settings)));
        const calls = upstream.tokenCalls() - before;
        reports.forEach((report, i) => {
          expect(report).toMatchObject({ failed: 0, needsReauth: 0, errors: 0 });
          byScheduler[i]! += report.refreshed;
        });
        expect(reports[0]!.refreshed + reports[1]!.refreshed).toBe(calls);
        if (calls > 0) {
          cycles.push(calls);
          // Every connector refreshed at this instant: 200 calls and 200 distinct connectors is once each.
          const refreshedNow = await db.selectFrom('account_connectors').select((eb) => eb.fn.countAll<number>().as('n')).where('last_refreshed_at', '=', time.now()).executeTakeFirstOrThrow();
          expect(Number(refreshedNow.n)).toBe(CONNECTORS);
        }
        time.advance(STEP_MS);
      }
      // A 2-minute token is renewed after half its life: 60 cycles in the hour, each of exactly 200 refreshes.
      expect(cycles).toEqual(Array(60).fill(CONNECTORS));
      // Both schedulers did their share (neither starved the other nor did everything twice).
      expect(byScheduler[0]).toBeGreaterThan(0);
      expect(byScheduler[1]).toBeGreaterThan(0);
      const rows = await db.selectFrom('account_connectors').select(['status', 'refresh_attempts', 'refresh_lease_owner']).execute();
      expect(rows).toHaveLength(CONNECTORS);
      expect(rows.every((row) => row.status === 'authenticated' && row.refresh_attempts === 0 && row.refresh_lease_owner === null)).toBe(true);
      expect(await db.selectFrom('audit_events').select('id').where('action', '=', 'account_connector.needs_reauth').execute()).toHaveLength(0);
    } finally {
      await second?.close();
      await store.dispose();
      await upstream.close();
    }
  }, 180_000);
});

function schemaOf(env: Readonly<Record<string, string>>): string {
  return new URL(env['DATABASE_URL']!).searchParams.get('options')!.replace('-c search_path=', '');
}
