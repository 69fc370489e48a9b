import type { Executor } from '../db/database.ts';
import { findConstituentBySignInKey } from './constituents.repository.ts';
import type { Constituent } from './constituent.ts';
import { credentialVersion, type DeviceCookies } from './device-cookies.ts';
import { loginNameKey } from './identifiers.ts';
import { emailKey } from '../lib/text-rules.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { checkThrottled, THROTTLED, type SignInThrottle } from './sign-in-throttle.ts';

// Verified against when no account matches, so that an unknown login name costs the same
// argon2id time as a wrong password (no account enumeration by timing).
let decoyHash: Promise<string> | undefined;

/**
 * Signs a constituent in with a login name (or email) and a password: the active constituent,
 * undefined for any failure (never saying which part was wrong), or THROTTLED when too many
 * attempts failed recently, and then no password is checked.
 *
 * Attempts count against the key that was looked up (an email trimmed and case-folded, a login
 * name normalised and case-folded), so every way of typing one identifier shares one count. The
 * login name and the email of one account keep a count each: a shared one would answer 429 to an
 * email after failures on a login name only when both are the same account's, telling anyone
 * which email goes with which login name. An unknown identifier is throttled exactly as a known
 * one: the limit says nothing about which accounts exist.
 *
 * Except from a browser where the account signed in before (accounts/device-cookies.ts): an
 * attempt presenting the device token of the account found is counted against that token, not
 * against the identifier, so the lockout anyone can cause with a few wrong passwords never locks
 * the person out of their own browser; nor does the network's (shared by every org and both kinds
 * of account, on a campus /64 or behind CGNAT): the token has its own limit, and only that applies.
 * A success answers a device cookie with a fresh token for the account, for the browser to keep.
 */
export async function signInConstituent(
  db: Executor,
  throttle: SignInThrottle,
  devices: DeviceCookies,
  attempt: { readonly orgId: string; readonly ip: string; readonly identifier: string; readonly password: string; readonly deviceCookies: readonly string[] },
): Promise<{ readonly constituent: Constituent; readonly deviceCookie: string } | typeof THROTTLED | undefined> {
  const { orgId, identifier, password } = attempt;
  const key = identifier.includes('@') ? emailKey(identifier.trim()) : loginNameKey(identifier.normalize('NFC'));
  const found = key === '' ? undefined : await findConstituentBySignInKey(db, orgId, key);
  const passwordHash = found?.passwordHash ?? null;
  // No password, no device token: nothing to vouch for (and no sign-in to issue one).
  const subject = found === undefined || passwordHash === null ? undefined : { orgId, kind: 'constituent' as const, accountId: found.constituent.accountId, credential: credentialVersion(passwordHash) };
  const device = subject === undefined ? undefined : devices.recognise(attempt.deviceCookies, subject);
  const counted = device === undefined ? `constituent-key:${key}` : `device:${device}`;
  // A recognised device is not subject to the network's limit either: one attacker's failures on a
  // campus /64 or a CGNAT address would lock out everyone there; its token's own limit bounds it.
  const constituent = await checkThrottled(throttle, device === undefined ? { orgId, identifier: counted, ip: attempt.ip } : { orgId, identifier: counted }, async () => {
    if (found === undefined || passwordHash === null) {
      decoyHash ??= hashPassword('decoy password for unknown accounts');
      await verifyPassword(await decoyHash, password);
      return undefined;
    }
    const matches = await verifyPassword(passwordHash, password);
    return matches && found.constituent.status === 'active' ? found.constituent : undefined;
  });
  if (constituent === THROTTLED || constituent === undefined) return constituent;
  return { constituent, deviceCookie: devices.issue(attempt.deviceCookies, subject!) };
}
