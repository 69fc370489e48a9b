// A server process's background refresh and nothing else, for the kill -9 test
// (test/refresh-scheduler-crash.test.ts): runs refresh passes against the store named by
// DATA_DIR or DATABASE_URL, as `gatehouse start` would, with the root key in ROOT_KEY (base64),
// an outbound timeout of two minutes (so that a hanging upstream keeps it holding its leases)
// and the real clock. Prints `passing` once its first pass has started; runs until killed.

import { refreshDue, SCHEDULER_DEFAULTS } from '../../src/connectors/refresh/background-refresh-admin.ts';
import { createUpstreamClient } from '../../src/connectors/upstream/upstream-client.ts';
import { createVault } from '../../src/connectors/vault/vault.ts';
import { loadConfig } from '../../src/config/config.ts';
import { openStorage } from '../../src/db/open.ts';
import { createSealer } from '../../src/keys/sealing.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createOutboundClient } from '../../src/outbound/outbound-client.ts';

const config = loadConfig(process.env);
const storage = await openStorage(config, { create: false });
const deps = {
  db: storage.db,
  clock: systemClock,
  vault: createVault(storage.db, createSealer(Buffer.from(process.env['ROOT_KEY'] ?? '', 'base64')), systemClock),
  upstream: createUpstreamClient({ outbound: createOutboundClient({ allowPrivateNetwork: true, timeoutMs: 120_000 }), allowHttp: true, clock: systemClock }),
  allowHttpUrls: true,
  publicUrl: config.publicUrl,
};
const settings = { ...SCHEDULER_DEFAULTS, concurrency: 100, leaseMs: Number(process.env['LEASE_MS'] ?? SCHEDULER_DEFAULTS.leaseMs) };
process.stdout.write('passing\n');
for (;;) {
  await refreshDue(deps, settings);
  await new Promise((resolve) => setTimeout(resolve, 200));
}
