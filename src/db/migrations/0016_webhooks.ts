import type { Kysely } from 'kysely';

// Webhooks of an organization (src/webhooks/): its endpoints, and a durable outbox of what to
// send them. publishEvent writes, in the transaction of the change that caused the event, one
// message (the exact body sent, so every retry signs the same bytes) and one delivery per
// subscribed endpoint; the delivery worker of each server process claims due deliveries with a
// lease (owner and expiry) by one conditional UPDATE, and logs every attempt.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    // A JSON array of event types; null: every event.
    .addColumn('event_types', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    // Sealed under the root key, the endpoint's id in the associated data.
    .addColumn('secret', 'text', (c) => c.notNull())
    // The secret before the last rotation, signing beside the new one until it expires.
    .addColumn('previous_secret', 'text')
    .addColumn('previous_secret_expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_endpoints_pk', ['org_id', 'id'])
    .execute();
  await db.schema.createIndex('webhook_endpoints_list_idx').on('webhook_endpoints').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('webhook_messages')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    // The JSON body as sent: {"type","timestamp","data"}.
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_messages_pk', ['org_id', 'id'])
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    // pending | delivered | failed
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    // When a pending delivery is next due; null once it is delivered or failed.
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['org_id', 'id'])
    .addForeignKeyConstraint('webhook_deliveries_endpoint_fk', ['org_id', 'endpoint_id'], 'webhook_endpoints', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('webhook_deliveries_message_fk', ['org_id', 'message_id'], 'webhook_messages', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  // The worker's search for due deliveries, in every organization.
  await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').column('next_attempt_at').execute();
  // An endpoint's delivery log, newest first.
  await db.schema.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['org_id', 'endpoint_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_message_idx').on('webhook_deliveries').columns(['org_id', 'message_id']).execute();
  // The purge of old delivered and failed rows.
  await db.schema.createIndex('webhook_deliveries_finished_idx').on('webhook_deliveries').column('finished_at').execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('attempted_at', 'bigint', (c) => c.notNull())
    // delivered | failed | refused (the destination was refused before any connection) | timeout | unreachable
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['org_id', 'id'])
    .addForeignKeyConstraint('webhook_attempts_delivery_fk', ['org_id', 'delivery_id'], 'webhook_deliveries', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('webhook_attempts_delivery_idx').on('webhook_attempts').columns(['org_id', 'delivery_id', 'attempted_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_attempts').execute();
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_messages').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
}
