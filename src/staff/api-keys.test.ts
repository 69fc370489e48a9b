import { describe, expect, it } from 'vitest';
import { secretMatchesHash } from '../lib/secrets.ts';
import { generateApiKey, parseApiKey } from './api-keys.ts';

describe('API keys', () => {
  it('parse back into the prefix and a secret that matches the stored hash', () => {
    const key = generateApiKey();
    const parsed = parseApiKey(key.plaintext);
    expect(parsed?.prefix).toBe(key.prefix);
    expect(secretMatchesHash(parsed!.secret, key.secretHash)).toBe(true);
    expect(key.secretHash).not.toContain(parsed!.secret);
  });

  it('are unique and carry 256 bits of secret', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().plaintext));
    expect(keys.size).toBe(200);
    expect(parseApiKey(generateApiKey().plaintext)!.secret).toHaveLength(43);
  });

  it.each(['', 'gkey_', 'gkey_abc_def', 'Basic xyz', `gkey_${'A'.repeat(12)}_${'a'.repeat(43)}`, `gkey_${'a'.repeat(12)}-${'a'.repeat(43)}`])(
    'rejects %j as not a key',
    (presented) => {
      expect(parseApiKey(presented)).toBeUndefined();
    },
  );

  it('rejects a wrong secret', () => {
    const key = generateApiKey();
    expect(secretMatchesHash('x'.repeat(43), key.secretHash)).toBe(false);
  });
});
