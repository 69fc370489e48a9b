import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { checkDisplayName } from '../lib/text-rules.ts';
import type { PreparedPassword } from '../accounts/passwords.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { collectInvalid, ConflictError, InvalidInputError, NotFoundError, StaleVersionError, throwIfInvalid } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { generateApiKey } from './api-keys.ts';
import { checkStaffRole } from './roles.ts';
import * as repository from './staff.repository.ts';
import type { ApiKeysTable, StaffUsersTable } from './staff.table.ts';

export interface StaffUser {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: string;
  readonly status: 'active' | 'disabled';
  readonly hasPassword: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** An API key as listed: its public prefix and dates, never the secret. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly staffUserId: string;
  readonly prefix: string;
  readonly label: string | null;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

function toStaffUser(row: Selectable<StaffUsersTable>): StaffUser {
  return { id: row.id, email: row.email, name: row.display_name, role: row.role, status: row.status, hasPassword: row.password_hash !== null, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toKeyInfo(row: Selectable<ApiKeysTable>): ApiKeyInfo {
  return { id: row.id, staffUserId: row.staff_user_id, prefix: row.prefix, label: row.label, createdAt: row.created_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at };
}

export async function listStaffUsers(db: Executor, orgId: string, page: { readonly limit: number; readonly afterId?: string }): Promise<StaffUser[]> {
  return (await repository.listStaffUserRows(db, orgId, page)).map(toStaffUser);
}

export async function getStaffUser(db: Executor, orgId: string, id: string): Promise<StaffUser> {
  const row = await repository.findStaffUserById(db, orgId, id);
  if (row === undefined) throw new NotFoundError('staff user', id);
  return toStaffUser(row);
}

/**
 * Disables a staff user and, in the same transaction, revokes all its API keys and ends all its
 * sessions: nothing it held keeps working for a single further request. The last active owner
 * cannot be disabled: nobody could manage staff any more.
 */
export async function disableStaffUser(db: Executor, clock: Clock, orgId: string, id: string, options: { readonly actingStaffUserId?: string } = {}): Promise<StaffUser> {
  if (options.actingStaffUserId === id) throw new InvalidInputError('user_id', 'you cannot disable yourself');
  return inTransaction(db, async (trx) => {
    const owners = await repository.lockActiveOwners(trx, orgId);
    if (owners.length === 1 && owners[0] === id) throw new ConflictError('user_id', 'the last active owner cannot be disabled; make another staff user owner first');
    const user = await getStaffUser(trx, orgId, id);
    const now = Math.max(clock(), user.updatedAt + 1);
    await repository.setStaffStatus(trx, orgId, id, 'disabled', now);
    await repository.revokeEverythingOf(trx, orgId, id, now);
    return getStaffUser(trx, orgId, id);
  });
}

/**
 * Lets a disabled staff user in again. What disabling revoked stays revoked: its old API keys
 * and sessions never come back; it signs in again, or gets a new key.
 */
export async function enableStaffUser(db: Executor, clock: Clock, orgId: string, id: string): Promise<{ readonly user: StaffUser; readonly changed: boolean }> {
  return inTransaction(db, async (trx) => {
    const user = await getStaffUser(trx, orgId, id);
    if (user.status === 'active') return { user, changed: false };
    await repository.setStaffStatus(trx, orgId, id, 'active', Math.max(clock(), user.updatedAt + 1));
    return { user: await getStaffUser(trx, orgId, id), changed: true };
  });
}

/**
 * Sets the password a staff user signs in with on the staff sign-in page, and ends its browser
 * sessions (a session opened with the old password is worth no more than it). API keys are
 * separate credentials and keep working.
 */
export async function setStaffPassword(db: Executor, clock: Clock, orgId: string, id: string, password: PreparedPassword): Promise<StaffUser> {
  return inTransaction(db, async (trx) => {
    const user = await getStaffUser(trx, orgId, id);
    await repository.setStaffPasswordHash(trx, orgId, id, password.passwordHash, Math.max(clock(), user.updatedAt + 1));
    return getStaffUser(trx, orgId, id);
  });
}

export interface StaffUserChange {
  /** null clears the display name. */
  readonly name?: string | null;
  readonly role?: string;
}

/** What updateStaffUser would refuse of this change without looking at the store, every bad field named at once. */
export function staffUserChangeErrors(change: StaffUserChange): readonly InvalidInputError[] {
  return judgeStaffUserChange(change).errors;
}

function judgeStaffUserChange(change: StaffUserChange) {
  const errors: InvalidInputError[] = [];
  const role = change.role === undefined ? undefined : collectInvalid(errors, () => checkStaffRole(change.role!));
  const name = change.name === undefined || change.name === null ? change.name : collectInvalid(errors, () => checkDisplayName(change.name!, 'name'));
  return { errors, checked: { role, name } };
}

/**
 * Changes a staff user's display name and role. With `expectedVersion` (the `updatedAt` the
 * caller read), a concurrent change fails instead of being overwritten (without, it applies on
 * the current version: retryOnceOnLostRace). The last active owner
 * cannot be demoted (409). A role change takes effect at the user's next request: keys and
 * sessions carry no role of their own.
 */
export async function updateStaffUser(
  db: Executor,
  clock: Clock,
  orgId: string,
  id: string,
  change: StaffUserChange,
  options: { readonly expectedVersion?: number } = {},
): Promise<{ readonly user: StaffUser; readonly previous: StaffUser; readonly changed: readonly string[] }> {
  const { errors, checked } = judgeStaffUserChange(change);
  throwIfInvalid(errors);
  const { role, name } = checked;
  return inTransaction(db, (trx) => retryOnceOnLostRace('the staff user', options.expectedVersion, async () => {
    const owners = await repository.lockActiveOwners(trx, orgId);
    const user = await getStaffUser(trx, orgId, id);
    if (options.expectedVersion !== undefined && options.expectedVersion !== user.updatedAt) {
      throw new StaleVersionError(`the staff user changed since version ${options.expectedVersion}; read it again`);
    }
    const next = { role: role ?? user.role, displayName: name === undefined ? user.name : name };
    const changed = [...(next.role !== user.role ? ['role'] : []), ...(next.displayName !== user.name ? ['name'] : [])];
    // Nothing to change keeps the version: colleagues' ETags stay valid.
    if (changed.length === 0) return { user, previous: user, changed };
    if (user.role === 'owner' && next.role !== 'owner' && owners.length === 1 && owners[0] === id) {
      throw new ConflictError('role', 'the last active owner cannot be demoted; make another staff user owner first');
    }
    if (!(await repository.updateStaffUserRow(trx, orgId, id, next, user.updatedAt, Math.max(clock(), user.updatedAt + 1)))) {
      throw new LostRaceError();
    }
    return { user: await getStaffUser(trx, orgId, id), previous: user, changed };
  }));
}

export async function listApiKeys(db: Executor, orgId: string, staffUserId: string): Promise<ApiKeyInfo[]> {
  await getStaffUser(db, orgId, staffUserId);
  return (await repository.listApiKeyRows(db, orgId, staffUserId)).map(toKeyInfo);
}

/** An API key's label, trimmed: 1 to 100 characters. */
export function checkApiKeyLabel(raw: string): string {
  const label = raw.trim();
  if (label.length === 0 || label.length > 100) throw new InvalidInputError('label', 'must be 1 to 100 characters');
  return label;
}

/** "Enable API access": a new key for the user, shown once (in `apiKey`), stored hashed. */
export async function createApiKey(db: Executor, clock: Clock, orgId: string, staffUserId: string, options: { readonly label?: string } = {}): Promise<{ key: ApiKeyInfo; apiKey: string }> {
  const label = options.label === undefined ? null : checkApiKeyLabel(options.label);
  return inTransaction(db, async (trx) => {
    const user = await getStaffUser(trx, orgId, staffUserId);
    // The request is well formed; the user's state forbids it (RFC 9110 §15.5.10: 409).
    if (user.status !== 'active') throw new ConflictError('user_id', 'the staff user is disabled; enable it before giving it an API key');
    const generated = generateApiKey();
    const id = newId('apiKey');
    await repository.insertApiKey(trx, { id, org_id: orgId, staff_user_id: staffUserId, prefix: generated.prefix, secret_hash: generated.secretHash, label, created_at: clock(), last_used_at: null, revoked_at: null });
    return { key: toKeyInfo((await repository.findApiKeyRow(trx, orgId, id))!), apiKey: generated.plaintext };
  });
}

/** Replaces a key: a new one for the same user and label; the old one stops working at once. */
export async function rotateApiKey(db: Executor, clock: Clock, orgId: string, keyId: string): Promise<{ key: ApiKeyInfo; apiKey: string; replaced: string }> {
  return inTransaction(db, async (trx) => {
    const old = await repository.findApiKeyRow(trx, orgId, keyId);
    if (old === undefined || old.revoked_at !== null) throw new NotFoundError('API key', keyId);
    await repository.revokeApiKeyRow(trx, orgId, keyId, clock());
    const created = await createApiKey(trx, clock, orgId, old.staff_user_id, old.label === null ? {} : { label: old.label });
    return { ...created, replaced: keyId };
  });
}

export async function revokeApiKey(db: Executor, clock: Clock, orgId: string, keyId: string): Promise<void> {
  if (!(await repository.revokeApiKeyRow(db, orgId, keyId, clock()))) {
    if ((await repository.findApiKeyRow(db, orgId, keyId)) === undefined) throw new NotFoundError('API key', keyId);
  }
}

/** The staff user behind an audit event's actor: the user itself, or the owner of the API key it used. */
export interface ActorUser {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
}

/**
 * The staff users behind some audit actors, keyed `type:id` (`api_key:key_…`, `staff:stf_…`);
 * other actors have none. Two indexed statements at most, whatever the number of actors.
 */
export async function usersBehindActors(db: Executor, orgId: string, actors: ReadonlyArray<{ readonly type: string; readonly id: string | null }>): Promise<ReadonlyMap<string, ActorUser>> {
  const idsOf = (type: string) => [...new Set(actors.flatMap((a) => (a.type === type && a.id !== null ? [a.id] : [])))];
  const apiKeyIds = idsOf('api_key');
  const staffUserIds = idsOf('staff');
  const { ofKeys, ofStaff } = await repository.findUsersBehindActors(db, orgId, { apiKeyIds, staffUserIds });
  const user = (row: repository.ActorUserRow): ActorUser => ({ id: row.id, email: row.email, name: row.display_name });
  return new Map([...ofKeys.map((row) => [`api_key:${row.actor_id}`, user(row)] as const), ...ofStaff.map((row) => [`staff:${row.actor_id}`, user(row)] as const)]);
}
