import { AUDIT_ROUTES } from './audit/audit.routes.ts';
import { CONSTITUENT_ROUTES } from './accounts/constituents.routes.ts';
import { CLIENT_ROUTES } from './clients/clients.routes.ts';
import type { ApiRoute } from './api/management-api.ts';
import { ACCOUNT_CONNECTOR_ROUTES } from './connectors/account-connectors.routes.ts';
import { CREDENTIALS_ROUTES } from './connectors/credentials.routes.ts';
import { ACCOUNT_ROUTES } from './connectors/accounts.routes.ts';
import { APP_CONNECTOR_ROUTES } from './connectors/app-connectors.routes.ts';
import { PROVIDER_ROUTES } from './connectors/providers.routes.ts';
import { PROXY_ROUTES } from './connectors/proxy/proxy.routes.ts';
import { ORG_ROUTES } from './orgs/orgs.routes.ts';
import { SCOPE_ROUTES } from './orgs/scopes.routes.ts';
import { STAFF_ROUTES } from './staff/staff.routes.ts';
import { WEBHOOK_ROUTES } from './webhooks/webhooks.routes.ts';

/**
 * Every route of the management API, from every capability. The one table that registration,
 * the OpenAPI document and the permission tests all read: a route cannot exist without a
 * permission, nor escape the tests that check it.
 */
export const MANAGEMENT_ROUTES: readonly ApiRoute[] = [
  ...ORG_ROUTES,
  ...SCOPE_ROUTES,
  ...STAFF_ROUTES,
  ...CONSTITUENT_ROUTES,
  ...CLIENT_ROUTES,
  ...AUDIT_ROUTES,
  ...PROVIDER_ROUTES,
  ...APP_CONNECTOR_ROUTES,
  ...ACCOUNT_ROUTES,
  ...ACCOUNT_CONNECTOR_ROUTES,
  ...CREDENTIALS_ROUTES,
  ...WEBHOOK_ROUTES,
  ...PROXY_ROUTES,
];
