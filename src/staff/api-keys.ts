import { randomBase32, randomBase64url } from '../lib/random.ts';
import { hashSecret } from '../lib/secrets.ts';

/**
 * API key format: `gkey_<prefix>_<secret>`.
 * - `gkey_` lets secret scanners and people recognise a leaked key;
 * - the prefix (12 base32 characters) is public: stored in clear, unique, it finds the key's row
 *   with one indexed lookup and names the key in listings;
 * - the secret (32 random bytes, base64url) is stored only as its SHA-256 and compared in
 *   constant time. 256 bits of entropy make a slow hash pointless here.
 */
const KEY_MARKER = 'gkey_';
const PREFIX_LENGTH = 12;
const SECRET_LENGTH = 43;
const KEY_PATTERN = /^gkey_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedApiKey {
  /** The whole key, shown to its owner once. */
  readonly plaintext: string;
  readonly prefix: string;
  readonly secretHash: string;
}

export function generateApiKey(): GeneratedApiKey {
  const prefix = randomBase32(PREFIX_LENGTH);
  const secret = randomBase64url(32);
  return { plaintext: `${KEY_MARKER}${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

/** The parts of a presented key, or undefined when it is not shaped like one of ours. */
export function parseApiKey(presented: string): { readonly prefix: string; readonly secret: string } | undefined {
  if (presented.length !== KEY_MARKER.length + PREFIX_LENGTH + 1 + SECRET_LENGTH) return undefined;
  const match = KEY_PATTERN.exec(presented);
  return match === null ? undefined : { prefix: match[1]!, secret: match[2]! };
}
