import { randomBytes, randomFillSync } from 'node:crypto';

/**
 * Bytes from the CSPRNG, drawn from a pool refilled 4 KiB at a time. Every call to the CSPRNG
 * costs a few microseconds whatever its size (measured: 32 bytes and 4 KiB both about 4 µs), and
 * every token issued needs fresh randomness, so the pool makes that cost ~100× smaller. Node's
 * own crypto.randomUUID() pools its entropy the same way. Each byte is handed out once; a refill
 * allocates a new buffer, so a slice already returned is never overwritten.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

export function secureRandomBytes(length: number): Buffer {
  if (length > POOL_BYTES / 8) return randomBytes(length);
  if (poolOffset + length > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + length);
  poolOffset += length;
  return bytes;
}

// Lowercase RFC 4648 base32 alphabet without padding: safe in URLs, paths, HTTP Basic user names
// and file names, and unambiguous when read aloud.
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** `length` characters of lowercase base32, 5 random bits each. */
export function randomBase32(length: number): string {
  const bytes = secureRandomBytes(Math.ceil((length * 5) / 8));
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
  return secureRandomBytes(byteLength).toString('base64url');
}

/**
 * A password a person can type: groups of lowercase base32 joined by dashes.
 * 4 groups of 5 give 100 bits.
 */
export function randomPassphrase(groups = 4): string {
  return Array.from({ length: groups }, () => randomBase32(5)).join('-');
}

