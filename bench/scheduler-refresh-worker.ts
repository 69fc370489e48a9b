/**
 * The background refresh measured in a process of its own (bench/scheduler-refresh.ts starts it):
 * `node bench/scheduler-refresh-worker.ts <sqlite|postgres> <token-url> <connectors> [database-url]`.
 * Prepares an org with an `oauth2` app connector on the bench's token endpoint and that many
 * account connectors holding tokens that are due now, then runs one refreshDue pass over them
 * and prints one JSON line: refreshes, seconds, refreshes per second, and this process's CPU
 * time (user + system) per refresh. Preparation is not measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { addAccountConnector } from '../src/connectors/account-connector-admin.ts';
import { createAccount } from '../src/connectors/account-admin.ts';
import { addAppConnector } from '../src/connectors/app-connector-admin.ts';
import { refreshDue, SCHEDULER_DEFAULTS } from '../src/connectors/refresh/background-refresh-admin.ts';
import { createUpstreamClient } from '../src/connectors/upstream/upstream-client.ts';
import { createVault } from '../src/connectors/vault/vault.ts';
import type { Storage } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { openSqlite } from '../src/db/sqlite.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createOutboundClient } from '../src/outbound/outbound-client.ts';
import { CLI_OPERATOR } from '../src/staff/actor.ts';

const [dialect, tokenUrl, countText, databaseUrl] = process.argv.slice(2);
const count = Number(countText);
if ((dialect !== 'sqlite' && dialect !== 'postgres') || tokenUrl === undefined || !Number.isInteger(count) || count < 1 || (dialect === 'postgres' && databaseUrl === undefined)) {
  throw new Error('usage: scheduler-refresh-worker.ts <sqlite|postgres> <token-url> <connectors> [database-url]');
}

/** A store of its own: a temporary directory, or a schema dropped at the end. */
async function openStore(): Promise<{ storage: Storage; dispose(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-refresh-'));
    const storage = await openSqlite({ dataDir });
    return { storage, dispose: async () => (await storage.close(), rmSync(dataDir, { recursive: true, force: true })) };
  }
  const schema = `bench_refresh_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const storage = await openPostgres({ connectionString: databaseUrl!, schema });
  return { storage, dispose: async () => (await storage.close(), await admin.query(`drop schema ${schema} cascade`), await admin.end()) };
}

const store = await openStore();
try {
  const { storage } = store;
  await migrateToLatest(storage);
  const sealer = createSealer(randomBytes(32));
  const org = await createOrganization(storage.db, systemClock, { slug: 'bench' });
  const vault = createVault(storage.db, sealer, systemClock);
  const ctx = { db: storage.db, clock: systemClock, org, actor: CLI_OPERATOR, vault, allowHttpUrls: true };
  const app = await addAppConnector(ctx, { provider: 'oauth2', name: 'Bench upstream', clientId: 'bench', clientSecret: 'bench-secret', config: { authorization_url: tokenUrl.replace(/\/token$/, '/authorize'), token_url: tokenUrl } });
  const account = await createAccount(ctx, { name: 'Bench' });
  // Expired a second ago: every one is due at the pass. Refresh tokens of this run only (the endpoint refuses a spent one).
  const run = randomBytes(6).toString('hex');
  const expires = new Date(Date.now() - 1000).toISOString();
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) =>
        addAccountConnector(ctx, account.id, { appConnectorId: app.id, authValue: JSON.stringify({ AccessToken: `at-${i + j}`, RefreshToken: `rt-${run}-${i + j}`, Expires: expires }) }),
      ),
    );
  }
  const deps = {
    db: storage.db,
    clock: systemClock,
    // A vault of its own, as a server process has: its data key is opened once, during the pass.
    vault: createVault(storage.db, sealer, systemClock),
    upstream: createUpstreamClient({ outbound: createOutboundClient({ allowPrivateNetwork: true }), allowHttp: true, clock: systemClock }),
    allowHttpUrls: true,
    publicUrl: 'http://127.0.0.1',
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const report = await refreshDue(deps, SCHEDULER_DEFAULTS);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const refreshes = report.refreshed;
  process.stdout.write(
    `${JSON.stringify({ dialect, connectors: count, ...report, seconds, perSecond: refreshes / seconds, cpuMicrosPerRefresh: refreshes === 0 ? null : (cpu.user + cpu.system) / refreshes })}\n`,
  );
} finally {
  await store.dispose();
}
