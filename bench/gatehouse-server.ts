/**
 * One Gatehouse for the benchmark, in a process of its own: the real app (`buildApp`) over a fresh
 * store, seeded with one organization, one constituent and two clients, listening on a free
 * loopback port. Started by bench/run.ts as
 *
 *   node bench/gatehouse-server.ts sqlite
 *   node bench/gatehouse-server.ts postgres <connection string>
 *
 * It logs as `npm start` does: at LOG_LEVEL (`info` when unset), JSON lines on stdout through the
 * server's own destination (src/http/logging.ts). It reports its issuer and client credentials
 * over IPC and, on SIGTERM or when the parent goes away, closes and deletes its store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createConstituent } from '../src/accounts/constituents.ts';
import { buildApp } from '../src/app.ts';
import { createClient } from '../src/clients/clients.ts';
import { CONFIG_DEFAULTS, loadConfig } from '../src/config/config.ts';
import type { Storage } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { openSqlite } from '../src/db/sqlite.ts';
import { createLogger, createServerLogDestination } from '../src/http/logging.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { systemClock } from '../src/lib/clock.ts';
import { findFreePort } from '../src/lib/free-port.ts';
import { randomBase32 } from '../src/lib/random.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser, type CreatedStaffUser } from '../src/staff/staff.ts';
import { BENCH_USER, REDIRECT_URI, RESOURCE_URL_ENV, SERVICE_SCOPE, tellParent, USER_SCOPE } from './protocol.ts';

const ORG_SLUG = 'bench';

interface BenchStore {
  readonly storage: Storage;
  readonly description: string;
  dispose(): Promise<void>;
}

/** SQLite as the server opens it: a file in a fresh directory, WAL, every commit durable before it is answered (the WAL fdatasynced), checkpoints in a background thread. */
async function sqliteStore(): Promise<BenchStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  // As the server opens it (src/main.ts): WAL checkpoints in a background thread.
  const storage = await openSqlite({ dataDir, checkpointInBackground: true });
  return {
    storage,
    description: `SQLite file in a fresh directory under ${tmpdir()} (WAL; every commit durable before it is answered: the WAL is fdatasynced after each group; background checkpoints), deleted at the end`,
    async dispose() {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL with the default pool (10), in a schema of its own that is dropped at the end. */
async function postgresStore(connectionString: string): Promise<BenchStore> {
  const schema = `bench_${randomBase32(12)}`;
  const admin = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const storage = await openPostgres({ connectionString, schema });
  return {
    storage,
    description: `PostgreSQL at ${storage.location}, pool of 10, a fresh schema dropped at the end`,
    async dispose() {
      await storage.close();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}

async function main(): Promise<void> {
  const [dialect, connectionString] = process.argv.slice(2);
  if (dialect !== 'sqlite' && !(dialect === 'postgres' && connectionString !== undefined)) {
    throw new Error('usage: gatehouse-server.ts sqlite | postgres <connection string>');
  }
  const store = dialect === 'sqlite' ? await sqliteStore() : await postgresStore(connectionString!);
  let closing: Promise<void> | undefined;
  try {
    await migrateToLatest(store.storage);
    const db = store.storage.db;
    const org = await createOrganization(db, systemClock, { slug: ORG_SLUG, name: 'Bench' });
    await createConstituent(db, systemClock, org.id, { username: BENCH_USER.username, password: BENCH_USER.password, email: BENCH_USER.email, name: BENCH_USER.name });
    const web = await createClient(db, systemClock, org.id, {
      name: 'Bench Web App',
      clientType: 'confidential',
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code', 'refresh_token'],
      scope: USER_SCOPE,
      // Like a first-party app: the flows measured are sign-ins with an existing session, no pages.
      consentRequired: false,
    });
    const service = await createClient(db, systemClock, org.id, {
      name: 'Bench Service',
      clientType: 'confidential',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scope: SERVICE_SCOPE,
      consentRequired: false,
    });

    // The issuer must name the real port, so the port is chosen before the app is built.
    const port = await findFreePort('127.0.0.1');
    const logLevel = process.env.LOG_LEVEL;
    // The proxy scenario's resource server is on loopback over http: allowed only when there is one.
    const resourceUrl = process.env[RESOURCE_URL_ENV];
    const config = loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...(logLevel === undefined ? {} : { LOG_LEVEL: logLevel }),
      ...(resourceUrl === undefined ? {} : { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' }),
    });
    // The logger of `gatehouse start` (src/cli/start.ts): the configured level, stdout.
    const logger = createLogger({ level: config.logLevel, destination: createServerLogDestination(1) });
    const app = buildApp(config, { storage: store.storage, logger, clock: systemClock, sealer: createSealer(randomBytes(32)) });
    await app.listen({ port, host: '127.0.0.1' });

    const shutdown = (): Promise<void> => {
      closing ??= app
        .close()
        .then(() => store.dispose())
        .finally(() => process.exit(0));
      return closing;
    };
    process.on('SIGTERM', () => void shutdown());
    process.on('SIGINT', () => void shutdown());
    // The orchestrator died without killing us: do not outlive it.
    process.on('disconnect', () => void shutdown());

    const benchStaff = await createStaffUser(db, systemClock, org.id, { email: 'bench@example.org', role: 'developer', withApiKey: true });
    const connectorCredentials = await seedConnector(config.publicUrl, benchStaff);
    const connectorProxy = resourceUrl === undefined ? undefined : await seedProxyConnector(config.publicUrl, benchStaff, resourceUrl);
    tellParent({
      type: 'ready',
      // A server at another level than the default says so in its name.
      name: `gatehouse-${dialect}${config.logLevel === CONFIG_DEFAULTS.logLevel ? '' : ` LOG_LEVEL=${config.logLevel}`}`,
      issuer: `${config.publicUrl}/o/${ORG_SLUG}`,
      webClient: { id: web.clientId, secret: web.clientSecret! },
      serviceClient: { id: service.clientId, secret: service.clientSecret! },
      store: store.description,
      connectorCredentials,
      ...(connectorProxy === undefined ? {} : { connectorProxy }),
    });
  } catch (error) {
    await store.dispose().catch(() => {});
    throw error;
  }
}

/** POST through the management API as the bench's staff user, for seeding. */
function poster(publicUrl: string, authorization: string): (path: string, body: unknown) => Promise<{ id: string }> {
  return async (path, body) => {
    const response = await fetch(`${publicUrl}/api/v2${path}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status !== 201) throw new Error(`seeding ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string };
  };
}

/** An account connector authenticated by an imported AuthValue (a token valid for a year), made through the management API. */
async function seedConnector(publicUrl: string, staff: CreatedStaffUser): Promise<{ path: string; authorization: string }> {
  const authorization = `Basic ${Buffer.from(`${ORG_SLUG}:${staff.apiKey!}`).toString('base64')}`;
  const post = poster(publicUrl, authorization);
  const app = await post('/app-connectors', { provider: 'hubspot', name: 'Bench HubSpot', client_id: 'bench-client', client_secret: randomBytes(24).toString('base64url') });
  const account = await post('/accounts', { name: 'Bench customer' });
  const expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();
  const connector = await post(`/accounts/${account.id}/connectors`, {
    app_connector_id: app.id,
    auth_value: JSON.stringify({ AccessToken: randomBytes(32).toString('base64url'), RefreshToken: randomBytes(32).toString('base64url'), Expires: expires }),
  });
  return { path: `/api/v2/account-connectors/${connector.id}/credentials`, authorization };
}

/** A generic api-key connector whose API base is the resource server: the proxy scenario's GET goes through it. */
async function seedProxyConnector(publicUrl: string, staff: CreatedStaffUser, resourceUrl: string): Promise<{ path: string; authorization: string }> {
  const authorization = `Basic ${Buffer.from(`${ORG_SLUG}:${staff.apiKey!}`).toString('base64')}`;
  const post = poster(publicUrl, authorization);
  const app = await post('/app-connectors', { provider: 'api-key', name: 'Bench API', config: { api_base_url: `${resourceUrl}/v1` } });
  const account = await post('/accounts', { name: 'Bench proxy customer' });
  const connector = await post(`/accounts/${account.id}/connectors`, { app_connector_id: app.id, properties: { ApiKey: randomBytes(24).toString('base64url') } });
  return { path: `/api/v2/account-connectors/${connector.id}/proxy/items?limit=10`, authorization };
}

main().catch((error: unknown) => {
  tellParent({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
