import { createHash, createHmac, createSecretKey } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { randomBase64url } from '../lib/random.ts';
import { constantTimeEqual } from '../lib/secrets.ts';

/**
 * Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies";
 * docs/decisions/0003): a browser in which an account signed in successfully holds a token that
 * says so, and a sign-in of that account presenting it is not subject to the account's lockout,
 * which anyone can cause with a few wrong passwords, but only to a limit of its own (see
 * accounts/sign-in.ts). Guessing from anywhere else is still locked out per account.
 *
 * A token is `<nonce>.<expiry>.<mac>`: a random 128-bit nonce, the expiry in seconds since the
 * epoch (base 36), and an HMAC-SHA256 over the org, the kind and id of the account, the version of
 * its credential (credentialVersion: changes whenever its password does), the nonce and the
 * expiry, under a key derived from the root key for this purpose only (Sealer.deriveKey).
 * The account is not written in the cookie: a token is checked against the account the typed
 * identifier names, so a token of another account, org or kind (staff or constituent), issued
 * before the password last changed, altered or expired vouches for nothing. Nothing is stored: a
 * token is valid until it expires, the password changes or the root key changes; stealing one
 * gains a thief that token's own few guesses only, and someone who once knew the password and
 * collected tokens loses them all when it is changed.
 *
 * A cookie holds the tokens of the last few accounts that signed in on the browser (a family's or
 * an office's shared computer), newest first.
 */
export interface DeviceCookies {
  /**
   * The nonce of the token issued to `subject` (authentic, unexpired) in any of the values the
   * browser sent under the cookie's name (another site of the domain may have set more than one:
   * http/cookies.ts cookieValues), or undefined.
   */
  recognise(cookies: readonly string[], subject: DeviceSubject): string | undefined;
  /** The cookie once `subject` signed in: a fresh token for it first, then up to MAX_TOKENS − 1 others still valid. */
  issue(cookies: readonly string[], subject: DeviceSubject): string;
}

/** The account a device token vouches for: one account of one kind in one organization. */
export interface DeviceSubject {
  readonly orgId: string;
  /** Staff users and constituents are different kinds of account, with different cookies. */
  readonly kind: 'constituent' | 'staff';
  readonly accountId: string;
  /** The version of the account's password (credentialVersion of its stored hash): a token vouches for this password only. */
  readonly credential: string;
}

/**
 * The version of a password as stored: a SHA-256 of its argon2id hash, which holds a fresh salt,
 * so every time a password is set (changed, reset, even to the same text) the version changes.
 * An account without a password has no version, and no device token.
 */
export function credentialVersion(passwordHash: string): string {
  return createHash('sha256').update(passwordHash, 'utf8').digest('base64url');
}

/** How long a device token (and its cookie) is honoured after the sign-in that issued it. */
export const DEVICE_COOKIE_LIFETIME_SECONDS = 365 * 24 * 3600;

/** Accounts remembered per browser and org: enough for a shared computer, small enough for a header. */
const MAX_TOKENS = 5;
/** Values of the cookie looked at: a browser sends one per path it was set for (cookie shadowing). */
const MAX_VALUES = 4;

const TOKEN = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{43})$/;

interface Token {
  readonly text: string;
  readonly nonce: string;
  readonly expiry: string;
  readonly mac: string;
}

/** `key`: 32 bytes for this purpose only (Sealer.deriveKey('device-cookie')). */
export function createDeviceCookies(key: Buffer, clock: Clock): DeviceCookies {
  // Imported once: an HMAC given a Buffer imports the key again at every call (six times the cost of the MAC).
  const macKey = createSecretKey(key);
  const macOf = (subject: DeviceSubject, nonce: string, expiry: string): string =>
    createHmac('sha256', macKey).update(JSON.stringify(['gatehouse device token', subject.orgId, subject.kind, subject.accountId, subject.credential, nonce, expiry])).digest('base64url');

  /** The well-formed, unexpired tokens of the cookie's values (a few, each of MAX_TOKENS at most), once each; anything else is ignored. */
  const validTokens = (cookies: readonly string[]): Token[] => {
    const nowSeconds = clock() / 1000;
    const tokens = new Map<string, Token>();
    for (const cookie of cookies.slice(0, MAX_VALUES)) {
      if (cookie.length > MAX_TOKENS * 80) continue;
      for (const text of cookie.split('~').slice(0, MAX_TOKENS)) {
        const match = TOKEN.exec(text);
        if (match !== null && Number.parseInt(match[2]!, 36) > nowSeconds) tokens.set(text, { text, nonce: match[1]!, expiry: match[2]!, mac: match[3]! });
      }
    }
    return [...tokens.values()];
  };
  const issuedTo = (token: Token, subject: DeviceSubject): boolean => constantTimeEqual(macOf(subject, token.nonce, token.expiry), token.mac);

  return {
    recognise(cookies, subject) {
      return validTokens(cookies).find((token) => issuedTo(token, subject))?.nonce;
    },
    issue(cookies, subject) {
      const nonce = randomBase64url(16);
      const expiry = (Math.floor(clock() / 1000) + DEVICE_COOKIE_LIFETIME_SECONDS).toString(36);
      const others = validTokens(cookies).filter((token) => !issuedTo(token, subject));
      return [`${nonce}.${expiry}.${macOf(subject, nonce, expiry)}`, ...others.slice(0, MAX_TOKENS - 1).map((token) => token.text)].join('~');
    },
  };
}
