import type { Kysely } from 'kysely';

// The connector hub's model (src/connectors/): the org's customers (connector accounts) and their
// users, the providers an org installed with its own app credentials (app connectors), and each
// account's connection to one of them (account connectors). Secrets (an app's client secret, a
// connection's own ClientSecret, its tokens) are vault values (v1.<data key>.…), sealed with the
// row's id and column as associated data, so a value copied into another row does not open.
//
// Every row carries org_id and every key starts with it: an id of one org never finds a row of
// another. Deleting an account deletes its users and connectors; an app connector some account
// connector uses cannot be deleted (RESTRICT: the API answers 409 before the store has to).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('connector_accounts')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('connector_accounts_pk', ['org_id', 'id'])
    .execute();
  // Listing oldest first with the id breaking ties: the cursor of GET /api/v2/accounts.
  await db.schema.createIndex('connector_accounts_org_time_idx').on('connector_accounts').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('connector_account_users')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('connector_account_users_pk', ['org_id', 'id'])
    .addForeignKeyConstraint('connector_account_users_account_fk', ['org_id', 'account_id'], 'connector_accounts', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .addUniqueConstraint('connector_account_users_username_uq', ['org_id', 'account_id', 'username'])
    .execute();

  await db.schema
    .createTable('app_connectors')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('client_secret', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('config', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('app_connectors_pk', ['org_id', 'id'])
    .execute();
  await db.schema.createIndex('app_connectors_org_time_idx').on('app_connectors').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('account_connectors')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('app_connector_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('properties', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('secret_properties', 'text')
    .addColumn('secret_property_names', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('config', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('credentials', 'text')
    .addColumn('self_authenticate', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('access_expires_at', 'bigint')
    .addColumn('refresh_expires_at', 'bigint')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('account_connectors_pk', ['org_id', 'id'])
    .addForeignKeyConstraint('account_connectors_account_fk', ['org_id', 'account_id'], 'connector_accounts', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('account_connectors_app_fk', ['org_id', 'app_connector_id'], 'app_connectors', ['org_id', 'id'], (fk) => fk.onDelete('restrict'))
    .execute();
  await db.schema.createIndex('account_connectors_account_idx').on('account_connectors').columns(['org_id', 'account_id', 'created_at', 'id']).execute();
  // "Is this app connector in use?" and the foreign key's own check on delete.
  await db.schema.createIndex('account_connectors_app_idx').on('account_connectors').columns(['org_id', 'app_connector_id']).execute();
  // What the refresh scheduler to come walks: connections whose access token expires soonest.
  await db.schema.createIndex('account_connectors_access_expiry_idx').on('account_connectors').column('access_expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('account_connectors').execute();
  await db.schema.dropTable('app_connectors').execute();
  await db.schema.dropTable('connector_account_users').execute();
  await db.schema.dropTable('connector_accounts').execute();
}
