import { hash, verify } from '@node-rs/argon2';
import { collectInvalid, InvalidInputError } from '../lib/errors.ts';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet parameters that ASVS 5.0 §11.4 points to:
 * 19 MiB of memory, 2 passes, 1 lane. The PHC string records them, so raising them later only
 * affects new hashes (and verification of old ones keeps working).
 */
const ARGON2_OPTIONS = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/** ASVS 5.0 §6.2: at least 8 characters, no composition rules, long passphrases allowed. */
export const PASSWORD_MIN_LENGTH = 8;
/** Upper bound so nobody can make us hash a megabyte; far above any real passphrase. */
export const PASSWORD_MAX_LENGTH = 1024;

/** Throws InvalidInputError(`field`) when the password breaks the policy. Counts code points, not bytes. */
export function checkPasswordPolicy(password: string, field = 'password'): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) throw new InvalidInputError(field, `must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) throw new InvalidInputError(field, `must be at most ${PASSWORD_MAX_LENGTH} characters`);
}

/** checkPasswordPolicy's finding as a list: for an edge that names every bad field at once. */
export function passwordPolicyErrors(password: string, field = 'password'): readonly InvalidInputError[] {
  const errors: InvalidInputError[] = [];
  collectInvalid(errors, () => checkPasswordPolicy(password, field));
  return errors;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), ARGON2_OPTIONS);
}

/** False, never an exception, for a malformed stored hash. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password.normalize('NFC'));
  } catch {
    return false;
  }
}

/** A password that passed the policy, hashed: made before any transaction, argon2id takes a while. */
export interface PreparedPassword {
  readonly passwordHash: string;
}

/**
 * Checks and hashes a password before the transaction that stores it: on SQLite a transaction
 * holds the process's one connection, and argon2id would hold it (and every request) for its
 * whole run.
 */
export async function preparePassword(password: string, field = 'password'): Promise<PreparedPassword> {
  checkPasswordPolicy(password, field);
  return { passwordHash: await hashPassword(password) };
}
