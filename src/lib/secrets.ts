import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256 of a high-entropy secret, base64url. Right for API keys, client secrets and tokens,
 * which carry at least 128 random bits: nobody can brute-force them, so a slow password hash
 * would only cost time on hot paths. Never use this for passwords (see accounts/passwords.ts).
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Constant-time comparison of two strings, safe to use on secrets and their hashes. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compare against itself when lengths differ so the time does not depend on where they differ.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** True when `presented` hashes to `storedHash`, compared in constant time. */
export function secretMatchesHash(presented: string, storedHash: string): boolean {
  return constantTimeEqual(hashSecret(presented), storedHash);
}
