import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer, UnsealError } from './sealing.ts';

describe('sealer', () => {
  const sealer = createSealer(randomBytes(32));

  it('opens what it sealed, with the same associated data', () => {
    const sealed = sealer.seal('private key material', 'signing_key:org_1:k1');
    expect(sealed).not.toContain('private key material');
    expect(sealer.open(sealed, 'signing_key:org_1:k1').toString()).toBe('private key material');
  });

  it('writes the key id it was given, and refuses one that would break the format', () => {
    const key = randomBytes(32);
    const sealed = createSealer(key, { keyId: 'dk_abc' }).seal('secret', 'ad');
    expect(sealed.split('.')[1]).toBe('dk_abc');
    expect(createSealer(key, { keyId: 'dk_abc' }).open(sealed, 'ad').toString()).toBe('secret');
    expect(() => createSealer(key).open(sealed, 'ad')).toThrowError(UnsealError);
    expect(() => createSealer(key, { keyId: 'a.b' })).toThrowError(/base64url/);
  });

  it('uses a fresh IV each time', () => {
    expect(sealer.seal('x', 'ad')).not.toBe(sealer.seal('x', 'ad'));
  });

  it('refuses a value moved to another place (associated data differs)', () => {
    const sealed = sealer.seal('secret', 'signing_key:org_1:k1');
    expect(() => sealer.open(sealed, 'signing_key:org_2:k1')).toThrowError(UnsealError);
  });

  it('refuses altered ciphertext and truncated tags', () => {
    const sealed = sealer.seal('secret', 'ad');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => sealer.open([...parts.slice(0, 3), flipped.toString('base64url'), parts[4]].join('.'), 'ad')).toThrowError(UnsealError);
    const shortTag = Buffer.from(parts[4]!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => sealer.open([...parts.slice(0, 4), shortTag].join('.'), 'ad')).toThrowError(UnsealError);
  });

  it('gives a value the same pseudonym under the same root key, another for another purpose or key, and never the value', () => {
    const rootKey = randomBytes(32);
    const pseudonym = createSealer(rootKey).pseudonym('192.0.2.1', 'client-network');
    expect(pseudonym).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(createSealer(rootKey).pseudonym('192.0.2.1', 'client-network')).toBe(pseudonym);
    expect(createSealer(rootKey).pseudonym('192.0.2.2', 'client-network')).not.toBe(pseudonym);
    expect(createSealer(rootKey).pseudonym('192.0.2.1', 'another purpose')).not.toBe(pseudonym);
    expect(createSealer(randomBytes(32)).pseudonym('192.0.2.1', 'client-network')).not.toBe(pseudonym);
  });

  it('says which key sealed a value when another key is configured', () => {
    const sealed = createSealer(randomBytes(32)).seal('secret', 'ad');
    expect(() => sealer.open(sealed, 'ad')).toThrowError(/sealed with root key/);
  });

  it('derives a key per purpose: stable, distinct from the root key and from other purposes', () => {
    const root = randomBytes(32);
    const sealer = createSealer(root);
    const derive = (purpose: string): Buffer => sealer.deriveKey(purpose);
    expect(derive('device-cookie')).toHaveLength(32);
    expect(derive('device-cookie').equals(createSealer(Buffer.from(root)).deriveKey('device-cookie'))).toBe(true);
    expect(derive('device-cookie').equals(root)).toBe(false);
    expect(derive('device-cookie').equals(derive('other-purpose'))).toBe(false);
    expect(derive('device-cookie').equals(createSealer(randomBytes(32)).deriveKey('device-cookie'))).toBe(false);
  });
});
