import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import type { DialectName } from '../../src/db/database.ts';
import { createLogger } from '../../src/http/logging.ts';
import { createSealer } from '../../src/keys/sealing.ts';
import { systemClock, type Clock } from '../../src/lib/clock.ts';
import { findFreePort } from '../../src/lib/free-port.ts';
import { createTestStore, type TestStore } from './storage.ts';

export interface TestServer {
  readonly app: FastifyInstance;
  readonly store: TestStore;
  readonly config: Config;
  /** `http://127.0.0.1:<ephemeral port>` */
  readonly url: string;
  /** Every log line the app wrote, as parsed JSON. */
  readonly logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * The one way tests start Gatehouse: a fresh store of the dialect (or another server's), the real
 * app, a real socket on an ephemeral loopback port, and the logs captured for assertions.
 */
export async function startTestServer(
  dialect: DialectName,
  options: {
    readonly clock?: Clock;
    readonly env?: Record<string, string>;
    /** Another server's store (as a second process of one installation, or a restart): left open by close(). */
    readonly store?: TestStore;
    /** The installation's root key; a fresh one by default. */
    readonly rootKey?: Buffer;
  } = {},
): Promise<TestServer> {
  const store = options.store ?? (await createTestStore(dialect));
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  // The issuer must name the real port, so the port is chosen before the app is built.
  const port = await findFreePort('127.0.0.1');
  const config = loadConfig({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...options.env });
  const app = buildApp(config, { storage: store.storage, logger, clock: options.clock ?? systemClock, sealer: createSealer(options.rootKey ?? randomBytes(32)) });
  await app.listen({ port, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    store,
    config,
    url,
    logs,
    async close() {
      await app.close();
      if (options.store === undefined) await store.dispose();
    },
  };
}

