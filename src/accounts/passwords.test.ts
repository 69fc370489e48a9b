import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../lib/errors.ts';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.ts';

describe('passwords', () => {
  it('are hashed with argon2id at the OWASP/ASVS parameters, salted', async () => {
    const first = await hashPassword('correct horse battery');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hashPassword('correct horse battery')).not.toBe(first);
    expect(await verifyPassword(first, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(first, 'correct horse batterY')).toBe(false);
  });

  it('verify the same password typed in another Unicode normal form', async () => {
    const hash = await hashPassword('caf\u00e9-secret');
    expect(await verifyPassword(hash, 'cafe\u0301-secret')).toBe(true);
  });

  it('treat a malformed stored hash as a mismatch', async () => {
    expect(await verifyPassword('not a hash', 'whatever1')).toBe(false);
  });

  it('need 8 to 1024 characters, counted as characters', () => {
    expect(() => checkPasswordPolicy('short')).toThrowError(InvalidInputError);
    expect(() => checkPasswordPolicy('x'.repeat(1025))).toThrowError(InvalidInputError);
    expect(() => checkPasswordPolicy('🔑🔑🔑🔑🔑🔑🔑🔑')).not.toThrow();
  });
});
