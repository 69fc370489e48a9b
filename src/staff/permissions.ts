import type { StaffRole } from './roles.ts';

/**
 * What staff may do, by area and action. A route of the management API names exactly one
 * permission; an API key has exactly its user's (NeonCRM: "they inherit all the same
 * permissions that their associated user has").
 */
export const PERMISSIONS = [
  'org:read',
  'org:write',
  'constituents:read',
  'constituents:write',
  'clients:read',
  'clients:write',
  'staff:read',
  'staff:write',
  'connectors:read',
  'connectors:write',
  'audit:read',
  'webhooks:read',
  'webhooks:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ_ALL: readonly Permission[] = PERMISSIONS.filter((p) => p.endsWith(':read'));

/**
 * Roles as bundles of permissions, most to least powerful:
 * - owner: everything, including managing other staff and their keys;
 * - admin: everything but staff and keys (an admin cannot mint themselves more power);
 * - developer: registers and manages clients, connectors and webhooks, reads the rest;
 * - support: helps constituents (accounts, passwords, grants), reads clients and the audit log;
 * - read_only: reads everything but staff and the audit log.
 */
export const ROLE_PERMISSIONS: Readonly<Record<StaffRole, readonly Permission[]>> = Object.freeze({
  owner: PERMISSIONS,
  admin: PERMISSIONS.filter((p) => p !== 'staff:write'),
  developer: [...READ_ALL.filter((p) => p !== 'staff:read'), 'clients:write', 'connectors:write', 'webhooks:write'],
  support: ['org:read', 'constituents:read', 'constituents:write', 'clients:read', 'audit:read'],
  read_only: READ_ALL.filter((p) => p !== 'staff:read' && p !== 'audit:read'),
});

export function roleAllows(role: StaffRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
