import { InvalidInputError } from '../lib/errors.ts';

/**
 * Staff roles, most to least powerful. Each bundles permissions over the org's areas (settings,
 * constituents, clients, staff & keys, connectors, audit); the permission table comes with the
 * management API.
 */
export const STAFF_ROLES = ['owner', 'admin', 'developer', 'support', 'read_only'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const DEFAULT_STAFF_ROLE: StaffRole = 'admin';

export function checkStaffRole(raw: string, field = 'role'): StaffRole {
  if (!(STAFF_ROLES as readonly string[]).includes(raw)) {
    throw new InvalidInputError(field, `'${raw}' is not a role; use one of ${STAFF_ROLES.join(', ')}`);
  }
  return raw as StaffRole;
}
