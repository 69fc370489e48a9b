import { createHash } from 'node:crypto';
import { randomBase64url } from './random.ts';
import { constantTimeEqual } from './secrets.ts';

// PKCE's pure pieces, for both sides: the server checks a verifier against the challenge it
// stored, a client (gatehouse try, the demo, later the connectors) makes the pair. Here in lib/ so
// that a client never imports the server's oauth/.

/** RFC 7636 §4.1 and §4.2: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

export function isValidCodeChallenge(challenge: string): boolean {
  return PKCE_VALUE.test(challenge);
}

export type PkceOutcome = 'ok' | 'verifier_missing' | 'verifier_unexpected' | 'verifier_malformed' | 'mismatch';

/**
 * RFC 7636 §4.6 with S256 only (plain is refused at the authorization endpoint, RFC 9700 §2.1.1).
 * A verifier sent for a code issued without a challenge is refused too: it means the client
 * thinks it used PKCE and did not, which is what a PKCE downgrade attack looks like.
 */
export function checkPkce(verifier: string | undefined, challenge: string | null): PkceOutcome {
  if (challenge === null) return verifier === undefined ? 'ok' : 'verifier_unexpected';
  if (verifier === undefined) return 'verifier_missing';
  if (!PKCE_VALUE.test(verifier)) return 'verifier_malformed';
  return constantTimeEqual(s256CodeChallenge(verifier), challenge) ? 'ok' : 'mismatch';
}

/** RFC 7636 §4.1: a code verifier of 256 random bits (43 characters of base64url). */
export function newCodeVerifier(): string {
  return randomBase64url(32);
}

/** RFC 7636 §4.2, S256: BASE64URL(SHA256(ASCII(code_verifier))). */
export function s256CodeChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
