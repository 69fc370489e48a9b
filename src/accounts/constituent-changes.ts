import type { Executor } from '../db/database.ts';
import { isUniqueViolation } from '../db/storage-error.ts';
import type { Clock } from '../lib/clock.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { collectInvalid, ConflictError, InvalidInputError, StaleVersionError, throwIfInvalid } from '../lib/errors.ts';
import { checkDisplayName, checkEmail, emailKey, hasControlCharacters } from '../lib/text-rules.ts';
import type { AttributeValue, ConstituentRecord, ConstituentStatus } from './constituent.ts';
import { checkAttributes, requireConstituent, setConstituentAttributes } from './constituents.ts';
import * as repository from './constituents.repository.ts';
import { checkLoginName, loginNameKey } from './identifiers.ts';
import type { PreparedPassword } from './passwords.ts';

/** An administrator's change; a field left out is kept, a null clears it. */
export interface ConstituentChange {
  readonly username?: string;
  readonly email?: string | null;
  readonly name?: string | null;
  readonly pictureUrl?: string | null;
  /** Without it, changing the email makes it unverified. */
  readonly emailVerified?: boolean;
  /** Merged into the attributes as setConstituentAttributes does: a null removes that attribute. */
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** The `picture` claim's URL: https only (it is shown to other sites' users), no credentials. */
function checkPictureUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError('picture_url', 'must be an https URL');
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || hasControlCharacters(raw)) throw new InvalidInputError('picture_url', 'must be an https URL without credentials');
  if (url.href.length > 2048) throw new InvalidInputError('picture_url', 'must be at most 2048 characters');
  return url.href;
}

/**
 * What changeConstituent would refuse of this change without looking at the store, every bad
 * field named at once: the login name, email, name, picture URL and attributes given.
 */
export function constituentChangeErrors(change: ConstituentChange): readonly InvalidInputError[] {
  return judgeConstituentChange(change).errors;
}

function judgeConstituentChange(change: ConstituentChange) {
  const errors: InvalidInputError[] = [];
  // undefined keeps a field and null clears it: only a value is judged.
  const judge = <R>(value: string | null | undefined, check: (value: string) => R): R | null | undefined => (value == null ? value : collectInvalid(errors, () => check(value)));
  const checked = {
    username: judge(change.username, (raw) => checkLoginName(raw)) ?? undefined,
    email: judge(change.email, (raw) => checkEmail(raw)),
    name: judge(change.name, (raw) => checkDisplayName(raw)),
    pictureUrl: judge(change.pictureUrl, checkPictureUrl),
  };
  if (change.attributes !== undefined) collectInvalid(errors, () => checkAttributes(change.attributes!));
  return { errors, checked };
}

/**
 * Changes a constituent's profile and login name, inside the caller's transaction. With
 * `expectedVersion` (the `updatedAt` the caller last read), a concurrent change makes this fail
 * instead of silently overwriting it; without, the change applies on the current version
 * (retryOnceOnLostRace). Login names and emails stay unique per org, case-insensitively
 * (ConflictError).
 */
export async function changeConstituent(
  trx: Executor,
  clock: Clock,
  orgId: string,
  accountId: string,
  change: ConstituentChange,
  options: { readonly expectedVersion?: number } = {},
): Promise<ConstituentRecord> {
  const { errors, checked } = judgeConstituentChange(change);
  throwIfInvalid(errors);
  const { username, email, name, pictureUrl } = checked;

  return retryOnceOnLostRace('the constituent', options.expectedVersion, async () => {
    const current = await requireConstituent(trx, orgId, accountId);
    if (options.expectedVersion !== undefined && options.expectedVersion !== current.updatedAt) {
      throw new StaleVersionError(`the constituent changed since version ${options.expectedVersion}; read it again`);
    }
    if (Object.values(change).every((value) => value === undefined)) return current;

    const fields: { -readonly [K in keyof repository.ConstituentFieldsChange]: repository.ConstituentFieldsChange[K] } = {};
    // The stored keys are these functions of the stored values (createConstituent wrote them so).
    const currentLoginKey = loginNameKey(current.loginName);
    const currentEmailKey = current.email === null ? null : emailKey(current.email);
    const newLoginKey = username === undefined ? currentLoginKey : loginNameKey(username);
    const newEmailKey = email === undefined ? currentEmailKey : email === null ? null : emailKey(email);
    const taken = await repository.findTakenIdentifiers(trx, orgId, { loginNameKey: newLoginKey, emailKey: newEmailKey });
    if (username !== undefined) {
      if (newLoginKey !== currentLoginKey && taken.loginName) throw new ConflictError('username', `the login name '${username}' is already taken in this organization`);
      Object.assign(fields, { loginName: username, loginNameKey: newLoginKey });
    }
    if (email !== undefined) {
      if (newEmailKey !== currentEmailKey && taken.email) throw new ConflictError('email', `the email '${email}' already belongs to an account of this organization`);
      Object.assign(fields, { email, emailKey: newEmailKey });
      // A new address has not been shown to belong to the constituent, whatever the old one was.
      if (newEmailKey !== currentEmailKey) fields.emailVerified = false;
    }
    if (change.emailVerified !== undefined) fields.emailVerified = change.emailVerified;
    if (name !== undefined) fields.displayName = name;
    if (pictureUrl !== undefined) fields.pictureUrl = pictureUrl;

    const now = Math.max(clock(), current.updatedAt + 1);
    try {
      if (!(await repository.updateConstituentRow(trx, orgId, accountId, fields, current.updatedAt, now))) {
        throw new LostRaceError();
      }
    } catch (error) {
      // A concurrent change took the login name or email between our check and our update.
      if (isUniqueViolation(error)) throw new ConflictError(username === undefined ? 'email' : 'username', 'the login name or email is already taken in this organization');
      throw error;
    }
    if (change.attributes !== undefined) await setConstituentAttributes(trx, () => now, orgId, accountId, change.attributes);
    return requireConstituent(trx, orgId, accountId);
  });
}

/** Sets the status, inside the caller's transaction; returns the time written as updated_at. */
export async function setConstituentStatus(trx: Executor, clock: Clock, orgId: string, accountId: string, status: ConstituentStatus): Promise<number> {
  return writeOnCurrentVersion(trx, clock, orgId, accountId, { status });
}

/** Replaces the password hash, inside the caller's transaction; returns the time written as updated_at. */
export async function replaceConstituentPassword(trx: Executor, clock: Clock, orgId: string, accountId: string, password: PreparedPassword): Promise<number> {
  return writeOnCurrentVersion(trx, clock, orgId, accountId, { passwordHash: password.passwordHash });
}

/** Writes `fields` on whatever version is current (a lost race reads again, once). */
async function writeOnCurrentVersion(trx: Executor, clock: Clock, orgId: string, accountId: string, fields: repository.ConstituentFieldsChange): Promise<number> {
  return retryOnceOnLostRace('the constituent', undefined, async () => {
    const current = await requireConstituent(trx, orgId, accountId);
    const now = Math.max(clock(), current.updatedAt + 1);
    if (!(await repository.updateConstituentRow(trx, orgId, accountId, fields, current.updatedAt, now))) throw new LostRaceError();
    return now;
  });
}
