import { AUDIT_ROUTES } from './audit/audit.routes.ts';
import { CONSTITUENT_ROUTES } from './accounts/constituents.routes.ts';
import { CLIENT_ROUTES } from './clients/clients.routes.ts';
import type { ApiRoute } from './api/management-api.ts';
import { ORG_ROUTES } from './orgs/orgs.routes.ts';
import { SCOPE_ROUTES } from './orgs/scopes.routes.ts';
import { STAFF_ROUTES } from './staff/staff.routes.ts';

/**
 * Every route of the management API, from every capability. The one table that registration,
 * the OpenAPI document and the permission tests all read: a route cannot exist without a
 * permission, nor escape the tests that check it.
 */
export const MANAGEMENT_ROUTES: readonly ApiRoute[] = [...ORG_ROUTES, ...SCOPE_ROUTES, ...STAFF_ROUTES, ...CONSTITUENT_ROUTES, ...CLIENT_ROUTES, ...AUDIT_ROUTES];
