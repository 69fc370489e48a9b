import type { Executor } from '../db/database.ts';
import { findConstituentBySignInKey } from './constituents.repository.ts';
import { toConstituent, type Constituent } from './constituent.ts';
import { emailKey, loginNameKey } from './identifiers.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

// Verified against when no account matches, so that an unknown login name costs the same
// argon2id time as a wrong password (no account enumeration by timing).
let decoyHash: Promise<string> | undefined;

/**
 * The active constituent whose login name (or email) and password match, or undefined. Never
 * says which part was wrong.
 */
export async function verifyConstituentCredentials(db: Executor, orgId: string, identifier: string, password: string): Promise<Constituent | undefined> {
  const key = identifier.includes('@') ? emailKey(identifier.trim()) : loginNameKey(identifier.normalize('NFC'));
  const row = key === '' ? undefined : await findConstituentBySignInKey(db, orgId, key);
  if (row?.password_hash == null) {
    decoyHash ??= hashPassword('decoy password for unknown accounts');
    await verifyPassword(await decoyHash, password);
    return undefined;
  }
  const matches = await verifyPassword(row.password_hash, password);
  return matches && row.status === 'active' ? toConstituent(row) : undefined;
}
