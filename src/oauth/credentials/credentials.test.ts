import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../lib/secrets.ts';
import { credentialKey, jwtCredentialKey, mintOpaqueCredential } from './credentials.ts';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

/** A compact JWS with this payload; the signature is junk, as a forger's would be. */
function fakeJwt(payload: object): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256', typ: 'at+jwt' })}.${part(payload)}.c2lnbmF0dXJl`;
}

describe('opaque credentials', () => {
  it('carry their id in front of a 256-bit secret, and only their hash is kept', () => {
    const minted = mintOpaqueCredential(NOW);
    expect(minted.value).toMatch(/^[0-9a-z]{26}[A-Za-z0-9_-]{43}$/);
    expect(minted.value.startsWith(minted.id)).toBe(true);
    expect(minted.hash).toBe(hashSecret(minted.value));
    expect(credentialKey(minted.value)).toEqual({ id: minted.id, hash: minted.hash });
  });

  it('are all different', () => {
    const values = new Set(Array.from({ length: 2000 }, () => mintOpaqueCredential(NOW).value));
    expect(values.size).toBe(2000);
  });

  it('with a tampered secret keep the id but not the hash, so the row does not match', () => {
    const minted = mintOpaqueCredential(NOW);
    const last = minted.value.at(-1) === 'A' ? 'B' : 'A';
    const tampered = minted.value.slice(0, -1) + last;
    expect(credentialKey(tampered)).toEqual({ id: minted.id, hash: hashSecret(tampered) });
    expect(credentialKey(tampered).hash).not.toBe(minted.hash);
  });
});

describe('credentialKey', () => {
  it('looks up a JWT access token by its jti', () => {
    const id = mintOpaqueCredential(NOW).id;
    const jwt = fakeJwt({ jti: id, sub: '1001' });
    expect(credentialKey(jwt)).toEqual(jwtCredentialKey(id, jwt));
  });

  it('looks up credentials from before ids (43 characters), and anything unrecognised, by their hash', () => {
    const legacy = 'q0b6QbHgQn9rpDR1b1qXe8mjn0dL5lYJ4y3E2uT2Yf8';
    for (const presented of [legacy, fakeJwt({ jti: 'not-one-of-ours' }), fakeJwt({ sub: 'x' }), 'a.b.c', 'a.%%%.c', fakeJwt({ jti: 42 }), '', 'x'.repeat(9000)]) {
      expect(credentialKey(presented)).toEqual({ id: hashSecret(presented), hash: hashSecret(presented) });
    }
  });

  it('does not take an id made of letters outside the sortable alphabet', () => {
    const minted = mintOpaqueCredential(NOW);
    const withU = `u${minted.value.slice(1)}`;
    expect(credentialKey(withU).id).toBe(hashSecret(withU));
  });
});
