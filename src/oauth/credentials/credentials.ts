import { TIME_ORDERED_ID, TIME_ORDERED_ID_LENGTH, TIME_ORDERED_ID_PATTERN, timeOrderedId } from '../../lib/ids.ts';
import { randomBase64url } from '../../lib/random.ts';
import { hashSecret } from '../../lib/secrets.ts';

/**
 * How a presented code, access token or refresh token is found and checked: `id` is the row's
 * key, `hash` the SHA-256 of the whole credential, which the row must also hold. Both go into one
 * indexed statement (`WHERE id = ? AND hash = ?`), so knowing an id without the secret finds
 * nothing. Only the hash of a credential is ever stored.
 */
export interface CredentialKey {
  readonly id: string;
  readonly hash: string;
}

export interface MintedCredential extends CredentialKey {
  /** What the client receives; never stored. */
  readonly value: string;
}

/** 256 bits: far beyond guessing, so a SHA-256 of it is safe to store (no slow hash needed). */
const SECRET_BYTES = 32;
const SECRET_CHARS = 43;

const OPAQUE = new RegExp(`^${TIME_ORDERED_ID_PATTERN}[A-Za-z0-9_-]{${SECRET_CHARS}}$`);

/**
 * A new opaque credential: a time-ordered id (its row lands at the end of the table's B-tree, see
 * lib/ids.ts) followed by a 256-bit secret, 69 URL-safe characters in all.
 */
export function mintOpaqueCredential(now: number): MintedCredential {
  const id = timeOrderedId(now);
  const value = id + randomBase64url(SECRET_BYTES);
  return { id, value, hash: hashSecret(value) };
}

/** The key of a JWT access token minted with `jti` = `id` (from timeOrderedId). */
export function jwtCredentialKey(id: string, jwt: string): CredentialKey {
  return { id, hash: hashSecret(jwt) };
}

/**
 * The key a presented credential is looked up by. An opaque credential carries its id in front;
 * a JWT access token carries it as `jti`. Anything else (including credentials issued before ids
 * existed, whose rows were keyed by their SHA-256) is looked up by its hash: a forged or junk
 * value simply finds no row.
 */
export function credentialKey(presented: string): CredentialKey {
  const hash = hashSecret(presented);
  if (OPAQUE.test(presented)) return { id: presented.slice(0, TIME_ORDERED_ID_LENGTH), hash };
  const jti = jwtId(presented);
  return { id: jti ?? hash, hash };
}

/** The `jti` of a compact JWS whose payload names one of our ids; undefined for anything else. */
function jwtId(presented: string): string | undefined {
  const firstDot = presented.indexOf('.');
  const secondDot = firstDot === -1 ? -1 : presented.indexOf('.', firstDot + 1);
  if (secondDot === -1 || presented.length > 8192) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(presented.slice(firstDot + 1, secondDot), 'base64url').toString('utf8'));
    const jti = (payload as { jti?: unknown } | null)?.jti;
    return typeof jti === 'string' && TIME_ORDERED_ID.test(jti) ? jti : undefined;
  } catch {
    return undefined;
  }
}
