import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.ts';
import type { Config } from './config/config.ts';
import type { Storage } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { openStorage } from './db/open.ts';
import { lockDataDirForServer, type ServerLock } from './db/sqlite-server-lock.ts';
import { createDemoOrganizationOnce, type DemoOrganization } from './demo.ts';
import type { ServerLogDestination } from './http/logging.ts';
import { loadOrCreateRootKey } from './keys/root-key.ts';
import { createSealer } from './keys/sealing.ts';
import { systemClock } from './lib/clock.ts';
import { findFreePort } from './lib/free-port.ts';
import { schedulePurge } from './oauth/purge.ts';
import { purgeExpiredConnectorRows } from './connectors/purge.ts';
import { startRefreshScheduler } from './connectors/refresh/background-refresh-admin.ts';
import { createHubProcessServices } from './connectors/connector-context.ts';
import { startWebhookDelivery } from './webhooks/delivery.ts';
import { purgeFinishedWebhookDeliveries } from './webhooks/purge.ts';

/** How long in-flight requests get to finish after SIGTERM/SIGINT before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly storage: Storage;
  /** The address the server listens on (which, with PORT=0, says the port chosen). */
  readonly listeningUrl: string;
  /** PUBLIC_URL as served (with PORT=0, it names the port chosen). */
  readonly publicUrl: string;
  /** Set on the first start of an installation only. */
  readonly demo: DemoOrganization | undefined;
  readonly appliedMigrations: readonly string[];
  /** Stops accepting connections, lets in-flight requests finish, closes the store. */
  close(): Promise<void>;
}

/**
 * Everything `gatehouse start` does before serving: the SQLite data directory's server lock,
 * root key, store, migrations, the demo organization on a first start, then listen. Any failure
 * closes what was opened and rethrows.
 */
export async function startServer(requested: Config, logger: Logger): Promise<RunningServer> {
  const config = await withConcretePort(requested);
  // Before anything is created or migrated: a second server on the same SQLite directory stops here.
  const lock = config.databaseUrl === undefined ? lockDataDirForServer(config.dataDir) : undefined;
  try {
    return await startLocked(config, logger, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function startLocked(config: Config, logger: Logger, lock: ServerLock | undefined): Promise<RunningServer> {
  const rootKey = loadOrCreateRootKey(config);
  if (rootKey.source !== 'environment') {
    logger.warn(
      { path: rootKey.path },
      rootKey.source === 'generated'
        ? 'GATEHOUSE_SECRET_KEY is not set: generated a root key into DATA_DIR. Production must set GATEHOUSE_SECRET_KEY (openssl rand -base64 32) and keep it out of the data directory and its backups.'
        : 'GATEHOUSE_SECRET_KEY is not set: using the root key file in DATA_DIR. Production must set GATEHOUSE_SECRET_KEY and keep it apart from the data it protects.',
    );
  }
  if (config.outboundAllowPrivateNetwork) {
    logger.warn(
      { variable: 'OUTBOUND_ALLOW_PRIVATE_NETWORK' },
      'OUTBOUND_ALLOW_PRIVATE_NETWORK=true: connectors may call http: URLs and loopback, private and link-local addresses (cloud metadata services included). For development and tests only; unset it in production.',
    );
  }
  const storage = await openStorage(config, {
    create: true,
    sqlite: { checkpointInBackground: true, onCheckpointError: (message) => logger.warn({ reason: message }, 'SQLite background checkpoint failed; retrying') },
  });
  let app: FastifyInstance | undefined;
  try {
    const { applied } = await migrateToLatest(storage);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations');
    const sealer = createSealer(rootKey.key);
    const allowPrivateNetwork = config.outboundAllowPrivateNetwork;
    // One vault and one outbound client for the process: the routes, the background refresh and the webhook delivery share them.
    const hub = createHubProcessServices(storage.db, sealer, systemClock, { allowPrivateNetwork });
    app = buildApp(config, { storage, logger, clock: systemClock, sealer, hub });
    const listeningUrl = await app.listen({ port: config.port, host: config.host });
    // Only once listening: a start that fails before could not print the demo's one-time secrets.
    const demo = await createDemoOrganizationOnce(storage.db, systemClock, config);
    const purge = schedulePurge(storage.db, systemClock, {
      purged: (counts) => {
        if (Object.values(counts).some((n) => n > 0)) logger.info({ deleted: counts }, 'purged expired codes, tokens and sessions');
      },
      failed: (error) => logger.error({ err: error }, 'purging expired rows failed; retrying at the next interval'),
    }, { alsoPurge: async (db, clock) => ({ ...(await purgeExpiredConnectorRows(db, clock)), ...(await purgeFinishedWebhookDeliveries(db, clock)) }) });
    // Every process sends the outbox's due webhooks; the store's leases keep them from sending one twice at once.
    const webhooks = startWebhookDelivery({
      db: storage.db,
      clock: systemClock,
      sealer,
      outbound: hub.outbound,
      onError: (error) => logger.error({ err: error }, 'sending a webhook failed unexpectedly; it is tried again when its lease expires'),
    });
    // Connectors refreshed before they expire, in every server process (the lease on each row
    // makes sure one of them, or a credentials request, refreshes each once: docs/decisions/0013).
    const refresher = startRefreshScheduler(
      {
        db: storage.db,
        clock: systemClock,
        vault: hub.vault,
        upstream: hub.upstream,
        allowHttpUrls: allowPrivateNetwork,
        publicUrl: config.publicUrl,
      },
      {
        pass: (report) => logger.info({ refreshed: report.refreshed, failed: report.failed, needs_reauth: report.needsReauth, errors: report.errors }, 'background refresh of connectors'),
        connector: (report) =>
          logger.warn(
            { org_id: report.orgId, account_connector_id: report.accountConnectorId, outcome: report.outcome, error_code: report.failure?.code, error_description: report.failure?.description, err: report.error },
            'background refresh of a connector did not succeed',
          ),
        failed: (error) => logger.error({ err: error }, 'background refresh pass failed; retrying at the next interval'),
      },
    );
    logger.info({ url: listeningUrl, publicUrl: config.publicUrl, store: storage.dialect, location: storage.location }, 'Gatehouse is listening');
    const running = app;
    return {
      app: running,
      storage,
      listeningUrl,
      publicUrl: config.publicUrl,
      demo,
      appliedMigrations: applied,
      async close() {
        await running.close();
        await refresher.stop();
        await webhooks.stop();
        await purge.stop();
        await storage.close();
        lock?.release();
      },
    };
  } catch (error) {
    await app?.close().catch(() => {});
    await storage.close().catch(() => {});
    throw error;
  }
}

/**
 * PORT=0 asks for any free port. The issuer must name the real one, so the port is chosen before
 * the app is built, and a PUBLIC_URL left at its default follows it.
 */
async function withConcretePort(config: Config): Promise<Config> {
  if (config.port !== 0) return config;
  const port = await findFreePort(config.host);
  const publicUrl = config.publicUrl === `http://localhost:${config.port}` ? `http://localhost:${port}` : config.publicUrl;
  return Object.freeze({ ...config, port, publicUrl });
}

/**
 * On SIGTERM or SIGINT: stop accepting, finish in-flight requests, close the store, write out the
 * buffered logs, exit 0. A second signal, or a shutdown that overruns its grace period, exits 1 at
 * once (the log destination still writes out its buffer, synchronously, on exit).
 */
export function closeOnSignals(server: RunningServer, logger: Logger): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      logger.error('shutdown took longer than the grace period: exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    server.close().then(
      () => {
        logger.info('stopped');
        // The logs are buffered (http/logging.ts): every line is written before the exit.
        logger.flush(() => process.exit(0));
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * An uncaught exception (or an unhandled rejection, which Node raises as one by default) leaves
 * the process in an unknown state: log it, write out the buffered log lines synchronously (no
 * callback may run any more), and exit 1, as Node would have done, without losing a line.
 */
export function exitOnFatalErrors(logger: Logger, destination: ServerLogDestination): void {
  process.on('uncaughtException', (error: unknown, origin: NodeJS.UncaughtExceptionOrigin) => {
    try {
      logger.fatal({ err: error }, origin === 'unhandledRejection' ? 'unhandled promise rejection: exiting' : 'uncaught exception: exiting');
      destination.flushSync();
    } finally {
      process.exit(1);
    }
  });
}
