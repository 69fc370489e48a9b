import { checkDisplayName, checkEmail, emailKey } from '../lib/text-rules.ts';
import { passwordPolicyErrors, type PreparedPassword } from '../accounts/passwords.ts';
import type { Executor } from '../db/database.ts';
import { isUniqueViolation } from '../db/storage-error.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { collectInvalid, ConflictError, InvalidInputError, throwIfInvalid } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { generateApiKey } from './api-keys.ts';
import { checkStaffRole, DEFAULT_STAFF_ROLE } from './roles.ts';
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

/** Creates a staff user, and its first API key when asked, in one transaction. */
export async function createStaffUser(db: Executor, clock: Clock, orgId: string, input: NewStaffUser): Promise<CreatedStaffUser> {
  const { errors, checked } = judgeNewStaffUser(input);
  throwIfInvalid(errors);
  const { displayName, role } = checked;
  const email = checked.email!;
  const passwordHash = input.password?.passwordHash ?? null;
  const userId = newId('staffUser');
  const key = input.withApiKey === true ? generateApiKey() : undefined;
  const now = clock();
  try {
    await inTransaction(db, async (trx) => {
      await repository.insertStaffUser(trx, {
        id: userId,
        org_id: orgId,
        email,
        email_key: emailKey(email),
        display_name: displayName,
        role,
        password_hash: passwordHash,
        status: 'active',
        created_at: now,
        updated_at: now,
      });
      if (key !== undefined) {
        await repository.insertApiKey(trx, {
          id: newId('apiKey'),
          org_id: orgId,
          staff_user_id: userId,
          prefix: key.prefix,
          secret_hash: key.secretHash,
          label: null,
          created_at: now,
          last_used_at: null,
          revoked_at: null,
        });
      }
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError('email', `a staff user with email '${email}' already exists in this organization`);
    throw error;
  }
  return { userId, role, apiKey: key?.plaintext ?? null };
}
