import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkPkce, isValidCodeChallenge, newCodeVerifier, s256CodeChallenge } from './pkce.ts';

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('checkPkce', () => {
  it('accepts the RFC 7636 appendix B example', () => {
    expect(createHash('sha256').update(VERIFIER).digest('base64url')).toBe(CHALLENGE);
    expect(checkPkce(VERIFIER, CHALLENGE)).toBe('ok');
  });

  it.each([
    [undefined, CHALLENGE, 'verifier_missing'],
    [VERIFIER, null, 'verifier_unexpected'],
    ['short', CHALLENGE, 'verifier_malformed'],
    [`${VERIFIER}!`, CHALLENGE, 'verifier_malformed'],
    [`${VERIFIER.slice(0, -1)}Y`, CHALLENGE, 'mismatch'],
    [CHALLENGE, CHALLENGE, 'mismatch'],
  ] as const)('verifier %j against challenge %j is %s', (verifier, challenge, outcome) => {
    expect(checkPkce(verifier, challenge)).toBe(outcome);
  });

  it('is ok without PKCE on either side', () => {
    expect(checkPkce(undefined, null)).toBe('ok');
  });

  it('validates challenge syntax', () => {
    expect(isValidCodeChallenge(CHALLENGE)).toBe(true);
    expect(isValidCodeChallenge('a'.repeat(42))).toBe(false);
    expect(isValidCodeChallenge('a'.repeat(129))).toBe(false);
    expect(isValidCodeChallenge(`${'a'.repeat(42)}=`)).toBe(false);
  });
});

describe('a client side pair', () => {
  it('derives the RFC 7636 appendix B challenge, and a fresh verifier checks against its own', () => {
    expect(s256CodeChallenge(VERIFIER)).toBe(CHALLENGE);
    const verifier = newCodeVerifier();
    expect(isValidCodeChallenge(verifier)).toBe(true);
    expect(checkPkce(verifier, s256CodeChallenge(verifier))).toBe('ok');
  });
});
