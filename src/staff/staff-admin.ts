import { preparePassword } from '../accounts/passwords.ts';
import { inTransaction } from '../db/transaction.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { ConflictError, InvalidInputError, StaleVersionError, throwIfInvalid } from '../lib/errors.ts';
import { recordOperation, requirePermission, type OperationContext } from './actor.ts';
import { ROLE_PERMISSIONS, type Permission } from './permissions.ts';
import { STAFF_ROLES, type StaffRole } from './roles.ts';
import { createStaffUser, judgeStaffUserChange, loadStaffUser, newStaffUserErrors, type StaffUserChange } from './staff.ts';
import type { StaffUser } from './staff-user.ts';
import * as repository from './staff.repository.ts';

/*
 * The staff operations on staff users: one function each, for the management API, the CLI and
 * the console alike. Each checks the actor's permission, owns its transaction and records its
 * audit event in it (docs/decisions/0005). API keys' are in api-key-admin.ts.
 */

export interface StaffUserPage {
  readonly users: readonly StaffUser[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

/** The org's staff users in id order, a page at a time (the cursor is the last id of the page before). */
export async function listStaffUsers(ctx: OperationContext, query: { readonly limit: number; readonly cursor?: string }): Promise<StaffUserPage> {
  requirePermission(ctx.actor, 'staff:read');
  const { cursor, limit } = query;
  if (cursor !== undefined && !/^stf_[a-z2-7]{20}$/.test(cursor)) throw new InvalidInputError('cursor', 'is not a cursor returned by this API');
  const users = await repository.listStaffUsers(ctx.db, ctx.org.id, { limit: limit + 1, ...(cursor === undefined ? {} : { afterId: cursor }) });
  const page = users.slice(0, limit);
  return { users: page, nextCursor: users.length > limit ? page.at(-1)!.id : null };
}

/** What the staff list shows beside a user: its last console sign-in (if known) and its API access. */
export interface StaffAccess {
  /** The start of its newest console session; null when it never signed in (an integration user). */
  readonly lastSignInAt: number | null;
  /** Its API keys that work (unrevoked). */
  readonly usableApiKeys: number;
  /** The last time any of its keys was used (a hint, written at most once a minute); null if never. */
  readonly lastApiKeyUseAt: number | null;
}

/** At most this many users' access at once: a page of the staff list. */
export const MAX_STAFF_ACCESS_USERS = 200;

/**
 * The console sign-ins and API key use of some staff users (a page of listStaffUsers), by user id:
 * two grouped statements whatever the number of users or keys. Users of another org get nothing.
 */
export async function staffAccessOf(ctx: OperationContext, userIds: readonly string[]): Promise<ReadonlyMap<string, StaffAccess>> {
  requirePermission(ctx.actor, 'staff:read');
  if (userIds.length > MAX_STAFF_ACCESS_USERS) throw new InvalidInputError('user_ids', `at most ${MAX_STAFF_ACCESS_USERS} at once`);
  if (userIds.length === 0) return new Map();
  const signIns = await repository.lastStaffSignIns(ctx.db, ctx.org.id, userIds);
  const keys = await repository.apiKeyUseOf(ctx.db, ctx.org.id, userIds);
  return new Map(userIds.map((id) => [id, { lastSignInAt: signIns.get(id) ?? null, usableApiKeys: keys.get(id)?.usable ?? 0, lastApiKeyUseAt: keys.get(id)?.lastUsedAt ?? null }]));
}

export async function getStaffUser(ctx: OperationContext, userId: string): Promise<StaffUser> {
  requirePermission(ctx.actor, 'staff:read');
  return loadStaffUser(ctx.db, ctx.org.id, userId);
}

/** The staff roles and the permissions each bundles (an API key has exactly its user's). */
export function listStaffRoles(ctx: OperationContext): ReadonlyArray<{ readonly role: StaffRole; readonly permissions: readonly Permission[] }> {
  requirePermission(ctx.actor, 'staff:read');
  return STAFF_ROLES.map((role) => ({ role, permissions: [...ROLE_PERMISSIONS[role]] }));
}

export interface StaffUserToAdd {
  readonly email: string;
  readonly name?: string;
  /** Default `admin`. */
  readonly role?: string;
  /** The sign-in password in clear; judged by the password policy and hashed here. */
  readonly password?: string;
  /** Also create an API key ("enable API access"), returned once in `apiKey`. */
  readonly withApiKey?: boolean;
}

/** Adds a staff user (and its first API key when asked, shown once), audited as `staff.created`. */
export async function addStaffUser(ctx: OperationContext, input: StaffUserToAdd): Promise<{ readonly user: StaffUser; readonly apiKey: string | null }> {
  requirePermission(ctx.actor, 'staff:write');
  // Every bad field at once: preparePassword below would name the password's alone.
  throwIfInvalid(newStaffUserErrors(input));
  // Hashed before the transaction: argon2id would hold SQLite's write lock (and the server's writers) meanwhile.
  const password = input.password === undefined ? undefined : await preparePassword(input.password);
  return inTransaction(ctx.db, async (trx) => {
    const created = await createStaffUser(trx, ctx.clock, ctx.org.id, { email: input.email, name: input.name, role: input.role, password, withApiKey: input.withApiKey === true });
    await recordOperation(trx, ctx, { action: 'staff.created', target: { type: 'staff_user', id: created.userId }, details: { role: created.role, api_key: created.apiKey !== null } });
    return { user: await loadStaffUser(trx, ctx.org.id, created.userId), apiKey: created.apiKey };
  });
}

/** A version strictly after the user's, so every change gets a new ETag even within one millisecond. */
function nextVersion(ctx: OperationContext, user: StaffUser): number {
  return Math.max(ctx.clock(), user.updatedAt + 1);
}

/**
 * Changes a staff user's display name and role, audited as `staff.updated` (with the roles
 * before and after) when anything changed. With `expectedVersion` (the `updatedAt` the caller
 * read), a concurrent change fails instead of being overwritten (without, it applies on the
 * current version: retryOnceOnLostRace). The last active owner cannot be demoted (409). A role
 * change takes effect at the user's next request: keys and sessions carry no role of their own.
 */
export async function updateStaffUser(ctx: OperationContext, userId: string, change: StaffUserChange, options: { readonly expectedVersion?: number } = {}): Promise<StaffUser> {
  requirePermission(ctx.actor, 'staff:write');
  const { errors, checked } = judgeStaffUserChange(change);
  throwIfInvalid(errors);
  const { role, name } = checked;
  const orgId = ctx.org.id;
  return inTransaction(ctx.db, (trx) => retryOnceOnLostRace('the staff user', options.expectedVersion, async () => {
    const owners = await repository.lockActiveOwners(trx, orgId);
    const user = await loadStaffUser(trx, orgId, userId);
    if (options.expectedVersion !== undefined && options.expectedVersion !== user.updatedAt) {
      throw new StaleVersionError(`the staff user changed since version ${options.expectedVersion}; read it again`);
    }
    const next = { role: role ?? user.role, displayName: name === undefined ? user.name : name };
    const changed = [...(next.role !== user.role ? ['role'] : []), ...(next.displayName !== user.name ? ['name'] : [])];
    // Nothing to change keeps the version: colleagues' ETags stay valid.
    if (changed.length === 0) return user;
    if (user.role === 'owner' && next.role !== 'owner' && owners.length === 1 && owners[0] === userId) {
      throw new ConflictError('role', 'the last active owner cannot be demoted; make another staff user owner first');
    }
    if (!(await repository.updateStaffUserRow(trx, orgId, userId, next, user.updatedAt, nextVersion(ctx, user)))) throw new LostRaceError();
    const roleChange: Record<string, string> = changed.includes('role') ? { role_from: user.role, role_to: next.role } : {};
    await recordOperation(trx, ctx, { action: 'staff.updated', target: { type: 'staff_user', id: userId }, details: { fields: changed.join(','), ...roleChange } });
    return loadStaffUser(trx, orgId, userId);
  }));
}

/**
 * Disables a staff user and, in the same transaction, revokes all its API keys and ends all its
 * sessions: nothing it held keeps working for a single further request. Nobody disables
 * themselves, and the last active owner cannot be disabled: nobody could manage staff any more.
 */
export async function disableStaffUser(ctx: OperationContext, userId: string): Promise<StaffUser> {
  requirePermission(ctx.actor, 'staff:write');
  if (ctx.actor.staffUserId === userId) throw new InvalidInputError('user_id', 'you cannot disable yourself');
  return inTransaction(ctx.db, async (trx) => {
    const owners = await repository.lockActiveOwners(trx, ctx.org.id);
    if (owners.length === 1 && owners[0] === userId) throw new ConflictError('user_id', 'the last active owner cannot be disabled; make another staff user owner first');
    const user = await loadStaffUser(trx, ctx.org.id, userId);
    const now = nextVersion(ctx, user);
    await repository.setStaffStatus(trx, ctx.org.id, userId, 'disabled', now);
    await repository.revokeEverythingOf(trx, ctx.org.id, userId, now);
    await recordOperation(trx, ctx, { action: 'staff.disabled', target: { type: 'staff_user', id: userId } });
    return loadStaffUser(trx, ctx.org.id, userId);
  });
}

/**
 * Lets a disabled staff user in again (audited as `staff.enabled`; enabling an active user
 * changes and records nothing). What disabling revoked stays revoked: its old API keys and
 * sessions never come back; it signs in again, or gets a new key.
 */
export async function enableStaffUser(ctx: OperationContext, userId: string): Promise<StaffUser> {
  requirePermission(ctx.actor, 'staff:write');
  return inTransaction(ctx.db, async (trx) => {
    const user = await loadStaffUser(trx, ctx.org.id, userId);
    if (user.status === 'active') return user;
    await repository.setStaffStatus(trx, ctx.org.id, userId, 'active', nextVersion(ctx, user));
    await recordOperation(trx, ctx, { action: 'staff.enabled', target: { type: 'staff_user', id: userId } });
    return loadStaffUser(trx, ctx.org.id, userId);
  });
}

/**
 * Sets the password a staff user signs in with on the staff sign-in page (argon2id, judged by the
 * password policy), audited as `staff.password_set`, and ends its browser sessions (a session
 * opened with the old password is worth no more than it). API keys are separate credentials and
 * keep working.
 */
export async function setStaffPassword(ctx: OperationContext, userId: string, password: string): Promise<StaffUser> {
  requirePermission(ctx.actor, 'staff:write');
  // Hashed before the transaction, as in addStaffUser.
  const prepared = await preparePassword(password);
  return inTransaction(ctx.db, async (trx) => {
    const user = await loadStaffUser(trx, ctx.org.id, userId);
    await repository.setStaffPasswordHash(trx, ctx.org.id, userId, prepared.passwordHash, nextVersion(ctx, user));
    await recordOperation(trx, ctx, { action: 'staff.password_set', target: { type: 'staff_user', id: userId } });
    return loadStaffUser(trx, ctx.org.id, userId);
  });
}
