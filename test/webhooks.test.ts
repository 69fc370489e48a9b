import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { changeRegistrationPolicy } from '../src/clients/client-admin.ts';
import { submitRegistrationRequest } from '../src/clients/registration.ts';
import { CLI_OPERATOR } from '../src/staff/actor.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { createOrganization, findOrganizationById } from '../src/orgs/orgs.ts';
import { createOutboundClient } from '../src/outbound/outbound-client.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { claimDelivery, settleAttempt } from '../src/webhooks/deliveries.repository.ts';
import { deliverDue, LEASE_MS, MAX_ATTEMPTS, type WebhookDeliveryDeps } from '../src/webhooks/delivery.ts';
import { DELIVERY_RETENTION_MS, purgeFinishedWebhookDeliveries } from '../src/webhooks/purge.ts';
import { insertEndpoint } from '../src/webhooks/endpoints.repository.ts';
import { MAX_ENDPOINTS_PER_ORG } from '../src/webhooks/webhook-admin.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

// Webhooks for the organization (issue 12), on each store: endpoints through the management API,
// the outbox sent by the delivery worker (deliverDue, on an injected clock) to a real receiver on
// a loopback port that checks signatures with its own implementation of the Standard Webhooks
// spec, retries, restarts, rotation, test-send, and destinations refused at delivery.

/** What a receiver got: one request. */
interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the receiver answers the next requests, in order; then 200. `hang`: never answers; `huge`: 200 with 1 MiB. */
type Answer = number | 'hang' | 'huge';

interface Receiver {
  readonly url: string;
  readonly received: Received[];
  answers: Answer[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const receiver = { received, answers: [] as Answer[] };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = receiver.answers.shift() ?? 200;
      if (answer === 'hang') return;
      if (answer === 'huge') return void response.end('x'.repeat(1024 * 1024));
      response.statusCode = answer;
      response.end(answer === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}

/**
 * The receiver's check, written here from the Standard Webhooks spec (not with the library the
 * server signs with): HMAC-SHA256 under the base64-decoded secret after `whsec_`, over
 * `<webhook-id>.<webhook-timestamp>.<body>`, base64; `webhook-signature` is space-separated
 * `v1,<signature>` entries, any one of which may match. Which of `secrets` signed, in order.
 */
function signersOf(request: Received, secrets: readonly string[]): string[] {
  const id = String(request.headers['webhook-id']);
  const timestamp = String(request.headers['webhook-timestamp']);
  const signatures = String(request.headers['webhook-signature'])
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version]) => version === 'v1')
    .map(([, signature]) => Buffer.from(signature ?? '', 'base64'));
  return secrets.filter((secret) => {
    const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${request.body}`).digest();
    return signatures.some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected));
  });
}

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

describe.each(DIALECTS)('webhooks on %s', (dialect) => {
  const rootKey = randomBytes(32);
  let now = T0;
  const clock = (): number => now;
  let server: TestServer;
  let receiver: Receiver;
  let developerKey: string;
  let readOnlyKey: string;
  let supportKey: string;
  let otherOrgKey: string;
  let orgId: string;
  /** Every secret the API gave: none may be in a log line or the audit log. */
  const secrets: string[] = [];

  /** The worker of "a process": its own outbound client and a fixed jitter (the middle of ±20 %). */
  const worker = (overrides: Partial<WebhookDeliveryDeps> = {}): WebhookDeliveryDeps => ({
    db: server.store.storage.db,
    clock,
    sealer: createSealer(rootKey),
    outbound: createOutboundClient({ allowPrivateNetwork: true }),
    random: () => 0.5,
    ...overrides,
  });

  beforeAll(async () => {
    server = await startTestServer(dialect, { rootKey, clock, env: { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' } });
    receiver = await startReceiver();
    const db = server.store.storage.db;
    const acme = await createOrganization(db, clock, { slug: 'acme' });
    orgId = acme.id;
    await changeRegistrationPolicy({ db, clock, org: acme, actor: CLI_OPERATOR }, { mode: 'approval', initialAccessToken: 'none' });
    developerKey = (await createStaffUser(db, clock, orgId, { email: 'dev@acme.example', role: 'developer', withApiKey: true })).apiKey!;
    readOnlyKey = (await createStaffUser(db, clock, orgId, { email: 'ro@acme.example', role: 'read_only', withApiKey: true })).apiKey!;
    supportKey = (await createStaffUser(db, clock, orgId, { email: 'help@acme.example', role: 'support', withApiKey: true })).apiKey!;
    const other = await createOrganization(db, clock, { slug: 'other' });
    otherOrgKey = (await createStaffUser(db, clock, other.id, { email: 'owner@other.example', role: 'owner', withApiKey: true })).apiKey!;
  });
  afterAll(async () => {
    const audit = await server.store.storage.db.selectFrom('audit_events').select('details').execute();
    for (const secret of secrets) {
      expect(JSON.stringify(server.logs)).not.toContain(secret);
      expect(JSON.stringify(audit)).not.toContain(secret);
      expect(JSON.stringify(await server.store.storage.db.selectFrom('webhook_endpoints').selectAll().execute())).not.toContain(secret.slice('whsec_'.length));
    }
    await receiver?.close();
    await server?.close();
  });

  async function api(method: string, path: string, options: { key?: string; org?: string; body?: unknown; base?: string } = {}) {
    const response = await fetch(`${options.base ?? server.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${options.org ?? 'acme'}:${options.key ?? developerKey}`).toString('base64')}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
  }

  const fieldsOf = (response: { json?: Record<string, any> }) => (response.json!.error.fields as Array<{ field: string; message: string }>).map((f) => f.field);

  /** A new endpoint of acme to `url` (the receiver's by default); its id and secret. */
  async function endpoint(body: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
    const created = await api('POST', '/webhooks', { body: { url: receiver.url, ...body } });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    secrets.push(created.json!.secret);
    return { id: created.json!.id, secret: created.json!.secret };
  }

  async function disable(id: string): Promise<void> {
    expect((await api('PATCH', `/webhooks/${id}`, { body: { enabled: false } })).status).toBe(200);
  }

  /** A client of acme moved through its lifecycle by the API, which publishes the client events. */
  async function registrationRequest(name: string): Promise<string> {
    const org = (await findOrganizationById(server.store.storage.db, orgId))!;
    const { client } = await submitRegistrationRequest(
      server.store.storage.db,
      clock,
      org,
      { source: 'registration_page', name, clientType: 'confidential', redirectUris: ['https://app.example.org/cb'], requesterName: 'Ann', requesterEmail: 'ann@example.org', requestReason: 'Events' },
      { ip: '192.0.2.1' },
    );
    return client.clientId;
  }

  /** Each delivery test starts alone: no endpoint of an earlier test receives, nothing of one is still due. */
  async function quiet(): Promise<void> {
    const db = server.store.storage.db;
    await db.updateTable('webhook_endpoints').set({ enabled: 0 }).execute();
    await db.updateTable('webhook_deliveries').set({ state: 'failed', next_attempt_at: null, finished_at: now }).where('state', '=', 'pending').execute();
    receiver.received.length = 0;
    receiver.answers = [];
  }

  describe('endpoints in the management API', () => {
    it('adds an endpoint with a Standard Webhooks secret shown once, lists, shows, changes and deletes it', async () => {
      const created = await api('POST', '/webhooks', { body: { url: 'https://hooks.example.com/in', description: 'CRM', event_types: ['client.approved'] } });
      expect(created.status).toBe(201);
      secrets.push(created.json!.secret);
      expect(created.json!.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(created.json!.secret.slice(6), 'base64')).toHaveLength(32);
      const id = created.json!.id as string;
      expect(id).toMatch(/^whk_/);
      expect(created.json).toMatchObject({ url: 'https://hooks.example.com/in', description: 'CRM', event_types: ['client.approved'], enabled: true, previous_secret_expires_at: null });

      const shown = await api('GET', `/webhooks/${id}`, { key: readOnlyKey });
      expect(shown.status).toBe(200);
      expect(shown.json).not.toHaveProperty('secret');
      expect((await api('GET', '/webhooks', { key: readOnlyKey })).json!.data.map((e: { id: string }) => e.id)).toContain(id);

      const changed = await api('PATCH', `/webhooks/${id}`, { body: { event_types: null, enabled: false, description: 'All' } });
      expect(changed.status).toBe(200);
      expect(changed.json).toMatchObject({ event_types: null, enabled: false, description: 'All', url: 'https://hooks.example.com/in' });

      expect((await api('GET', `/webhooks/${id}`, { org: 'other', key: otherOrgKey })).status).toBe(404);
      expect((await api('DELETE', `/webhooks/${id}`)).status).toBe(204);
      expect((await api('GET', `/webhooks/${id}`)).status).toBe(404);

      const actions = await server.store.storage.db.selectFrom('audit_events').select('action').where('target_id', '=', id).orderBy('occurred_at').execute();
      expect(actions.map((a) => a.action)).toEqual(['webhook_endpoint.created', 'webhook_endpoint.updated', 'webhook_endpoint.deleted']);
    });

    it('pages the list with a cursor', async () => {
      const db = server.store.storage.db;
      const org = await createOrganization(db, clock, { slug: 'paging' });
      const key = (await createStaffUser(db, clock, org.id, { email: 'dev@paging.example', role: 'developer', withApiKey: true })).apiKey!;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const created = await api('POST', '/webhooks', { org: 'paging', key, body: { url: `https://hooks.example.com/${i}` } });
        secrets.push(created.json!.secret);
        ids.push(created.json!.id);
        now += 1;
      }
      const first = await api('GET', '/webhooks?limit=2', { org: 'paging', key });
      const second = await api('GET', `/webhooks?limit=2&cursor=${first.json!.next_cursor}`, { org: 'paging', key });
      expect([...first.json!.data, ...second.json!.data].map((e: { id: string }) => e.id)).toEqual(ids);
      expect(second.json!.next_cursor).toBeNull();
    });

    it(`refuses an endpoint past ${MAX_ENDPOINTS_PER_ORG} in one organization (409)`, async () => {
      const db = server.store.storage.db;
      const org = await createOrganization(db, clock, { slug: 'crowded' });
      const key = (await createStaffUser(db, clock, org.id, { email: 'dev@crowded.example', role: 'developer', withApiKey: true })).apiKey!;
      for (let i = 0; i < MAX_ENDPOINTS_PER_ORG - 1; i++) {
        await insertEndpoint(db, { orgId: org.id, id: `whk_crowd${i}`, url: 'https://hooks.example.com/in', description: '', eventTypes: null, enabled: false, sealedSecret: 'v1.x', sealedPreviousSecret: null, previousSecretExpiresAt: null, createdAt: now, updatedAt: now });
      }
      const last = await api('POST', '/webhooks', { org: 'crowded', key, body: { url: 'https://hooks.example.com/in' } });
      expect(last.status).toBe(201);
      secrets.push(last.json!.secret);
      const refused = await api('POST', '/webhooks', { org: 'crowded', key, body: { url: 'https://hooks.example.com/in' } });
      expect(refused.status).toBe(409);
      expect(refused.json!.error.code).toBe('conflict');
    });

    it('needs webhooks:read to read and webhooks:write to change (read_only reads, support does neither)', async () => {
      expect((await api('GET', '/webhooks', { key: readOnlyKey })).status).toBe(200);
      const refused = await api('POST', '/webhooks', { key: readOnlyKey, body: { url: 'https://hooks.example.com/in' } });
      expect(refused.status).toBe(403);
      expect((await api('GET', '/webhooks', { key: supportKey })).status).toBe(403);
    });

    it('refuses a malformed URL, unknown event types and (unless the deployment allows private networks) non-https or private targets, naming the field', async () => {
      const malformed = await api('POST', '/webhooks', { body: { url: 'not a url', event_types: ['client.exploded'] } });
      expect(malformed.status).toBe(400);
      expect(fieldsOf(malformed).sort()).toEqual(['event_types', 'url']);
      expect((await api('POST', '/webhooks', { body: { url: 'https://user:pw@hooks.example.com/' } })).status).toBe(400);

      // A second process of the installation, without OUTBOUND_ALLOW_PRIVATE_NETWORK.
      const strict = await startTestServer(dialect, { rootKey, clock, store: server.store });
      try {
        for (const url of ['http://hooks.example.com/in', 'https://127.0.0.1/in', 'https://10.1.2.3/in', 'https://[::1]/in', 'https://localhost/in', 'https://169.254.169.254/latest']) {
          const refused = await api('POST', '/webhooks', { base: strict.url, body: { url } });
          expect(refused.status, url).toBe(400);
          expect(fieldsOf(refused), url).toEqual(['url']);
        }
        const patched = await api('PATCH', `/webhooks/${(await endpoint()).id}`, { base: strict.url, body: { url: 'https://192.168.1.1/' } });
        expect(patched.status).toBe(400);
        expect(fieldsOf(patched)).toEqual(['url']);
      } finally {
        await strict.close();
      }
    });
  });

  describe('delivery', () => {
    beforeEach(quiet);
    it('signs each delivery as Standard Webhooks says: an independent verifier accepts it and refuses a tampered body', async () => {
      const { id, secret } = await endpoint({ event_types: ['client.registration_requested'] });
      receiver.received.length = 0;
      const clientId = await registrationRequest('Signed App');
      expect(await deliverDue(worker())).toEqual({ delivered: 1, retrying: 0, failed: 0 });

      expect(receiver.received).toHaveLength(1);
      const request = receiver.received[0]!;
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['webhook-id']).toMatch(/^msg_/);
      expect(request.headers['webhook-timestamp']).toBe(String(Math.floor(now / 1000)));
      expect(signersOf(request, [secret])).toEqual([secret]);
      expect(signersOf({ ...request, body: request.body.replace('Signed App', 'Signed Apq') }, [secret])).toEqual([]);
      expect(signersOf({ ...request, headers: { ...request.headers, 'webhook-timestamp': String(Math.floor(now / 1000) + 1) } }, [secret])).toEqual([]);
      expect(JSON.parse(request.body)).toEqual({
        type: 'client.registration_requested',
        timestamp: new Date(now).toISOString(),
        data: { client_id: clientId, name: 'Signed App', status: 'pending', registration_source: 'registration_page', requester_email: 'ann@example.org' },
      });
      await disable(id);
    });

    it('retries a failing receiver with growing delays (5 s, 5 min, 30 min), the same webhook-id each time, and logs every attempt', async () => {
      const { id } = await endpoint({ event_types: ['client.approved'] });
      receiver.received.length = 0;
      receiver.answers = [500, 503, 404];
      const clientId = await registrationRequest('Retried App');
      expect((await api('POST', `/clients/${clientId}/approve`)).status).toBe(200);
      const start = now;

      const expectedDelays = [5_000, 300_000, 1_800_000];
      for (const delay of expectedDelays) {
        expect(await deliverDue(worker())).toEqual({ delivered: 0, retrying: 1, failed: 0 });
        // Not a millisecond early.
        now += delay - 1;
        expect(await deliverDue(worker())).toEqual({ delivered: 0, retrying: 0, failed: 0 });
        now += 1;
      }
      expect(await deliverDue(worker())).toEqual({ delivered: 1, retrying: 0, failed: 0 });
      expect(receiver.received).toHaveLength(4);
      expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
      expect(receiver.received.map((r) => Number(r.headers['webhook-timestamp']) * 1000 - Math.floor(start / 1000) * 1000)).toEqual([0, 5_000, 305_000, 2_105_000]);

      const log = await api('GET', `/webhooks/${id}/deliveries`, { key: readOnlyKey });
      expect(log.status).toBe(200);
      const [delivery] = log.json!.data;
      expect(delivery).toMatchObject({ event_type: 'client.approved', state: 'delivered', attempts: 4, last_status_code: 200, last_error: null, next_attempt_at: null });
      expect(delivery.message_id).toBe(receiver.received[0]!.headers['webhook-id']);
      expect(delivery.attempt_log.map((a: { outcome: string; status_code: number }) => [a.outcome, a.status_code])).toEqual([
        ['failed', 500],
        ['failed', 503],
        ['failed', 404],
        ['delivered', 200],
      ]);
      expect(delivery.attempt_log[0].error).toBe('the receiver answered HTTP 500');
      await disable(id);
    });

    it(`gives up after ${MAX_ATTEMPTS} attempts, the delays jittered within ±20 %`, async () => {
      const { id } = await endpoint({ event_types: ['client.rejected'] });
      receiver.answers = Array.from({ length: MAX_ATTEMPTS }, () => 500);
      const clientId = await registrationRequest('Doomed App');
      expect((await api('POST', `/clients/${clientId}/reject`, { body: { reason: 'no' } })).status).toBe(200);
      const jitters = [0, 0.999, 0.25, 0.75, 0, 0.5, 0.999];
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const round = await deliverDue(worker({ random: () => jitters[attempt - 1] ?? 0 }));
        expect(round).toEqual(attempt < MAX_ATTEMPTS ? { delivered: 0, retrying: 1, failed: 0 } : { delivered: 0, retrying: 0, failed: 1 });
        const [row] = await server.store.storage.db.selectFrom('webhook_deliveries').select(['next_attempt_at', 'state']).where('endpoint_id', '=', id).execute();
        if (attempt < MAX_ATTEMPTS) {
          const base = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000][attempt - 1]!;
          const delay = row!.next_attempt_at! - now;
          expect(delay).toBeGreaterThanOrEqual(base * 0.8);
          expect(delay).toBeLessThanOrEqual(base * 1.2);
          now = row!.next_attempt_at!;
        } else {
          expect(row).toEqual({ next_attempt_at: null, state: 'failed' });
        }
      }
      now += 100_000_000;
      expect(await deliverDue(worker())).toEqual({ delivered: 0, retrying: 0, failed: 0 });
      await disable(id);
    });

    it('loses nothing across a restart: enqueued by one server, delivered after it closed by a worker of another on the same store', async () => {
      const { id } = await endpoint({ event_types: ['client.suspended'] });
      receiver.received.length = 0;
      const first = await startTestServer(dialect, { rootKey, clock, store: server.store, env: { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' } });
      const clientId = await registrationRequest('Restarted App');
      expect((await api('POST', `/clients/${clientId}/approve`, { base: first.url })).status).toBe(200);
      expect((await api('POST', `/clients/${clientId}/suspend`, { base: first.url })).status).toBe(200);
      await first.close();
      expect(receiver.received).toHaveLength(0);

      const second = await startTestServer(dialect, { rootKey, clock, store: server.store, env: { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' } });
      try {
        expect(await deliverDue(worker())).toEqual({ delivered: 1, retrying: 0, failed: 0 });
        expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ type: 'client.suspended', data: { client_id: clientId, from: 'active', to: 'suspended' } });
      } finally {
        await second.close();
      }
      await disable(id);
    });

    it('a delivery claimed by a process that died is sent by another once its lease expires, and never by two at once', async () => {
      const { id } = await endpoint({ event_types: ['client.reactivated'] });
      receiver.received.length = 0;
      const clientId = await registrationRequest('Leased App');
      for (const action of ['approve', 'suspend', 'reactivate']) expect((await api('POST', `/clients/${clientId}/${action}`)).status).toBe(200);
      const [row] = await server.store.storage.db.selectFrom('webhook_deliveries').select(['org_id', 'id']).where('endpoint_id', '=', id).execute();
      // The dead process's claim: never settled.
      expect(await claimDelivery(server.store.storage.db, { orgId: row!.org_id, id: row!.id }, { now, owner: 'dead', leaseUntil: now + LEASE_MS })).toBe(true);
      now += LEASE_MS - 1;
      expect(await deliverDue(worker())).toEqual({ delivered: 0, retrying: 0, failed: 0 });
      now += 1;
      // Two live processes at once: one sends it.
      const rounds = await Promise.all([deliverDue(worker()), deliverDue(worker()), deliverDue(worker())]);
      expect(rounds.reduce((sum, round) => sum + round.delivered, 0)).toBe(1);
      expect(receiver.received).toHaveLength(1);
      // The dead process, back from the dead, cannot settle a delivery it no longer holds.
      const late = { id: 'late', attemptedAt: now, outcome: 'failed' as const, statusCode: 500, durationMs: 1, error: 'late' };
      expect(await settleAttempt(server.store.storage.db, { orgId: row!.org_id, id: row!.id }, 'dead', { attempt: late, state: 'pending', nextAttemptAt: now })).toBe(false);
      const [after] = await server.store.storage.db.selectFrom('webhook_deliveries').select(['state', 'attempts']).where('id', '=', row!.id).execute();
      expect(after).toEqual({ state: 'delivered', attempts: 1 });
      await disable(id);
    });

    it('many deliveries and several workers at once: each message reaches the receiver exactly once', async () => {
      const { id } = await endpoint({ event_types: ['client.registration_requested'] });
      receiver.received.length = 0;
      for (let i = 0; i < 30; i++) await registrationRequest(`Bulk App ${i}`);
      const rounds = await Promise.all(Array.from({ length: 4 }, () => deliverDue(worker())));
      expect(rounds.reduce((sum, round) => sum + round.delivered, 0)).toBe(30);
      const ids = receiver.received.map((r) => r.headers['webhook-id']);
      expect(new Set(ids).size).toBe(30);
      expect(ids).toHaveLength(30);
      await disable(id);
    });

    it('test-send: a webhook.test message sent at once, its delivery answered', async () => {
      const { id, secret } = await endpoint({ event_types: ['client.approved'] });
      receiver.received.length = 0;
      const sent = await api('POST', `/webhooks/${id}/test`);
      expect(sent.status, JSON.stringify(sent.json)).toBe(200);
      expect(sent.json).toMatchObject({ event_type: 'webhook.test', state: 'delivered', attempts: 1, last_status_code: 200 });
      expect(receiver.received).toHaveLength(1);
      expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ type: 'webhook.test', data: { endpoint_id: id } });
      expect(signersOf(receiver.received[0]!, [secret])).toEqual([secret]);
      expect((await api('POST', `/webhooks/${id}/test`, { key: readOnlyKey })).status).toBe(403);
      await disable(id);
      expect((await api('POST', `/webhooks/${id}/test`)).status).toBe(409);
    });

    it('rotation: both secrets sign during the 24 h grace, only the new one after', async () => {
      const { id, secret: old } = await endpoint({ event_types: ['client.approved'] });
      const rotated = await api('POST', `/webhooks/${id}/rotate-secret`);
      expect(rotated.status).toBe(200);
      const fresh = rotated.json!.secret as string;
      secrets.push(fresh);
      expect(fresh).not.toBe(old);
      expect(Date.parse(rotated.json!.previous_secret_expires_at) - Date.parse(rotated.json!.updated_at)).toBe(24 * 3600 * 1000);
      expect((await api('GET', `/webhooks/${id}`)).json).not.toHaveProperty('secret');

      receiver.received.length = 0;
      expect((await api('POST', `/webhooks/${id}/test`)).json!.state).toBe('delivered');
      expect(String(receiver.received[0]!.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(signersOf(receiver.received[0]!, [old, fresh])).toEqual([old, fresh]);

      // The grace ends at that very millisecond.
      now = Date.parse(rotated.json!.previous_secret_expires_at);
      expect((await api('POST', `/webhooks/${id}/test`)).json!.state).toBe('delivered');
      expect(String(receiver.received[1]!.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(signersOf(receiver.received[1]!, [old, fresh])).toEqual([fresh]);
      const audit = await server.store.storage.db.selectFrom('audit_events').select('action').where('target_id', '=', id).execute();
      expect(audit.map((a) => a.action)).toContain('webhook_endpoint.secret_rotated');
      await disable(id);
    });

    it('client lifecycle events arrive: registration requested, approved, suspended, reactivated, rejected', async () => {
      const { id } = await endpoint();
      receiver.received.length = 0;
      const clientId = await registrationRequest('Lifecycle App');
      for (const action of ['approve', 'suspend', 'reactivate']) expect((await api('POST', `/clients/${clientId}/${action}`)).status).toBe(200);
      const rejectedId = await registrationRequest('Rejected App');
      expect((await api('POST', `/clients/${rejectedId}/reject`, { body: { reason: 'not for us' } })).status).toBe(200);
      while ((await deliverDue(worker())).delivered > 0);
      const events = receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
      // Sent several at once: in no promised order (Standard Webhooks promises none either).
      expect(events.map((e) => [e.type, e.data.client_id])).toHaveLength(6);
      expect(events.map((e) => [e.type, e.data.client_id])).toEqual(expect.arrayContaining([
        ['client.registration_requested', clientId],
        ['client.approved', clientId],
        ['client.suspended', clientId],
        ['client.reactivated', clientId],
        ['client.registration_requested', rejectedId],
        ['client.rejected', rejectedId],
      ]));
      expect(events.find((e) => e.type === 'client.rejected')!.data).toMatchObject({ from: 'pending', to: 'rejected', reason: 'not for us', requester_email: 'ann@example.org' });
      await disable(id);
    });
  });

  it('a deauthenticated connector is announced (connector.deauthenticated), without its tokens', async () => {
    await quiet();
    const { id } = await endpoint({ event_types: ['connector.deauthenticated'] });
    const app = await api('POST', '/app-connectors', { body: { provider: 'zendesk', name: 'Zendesk', client_id: 'zd', client_secret: 'zd-secret-1', config: { subdomain: 'acme' } } });
    expect((await api('POST', '/accounts', { body: { id: 'cust-hook', name: 'Customer' } })).status).toBe(201);
    const connector = await api('POST', '/accounts/cust-hook/connectors', { body: { app_connector_id: app.json!.id, auth_value: JSON.stringify({ AccessToken: 'access-token-Hk2', RefreshToken: 'refresh-token-Hk2' }) } });
    expect(connector.status, JSON.stringify(connector.json)).toBe(201);
    expect((await api('POST', `/account-connectors/${connector.json!.id}/deauthenticate`)).status).toBe(200);
    expect(await deliverDue(worker())).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    const body = receiver.received[0]!.body;
    expect(JSON.parse(body)).toMatchObject({
      type: 'connector.deauthenticated',
      data: { account_connector_id: connector.json!.id, account_id: 'cust-hook', app_connector_id: app.json!.id, previous_status: 'authenticated', status: 'unauthenticated' },
    });
    for (const secret of ['access-token-Hk2', 'refresh-token-Hk2', 'zd-secret-1']) expect(body).not.toContain(secret);
    await disable(id);
  });

  describe('destinations judged at delivery', () => {
    beforeEach(quiet);
    it('a name that now resolves to a private address is refused when sending (a refused attempt, retried), though it was allowed when saved', async () => {
      const { id } = await endpoint({ url: 'https://hooks.example.test/in', event_types: ['client.approved'] });
      receiver.received.length = 0;
      const clientId = await registrationRequest('Rebound App');
      expect((await api('POST', `/clients/${clientId}/approve`)).status).toBe(200);
      // The deployment's resolver now answers a loopback address for the name.
      const strict = worker({ outbound: createOutboundClient({ allowPrivateNetwork: false, resolveHost: async () => [{ address: '127.0.0.1', family: 4 }] }) });
      expect(await deliverDue(strict)).toEqual({ delivered: 0, retrying: 1, failed: 0 });
      const [delivery] = (await api('GET', `/webhooks/${id}/deliveries`)).json!.data;
      expect(delivery.attempt_log).toEqual([expect.objectContaining({ outcome: 'refused', status_code: null })]);
      expect(delivery.attempt_log[0].error).toMatch(/^hooks\.example\.test resolves to an address that is not public: loopback/);
      expect(delivery.state).toBe('pending');
      expect(receiver.received).toHaveLength(0);
      await disable(id);
    });

    it('a receiver that hangs times out, one that is unreachable is retried', async () => {
      const hanging = await endpoint({ event_types: ['client.approved'] });
      const closed = await startReceiver();
      await closed.close();
      const unreachable = await endpoint({ url: closed.url, event_types: ['client.approved'] });
      receiver.answers = ['hang'];
      const clientId = await registrationRequest('Hung App');
      expect((await api('POST', `/clients/${clientId}/approve`)).status).toBe(200);
      expect(await deliverDue(worker({ timeoutMs: 300 }))).toEqual({ delivered: 0, retrying: 2, failed: 0 });
      const outcome = async (endpointId: string) => (await api('GET', `/webhooks/${endpointId}/deliveries`)).json!.data[0].attempt_log[0];
      expect(await outcome(hanging.id)).toMatchObject({ outcome: 'timeout', status_code: null, error: 'no complete response within 300 ms' });
      expect(await outcome(unreachable.id)).toMatchObject({ outcome: 'unreachable', status_code: null });
      expect((await outcome(unreachable.id)).error).toContain('ECONNREFUSED');
      await disable(hanging.id);
      await disable(unreachable.id);
    });

    it('a receiver whose answer is over 64 KiB has its attempt cut short and retried (its body is never read)', async () => {
      const { id } = await endpoint({ event_types: ['client.approved'] });
      receiver.answers = ['huge'];
      const clientId = await registrationRequest('Verbose App');
      expect((await api('POST', `/clients/${clientId}/approve`)).status).toBe(200);
      expect(await deliverDue(worker())).toEqual({ delivered: 0, retrying: 1, failed: 0 });
      const [delivery] = (await api('GET', `/webhooks/${id}/deliveries`)).json!.data;
      expect(delivery.attempt_log[0]).toMatchObject({ outcome: 'failed', status_code: null, error: 'the response is larger than the 65536 bytes allowed' });
      await disable(id);
    });

    it('a secret that no longer opens (the root key changed) is an internal error in the log, reported, and the delivery follows the schedule', async () => {
      const { id } = await endpoint({ event_types: ['client.approved'] });
      const clientId = await registrationRequest('Rekeyed App');
      expect((await api('POST', `/clients/${clientId}/approve`)).status).toBe(200);
      const reported: unknown[] = [];
      expect(await deliverDue(worker({ sealer: createSealer(randomBytes(32)), onError: (error) => reported.push(error) }))).toEqual({ delivered: 0, retrying: 1, failed: 0 });
      expect(reported).toHaveLength(1);
      const [delivery] = (await api('GET', `/webhooks/${id}/deliveries`)).json!.data;
      expect(delivery).toMatchObject({ state: 'pending', attempts: 1, last_error: 'not sent: an internal error (the server log says which)' });
      expect(receiver.received).toHaveLength(0);
      await disable(id);
    });

    it('a delivery whose endpoint was disabled meanwhile is not sent', async () => {
      const { id } = await endpoint({ event_types: ['client.approved'] });
      receiver.received.length = 0;
      const clientId = await registrationRequest('Disabled App');
      expect((await api('POST', `/clients/${clientId}/approve`)).status).toBe(200);
      await disable(id);
      expect(await deliverDue(worker())).toEqual({ delivered: 0, retrying: 0, failed: 1 });
      expect(receiver.received).toHaveLength(0);
    });
  });

  it('the purge deletes deliveries finished over 30 days ago with their attempts and messages, never a pending one', async () => {
    const db = server.store.storage.db;
    await quiet();
    await endpoint({ event_types: ['client.registration_requested'] });
    await registrationRequest('Pending App');
    const pendingBefore = await db.selectFrom('webhook_deliveries').select('id').where('state', '=', 'pending').execute();
    expect(pendingBefore.length).toBeGreaterThan(0);
    const finished = await db.selectFrom('webhook_deliveries').select('id').where('state', '!=', 'pending').execute();
    const later = now + DELIVERY_RETENTION_MS + 1;
    expect(await purgeFinishedWebhookDeliveries(db, () => now)).toEqual({ webhook_deliveries: 0 });
    expect(await purgeFinishedWebhookDeliveries(db, () => later)).toEqual({ webhook_deliveries: finished.length });
    expect(await db.selectFrom('webhook_deliveries').select('id').execute()).toEqual(expect.arrayContaining(pendingBefore));
    expect(await db.selectFrom('webhook_deliveries').select('id').where('state', '!=', 'pending').execute()).toEqual([]);
    const attempts = await db.selectFrom('webhook_attempts').select('delivery_id').execute();
    expect(attempts.every((a) => pendingBefore.some((p) => p.id === a.delivery_id))).toBe(true);
    const messages = await db.selectFrom('webhook_messages').select('id').execute();
    const live = await db.selectFrom('webhook_deliveries').select('message_id').execute();
    expect(new Set(messages.map((m) => m.id))).toEqual(new Set(live.map((d) => d.message_id)));
  });
});
