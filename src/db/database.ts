import type { Kysely, Transaction } from 'kysely';
import type { AuditEventsTable } from '../audit/audit.table.ts';
import type { ConstituentsTable } from '../accounts/constituents.table.ts';
import type { ClientsTable } from '../clients/clients.table.ts';
import type { AccountConnectorsTable, AppConnectorsTable, ConnectorAccountsTable, ConnectorAccountUsersTable, ConnectorSigninTokensTable } from '../connectors/connectors.table.ts';
import type { ConnectorAuthAttemptsTable } from '../connectors/connect/connect-attempts.table.ts';
import type { VaultDataKeysTable } from '../connectors/vault/vault.table.ts';
import type { SigningKeysTable } from '../keys/signing-keys.table.ts';
import type {
  AccessTokensTable,
  AuthorizationCodesTable,
  AuthorizationRequestsTable,
  ConsentGrantsTable,
  RefreshTokensTable,
  TokenIssuanceDaysTable,
  SsoSessionsTable,
  TokenFamiliesTable,
} from '../oauth/oauth.table.ts';
import type { OrganizationsTable } from '../orgs/orgs.table.ts';
import type { ApiKeysTable, ApiSessionsTable, StaffSessionsTable, StaffUsersTable } from '../staff/staff.table.ts';
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhookEndpointsTable, WebhookMessagesTable } from '../webhooks/webhooks.table.ts';
import type { GatehouseMetaTable } from './meta.table.ts';

/** The whole schema, composed from each capability's tables. */
export interface Database {
  gatehouse_meta: GatehouseMetaTable;
  organizations: OrganizationsTable;
  constituents: ConstituentsTable;
  staff_users: StaffUsersTable;
  api_keys: ApiKeysTable;
  staff_sessions: StaffSessionsTable;
  api_sessions: ApiSessionsTable;
  audit_events: AuditEventsTable;
  clients: ClientsTable;
  signing_keys: SigningKeysTable;
  authorization_requests: AuthorizationRequestsTable;
  sso_sessions: SsoSessionsTable;
  consent_grants: ConsentGrantsTable;
  token_families: TokenFamiliesTable;
  authorization_codes: AuthorizationCodesTable;
  access_tokens: AccessTokensTable;
  refresh_tokens: RefreshTokensTable;
  token_issuance_days: TokenIssuanceDaysTable;
  vault_data_keys: VaultDataKeysTable;
  connector_accounts: ConnectorAccountsTable;
  connector_account_users: ConnectorAccountUsersTable;
  app_connectors: AppConnectorsTable;
  account_connectors: AccountConnectorsTable;
  connector_signin_tokens: ConnectorSigninTokensTable;
  connector_auth_attempts: ConnectorAuthAttemptsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_messages: WebhookMessagesTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

export type Db = Kysely<Database>;
/** Either the database or an open transaction: what repository functions take. */
export type Executor = Kysely<Database> | Transaction<Database>;

export type DialectName = 'sqlite' | 'postgres';

/** An open store: the query builder plus what the process needs to watch and close it. */
export interface Storage {
  readonly db: Db;
  readonly dialect: DialectName;
  /** Where the data lives, safe to print (no password). */
  readonly location: string;
  /** PostgreSQL: the schema tables live in (the connection's `current_schema()`); SQLite: undefined. */
  readonly schema: string | undefined;
  /** Resolves when the store answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
