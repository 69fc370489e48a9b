import { checkDisplayName, checkEmail, emailKey } from '../lib/text-rules.ts';
import { passwordPolicyErrors, type PreparedPassword } from '../accounts/passwords.ts';
import type { Executor } from '../db/database.ts';
import { isUniqueViolation } from '../db/storage-error.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { collectInvalid, ConflictError, InvalidInputError, NotFoundError, throwIfInvalid } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { generateApiKey } from './api-keys.ts';
import { checkStaffRole, DEFAULT_STAFF_ROLE } from './roles.ts';
import type { ActorUser, StaffUser } from './staff-user.ts';
import * as repository from './staff.repository.ts';

export interface NewStaffUser {
  readonly email: string;
  readonly name?: string;
  /** Default `admin`. */
  readonly role?: string;
  /**
   * From preparePassword, before the transaction (argon2id must not hold it). Omitted for an
   * integration user that signs in with API keys only.
   */
  readonly password?: PreparedPassword;
  /** Also create an API key ("enable API access"), returned once in `apiKey`. */
  readonly withApiKey?: boolean;
}

export interface CreatedStaffUser {
  readonly userId: string;
  readonly role: string;
  /** The API key in clear when one was asked for: shown once, stored hashed. */
  readonly apiKey: string | null;
}

/**
 * What createStaffUser would refuse of these fields, every bad one named at once: the email,
 * name, role and, before it is prepared, the password's policy. A field left undefined is not
 * judged (left out, or a request's field its schema already refused).
 */
export function newStaffUserErrors(input: Partial<Omit<NewStaffUser, 'password'>> & { readonly password?: string }): readonly InvalidInputError[] {
  const errors = judgeNewStaffUser(input).errors;
  return input.password === undefined ? errors : [...errors, ...passwordPolicyErrors(input.password)];
}

function judgeNewStaffUser(input: Partial<Pick<NewStaffUser, 'email' | 'name' | 'role'>>) {
  const errors: InvalidInputError[] = [];
  const judge = <R>(value: string | undefined, check: (value: string) => R): R | undefined => (value === undefined ? undefined : collectInvalid(errors, () => check(value)));
  const checked = {
    email: judge(input.email, (raw) => checkEmail(raw)),
    displayName: judge(input.name, (raw) => checkDisplayName(raw)) ?? null,
    role: judge(input.role, (raw) => checkStaffRole(raw)) ?? DEFAULT_STAFF_ROLE,
  };
  return { errors, checked };
}

/**
 * Creates a staff user, and its first API key when asked, in one transaction. No permission and
 * no audit event: this is the step under the staff operation (addStaffUser, staff-admin.ts) and
 * what makes an organization's first owner, whom nobody could have authorized.
 */
export async function createStaffUser(db: Executor, clock: Clock, orgId: string, input: NewStaffUser): Promise<CreatedStaffUser> {
  const { errors, checked } = judgeNewStaffUser(input);
  throwIfInvalid(errors);
  const { displayName, role } = checked;
  const email = checked.email!;
  const userId = newId('staffUser');
  const now = clock();
  try {
    const apiKey = await inTransaction(db, async (trx) => {
      await repository.insertStaffUser(trx, orgId, { id: userId, email, emailKey: emailKey(email), displayName, role, passwordHash: input.password?.passwordHash ?? null, createdAt: now });
      return input.withApiKey === true ? (await issueApiKey(trx, now, orgId, userId, null)).apiKey : null;
    });
    return { userId, role, apiKey };
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError('email', `a staff user with email '${email}' already exists in this organization`);
    throw error;
  }
}

/** The staff user, or NotFoundError (also for a staff user of another organization). */
export async function loadStaffUser(db: Executor, orgId: string, id: string): Promise<StaffUser> {
  // No id holds a NUL, and PostgreSQL text cannot even be asked for one (an error, not "none").
  if (id.includes('\u0000')) throw new NotFoundError('staff user', id);
  const user = await repository.findStaffUser(db, orgId, id);
  if (user === undefined) throw new NotFoundError('staff user', id);
  return user;
}

/** A new key for a staff user, stored hashed: its id, and the key in clear (shown once). */
export async function issueApiKey(db: Executor, now: number, orgId: string, staffUserId: string, label: string | null): Promise<{ readonly id: string; readonly apiKey: string }> {
  const generated = generateApiKey();
  const id = newId('apiKey');
  await repository.insertApiKey(db, orgId, { id, staffUserId, prefix: generated.prefix, secretHash: generated.secretHash, label, createdAt: now });
  return { id, apiKey: generated.plaintext };
}

/** An API key's label, trimmed: 1 to 100 characters. */
export function checkApiKeyLabel(raw: string): string {
  const label = raw.trim();
  if (label.length === 0 || label.length > 100) throw new InvalidInputError('label', 'must be 1 to 100 characters');
  return label;
}

export interface StaffUserChange {
  /** null clears the display name. */
  readonly name?: string | null;
  readonly role?: string;
}

/** What a change of a staff user would be refused for without looking at the store, every bad field named at once. */
export function staffUserChangeErrors(change: StaffUserChange): readonly InvalidInputError[] {
  return judgeStaffUserChange(change).errors;
}

/** The change's fields checked (a role, a trimmed name), and what was wrong with them. */
export function judgeStaffUserChange(change: StaffUserChange): { readonly errors: InvalidInputError[]; readonly checked: { readonly role: string | undefined; readonly name: string | null | undefined } } {
  const errors: InvalidInputError[] = [];
  const role = change.role === undefined ? undefined : collectInvalid(errors, () => checkStaffRole(change.role!));
  const name = change.name === undefined || change.name === null ? change.name : collectInvalid(errors, () => checkDisplayName(change.name!, 'name'));
  return { errors, checked: { role, name } };
}

/**
 * The staff users behind some audit actors, keyed `type:id` (`api_key:key_…`, `staff:stf_…`);
 * other actors have none. Two indexed statements at most, whatever the number of actors.
 */
export async function usersBehindActors(db: Executor, orgId: string, actors: ReadonlyArray<{ readonly type: string; readonly id: string | null }>): Promise<ReadonlyMap<string, ActorUser>> {
  const idsOf = (type: string) => [...new Set(actors.flatMap((a) => (a.type === type && a.id !== null ? [a.id] : [])))];
  const { ofKeys, ofStaff } = await repository.findUsersBehindActors(db, orgId, { apiKeyIds: idsOf('api_key'), staffUserIds: idsOf('staff') });
  return new Map([...ofKeys.map((found) => [`api_key:${found.actorId}`, found.user] as const), ...ofStaff.map((found) => [`staff:${found.actorId}`, found.user] as const)]);
}
