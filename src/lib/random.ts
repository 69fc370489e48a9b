import { randomBytes } from 'node:crypto';

// Lowercase RFC 4648 base32 alphabet without padding: safe in URLs, paths, HTTP Basic user names
// and file names, and unambiguous when read aloud.
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** `length` characters of lowercase base32, 5 random bits each. */
export function randomBase32(length: number): string {
  const bytes = randomBytes(Math.ceil((length * 5) / 8));
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/** `byteLength` random bytes as base64url (no padding). 32 bytes give 256 bits in 43 characters. */
export function randomBase64url(byteLength: number): string {
  return randomBytes(byteLength).toString('base64url');
}

/**
 * A password a person can type: groups of lowercase base32 joined by dashes.
 * 4 groups of 5 give 100 bits.
 */
export function randomPassphrase(groups = 4): string {
  return Array.from({ length: groups }, () => randomBase32(5)).join('-');
}

