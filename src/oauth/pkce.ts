import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../lib/secrets.ts';

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
  const computed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  return constantTimeEqual(computed, challenge) ? 'ok' : 'mismatch';
}
