import type { Executor } from '../db/database.ts';
import { isUniqueViolation } from '../db/storage-error.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { collectInvalid, ConflictError, InvalidInputError, NotFoundError, throwIfInvalid } from '../lib/errors.ts';
import { checkAttributeName } from '../orgs/custom-scopes.ts';
import { allocateAccountId } from '../orgs/orgs.ts';
import type { AttributeValue, Constituent, ConstituentRecord } from './constituent.ts';
import * as repository from './constituents.repository.ts';
import { checkLoginName, loginNameKey } from './identifiers.ts';
import { checkDisplayName, checkEmail, emailKey } from '../lib/text-rules.ts';
import { checkPasswordPolicy, hashPassword, type PreparedPassword } from './passwords.ts';

export interface NewConstituent {
  readonly username: string;
  /** Org-defined attributes (released by custom scopes); names as checkAttributeName allows. */
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  /** Omitted for an account that cannot sign in with a password until one is set. */
  readonly password?: string;
  readonly email?: string;
  readonly name?: string;
}

export interface CreatedConstituent {
  readonly accountId: string;
  readonly username: string;
}

/**
 * What createConstituent would refuse of these fields, every bad one named at once: the login
 * name, email, name, password policy and attributes. A field left undefined is not judged (left
 * out, or a request's field its schema already refused).
 */
export function newConstituentErrors(input: Partial<NewConstituent>): readonly InvalidInputError[] {
  return judgeNewConstituent(input).errors;
}

function judgeNewConstituent(input: Partial<NewConstituent>) {
  const errors: InvalidInputError[] = [];
  const judge = <T, R>(value: T | undefined, check: (value: T) => R): R | undefined => (value === undefined ? undefined : collectInvalid(errors, () => check(value)));
  const username = judge(input.username, (raw) => checkLoginName(raw));
  judge(input.password, (raw) => checkPasswordPolicy(raw));
  const checked = {
    username,
    email: judge(input.email, (raw) => checkEmail(raw)) ?? null,
    displayName: judge(input.name, (raw) => checkDisplayName(raw)) ?? null,
    attributes: judge(input.attributes, checkAttributes) ?? {},
  };
  return { errors, checked };
}

/**
 * Creates a constituent with a fresh account ID. Validation and password hashing happen before
 * the transaction; the account number and the row are written in one, so a failure leaves nothing.
 */
export async function createConstituent(db: Executor, clock: Clock, orgId: string, input: NewConstituent): Promise<CreatedConstituent> {
  throwIfInvalid(judgeNewConstituent(input).errors);
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  const created = await insertNewConstituent(db, clock, orgId, input, passwordHash);
  return { accountId: created.accountId, username: created.loginName };
}

/**
 * createConstituent with a password hashed beforehand (preparePassword), so that a caller's
 * transaction (with its audit event) never waits on argon2id.
 */
export async function registerConstituent(
  db: Executor,
  clock: Clock,
  orgId: string,
  input: Omit<NewConstituent, 'password'>,
  options: { readonly password?: PreparedPassword } = {},
): Promise<ConstituentRecord> {
  return insertNewConstituent(db, clock, orgId, input, options.password?.passwordHash ?? null);
}

async function insertNewConstituent(db: Executor, clock: Clock, orgId: string, input: Omit<NewConstituent, 'password'>, passwordHash: string | null): Promise<ConstituentRecord> {
  const { errors, checked } = judgeNewConstituent(input);
  throwIfInvalid(errors);
  const { email, displayName, attributes } = checked;
  const username = checked.username!;
  const keys = { loginNameKey: loginNameKey(username), emailKey: email === null ? null : emailKey(email) };

  try {
    return await inTransaction(db, async (trx) => {
      const taken = await repository.findTakenIdentifiers(trx, orgId, keys);
      if (taken.loginName) throw new ConflictError('username', `the login name '${username}' is already taken in this organization`);
      if (taken.email) throw new ConflictError('email', `the email '${email}' already belongs to an account of this organization`);
      const accountId = await allocateAccountId(trx, orgId);
      const now = clock();
      await repository.insertConstituent(trx, {
        orgId,
        accountId,
        loginName: username,
        email,
        emailVerified: false,
        displayName,
        pictureUrl: null,
        attributes,
        status: 'active',
        createdAt: now,
        updatedAt: now,
        ...keys,
        passwordHash,
      });
      return requireConstituent(trx, orgId, accountId);
    });
  } catch (error) {
    // A concurrent creation won the race between our check and our insert.
    if (isUniqueViolation(error)) throw new ConflictError('username', 'the login name or email is already taken in this organization');
    throw error;
  }
}

/** The constituent with this account ID in the org, or undefined. */
export async function findConstituent(db: Executor, orgId: string, accountId: string): Promise<Constituent | undefined> {
  return repository.findConstituentById(db, orgId, accountId);
}

/** The constituent, or NotFoundError (also for an account of another org: the two look alike). */
export async function requireConstituent(db: Executor, orgId: string, accountId: string): Promise<ConstituentRecord> {
  const constituent = await repository.findConstituentById(db, orgId, accountId);
  if (constituent === undefined) throw new NotFoundError('constituent', accountId);
  return constituent;
}

const MAX_ATTRIBUTES_BYTES = 8 * 1024;

/** The attributes, checked: names as checkAttributeName allows, scalar values, 8 KB of JSON at most. */
export function checkAttributes(attributes: Readonly<Record<string, AttributeValue>>): Record<string, AttributeValue> {
  const checked: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    checkAttributeName(name);
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) throw new InvalidInputError('attributes', `'${name}' must be a string, number, boolean or null`);
    checked[name] = value;
  }
  if (JSON.stringify(checked).length > MAX_ATTRIBUTES_BYTES) throw new InvalidInputError('attributes', `must be at most ${MAX_ATTRIBUTES_BYTES} bytes of JSON`);
  return checked;
}

/** Sets (merges) attributes of a constituent; a null value removes that attribute. */
export async function setConstituentAttributes(db: Executor, clock: Clock, orgId: string, accountId: string, changes: Readonly<Record<string, AttributeValue>>): Promise<Constituent> {
  const checked = checkAttributes(changes);
  return inTransaction(db, async (trx) => {
    const current = await requireConstituent(trx, orgId, accountId);
    const merged: Record<string, unknown> = { ...current.attributes };
    for (const [name, value] of Object.entries(checked)) {
      if (value === null) delete merged[name];
      else merged[name] = value;
    }
    await repository.updateAttributes(trx, orgId, accountId, merged, clock());
    return requireConstituent(trx, orgId, accountId);
  });
}
