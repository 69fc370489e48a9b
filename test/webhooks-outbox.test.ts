import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, migratorFor } from '../src/db/migrate.ts';
import { inTransaction } from '../src/db/transaction.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { insertEndpoint } from '../src/webhooks/endpoints.repository.ts';
import { publishEvent } from '../src/webhooks/publish.ts';
import type { WebhookEndpoint, WebhookEventType } from '../src/webhooks/webhook.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

// publishEvent, the one call other capabilities make: the outbox rows it writes in the caller's
// transaction (migration 0016), one delivery per enabled endpoint subscribed to the event.

const T0 = 1_700_000_000_000;
const clock = (): number => T0;

function endpoint(orgId: string, id: string, fields: { readonly eventTypes?: readonly WebhookEventType[] | null; readonly enabled?: boolean } = {}): WebhookEndpoint {
  return {
    orgId,
    id,
    url: 'https://hooks.example.com/in',
    description: '',
    eventTypes: fields.eventTypes === undefined ? null : fields.eventTypes,
    enabled: fields.enabled ?? true,
    sealedSecret: 'v1.sealed',
    sealedPreviousSecret: null,
    previousSecretExpiresAt: null,
    createdAt: T0,
    updatedAt: T0,
  };
}

describe.each(DIALECTS)('publishEvent on %s', (dialect) => {
  let store: TestStore;
  let orgId: string;
  let otherOrgId: string;

  beforeAll(async () => {
    store = await createTestStore(dialect);
    const db = store.storage.db;
    orgId = (await createOrganization(db, clock, { slug: 'acme' })).id;
    otherOrgId = (await createOrganization(db, clock, { slug: 'other' })).id;
    await insertEndpoint(db, endpoint(orgId, 'whk_all'));
    await insertEndpoint(db, endpoint(orgId, 'whk_clients', { eventTypes: ['client.approved', 'client.rejected'] }));
    await insertEndpoint(db, endpoint(orgId, 'whk_disabled', { enabled: false }));
    await insertEndpoint(db, endpoint(otherOrgId, 'whk_other'));
  });
  afterAll(async () => {
    await store?.dispose();
  });

  const deliveriesOf = (messageType: string) =>
    store.storage.db
      .selectFrom('webhook_deliveries')
      .innerJoin('webhook_messages', (join) => join.onRef('webhook_messages.org_id', '=', 'webhook_deliveries.org_id').onRef('webhook_messages.id', '=', 'webhook_deliveries.message_id'))
      .select(['webhook_deliveries.org_id', 'endpoint_id', 'message_id', 'state', 'attempts', 'next_attempt_at', 'payload'])
      .where('event_type', '=', messageType)
      .orderBy('endpoint_id')
      .execute();

  it('writes one message and one due delivery per enabled, subscribed endpoint of the org, with the Standard Webhooks payload', async () => {
    await inTransaction(store.storage.db, (trx) => publishEvent(trx, { orgId, type: 'client.approved', data: { client_id: 'c1' }, occurredAt: T0 + 5 }));
    const rows = await deliveriesOf('client.approved');
    expect(rows.map((row) => row.endpoint_id)).toEqual(['whk_all', 'whk_clients']);
    expect(new Set(rows.map((row) => row.message_id)).size).toBe(1);
    expect(rows[0]!.message_id).toMatch(/^msg_[0-9a-z]{26}$/);
    for (const row of rows) {
      expect(row).toMatchObject({ org_id: orgId, state: 'pending', attempts: 0, next_attempt_at: T0 + 5 });
      expect(JSON.parse(row.payload)).toEqual({ type: 'client.approved', timestamp: new Date(T0 + 5).toISOString(), data: { client_id: 'c1' } });
    }
  });

  it('skips endpoints not subscribed to the type, and writes nothing when none is', async () => {
    await publishEvent(store.storage.db, { orgId, type: 'connector.connected', data: {}, occurredAt: T0 });
    expect((await deliveriesOf('connector.connected')).map((row) => row.endpoint_id)).toEqual(['whk_all']);
    await publishEvent(store.storage.db, { orgId: 'org_without_endpoints', type: 'client.suspended', data: {}, occurredAt: T0 });
    expect(await store.storage.db.selectFrom('webhook_messages').select('id').where('event_type', '=', 'client.suspended').execute()).toEqual([]);
  });

  it('writes nothing when the caller’s transaction rolls back', async () => {
    const failed = await inTransaction(store.storage.db, async (trx) => {
      await publishEvent(trx, { orgId, type: 'client.rejected', data: {}, occurredAt: T0 });
      throw new Error('the change failed');
    }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    expect(await deliveriesOf('client.rejected')).toEqual([]);
  });

  it('migration 0016 applies after 0015 and reverts', async () => {
    const fresh = await createTestStore(dialect, { migrate: false });
    try {
      await migratorFor(fresh.storage).migrateTo('0015_connector_auth_attempts');
      expect((await migrateToLatest(fresh.storage)).applied).toEqual(['0016_webhooks', '0017_connector_refresh_schedule', '0018_token_issuance_days']);
      const { error } = await migratorFor(fresh.storage).migrateTo('0015_connector_auth_attempts');
      expect(error).toBeUndefined();
    } finally {
      await fresh.dispose();
    }
  });
});
