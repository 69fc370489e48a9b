import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.ts';
import { inTransaction } from '../src/db/transaction.ts';
import { createLogger } from '../src/http/logging.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { systemClock } from '../src/lib/clock.ts';
import { startServer } from '../src/main.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createOutboundClient } from '../src/outbound/outbound-client.ts';
import { CLI_OPERATOR } from '../src/staff/actor.ts';
import { publishEvent } from '../src/webhooks/publish.ts';
import { addWebhookEndpoint } from '../src/webhooks/webhook-admin.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

// The server as `gatehouse start` runs it (main.ts's startServer, not buildApp) sends the outbox's
// webhooks by itself: main.ts starts the delivery worker, and stops it before the store closes.

describe.each(DIALECTS)('the server process sends webhooks on %s', (dialect) => {
  const rootKey = randomBytes(32);
  let store: TestStore;
  let receiver: Server;
  const bodies: string[] = [];

  beforeAll(async () => {
    store = await createTestStore(dialect);
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
    await store?.dispose();
  });

  it('delivers an event published while it runs, within a few seconds', async () => {
    const db = store.storage.db;
    const org = await createOrganization(db, systemClock, { slug: 'acme' });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`;
    const services = { sealer: createSealer(rootKey), outbound: createOutboundClient({ allowPrivateNetwork: true }), allowPrivateNetwork: true };
    await addWebhookEndpoint({ db, clock: systemClock, org, actor: CLI_OPERATOR, webhooks: services }, { url });

    const logs = new Writable({ write: (_chunk, _encoding, done) => done() });
    const config = loadConfig({ ...store.env, PORT: '0', HOST: '127.0.0.1', GATEHOUSE_SECRET_KEY: rootKey.toString('base64'), OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' });
    const server = await startServer(config, createLogger({ level: 'warn', destination: logs }));
    try {
      await inTransaction(db, (trx) => publishEvent(trx, { orgId: org.id, type: 'client.approved', data: { client_id: 'c1' }, occurredAt: Date.now() }));
      for (let waited = 0; bodies.length === 0 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(bodies.map((body) => JSON.parse(body).type)).toEqual(['client.approved']);
    } finally {
      await server.close();
    }
  });
});
