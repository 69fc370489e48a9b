import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer, UnsealError } from './sealing.ts';
import { isSigningAlg, signingKeyAssociatedData } from './signing-keys.ts';

describe('signing keys', () => {
  it.each(['ES256', 'RS256'])('sign with %s', (alg) => {
    expect(isSigningAlg(alg)).toBe(true);
  });

  it.each(['none', 'None', 'HS256', 'es256', 'ES384', 'PS256', 'EdDSA', '', undefined, 256])('never accept %j', (alg) => {
    expect(isSigningAlg(alg)).toBe(false);
  });

  // Every stored private key was sealed with this associated data: changing it locks them all out.
  it('bind a sealed private key to exactly signing_key:<org_id>:<kid>', () => {
    expect(signingKeyAssociatedData('org_abc', 'kid-1')).toBe('signing_key:org_abc:kid-1');
    const sealer = createSealer(randomBytes(32));
    const sealed = sealer.seal('{"d":"x"}', signingKeyAssociatedData('org_abc', 'kid-1'));
    expect(sealer.open(sealed, 'signing_key:org_abc:kid-1').toString()).toBe('{"d":"x"}');
    expect(() => sealer.open(sealed, signingKeyAssociatedData('org_abd', 'kid-1'))).toThrowError(UnsealError);
    expect(() => sealer.open(sealed, signingKeyAssociatedData('org_abc', 'kid-2'))).toThrowError(UnsealError);
  });
});
