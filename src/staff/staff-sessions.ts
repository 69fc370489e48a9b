import { emailKey } from '../lib/text-rules.ts';
import { hashPassword, verifyPassword } from '../accounts/passwords.ts';
import { credentialVersion, type DeviceCookies } from '../accounts/device-cookies.ts';
import { checkThrottled, THROTTLED, type SignInThrottle } from '../accounts/sign-in-throttle.ts';
import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { randomBase64url } from '../lib/random.ts';
import { hashSecret } from '../lib/secrets.ts';
import * as repository from './staff.repository.ts';

/** Staff sessions are shorter than constituents': they carry management rights. */
export const STAFF_SESSION_TTL_MS = 8 * 3600 * 1000;

export interface StaffSession {
  readonly staffUserId: string;
  readonly email: string;
  readonly role: string;
}

let decoyHash: Promise<string> | undefined;

/**
 * Signs a staff user in with an email and a password: the active staff user, undefined for any
 * failure (never saying which part was wrong; an unknown email costs the same argon2id time as a
 * wrong password), or THROTTLED when too many attempts failed recently, and then no password is
 * checked. Attempts count against the staff user found (the email trimmed, case folded), or
 * against the email key looked up when none is, as for constituents (accounts/sign-in.ts); an
 * attempt presenting the staff device token of the user found is counted against that token
 * instead (and not against the network), and a success answers the staff device cookie with a
 * fresh token, as there.
 */
export async function signInStaff(
  db: Executor,
  throttle: SignInThrottle,
  devices: DeviceCookies,
  attempt: { readonly orgId: string; readonly ip: string; readonly email: string; readonly password: string; readonly deviceCookies: readonly string[] },
): Promise<{ readonly staffUserId: string; readonly email: string; readonly deviceCookie: string } | typeof THROTTLED | undefined> {
  const { orgId, password } = attempt;
  const key = emailKey(attempt.email.trim());
  const found = await repository.findStaffUserByEmailKey(db, orgId, key);
  const user = found?.user;
  const passwordHash = found?.passwordHash ?? null;
  const subject = user === undefined || passwordHash === null ? undefined : { orgId, kind: 'staff' as const, accountId: user.id, credential: credentialVersion(passwordHash) };
  const device = subject === undefined ? undefined : devices.recognise(attempt.deviceCookies, subject);
  const counted = device !== undefined ? `device:${device}` : user === undefined ? `staff-key:${key}` : `staff:${user.id}`;
  const staff = await checkThrottled(throttle, device === undefined ? { orgId, identifier: counted, ip: attempt.ip } : { orgId, identifier: counted }, async () => {
    if (user === undefined || passwordHash === null) {
      decoyHash ??= hashPassword('decoy password for unknown staff');
      await verifyPassword(await decoyHash, password);
      return undefined;
    }
    const matches = await verifyPassword(passwordHash, password);
    return matches && user.status === 'active' ? { staffUserId: user.id, email: user.email } : undefined;
  });
  if (staff === THROTTLED || staff === undefined) return staff;
  return { ...staff, deviceCookie: devices.issue(attempt.deviceCookies, subject!) };
}

/** Starts a staff session; returns the cookie value (only the browser ever sees it). */
export async function startStaffSession(db: Executor, clock: Clock, orgId: string, staffUserId: string): Promise<string> {
  const cookieValue = randomBase64url(32);
  const now = clock();
  await repository.insertStaffSession(db, orgId, { idHash: hashSecret(cookieValue), staffUserId, createdAt: now, expiresAt: now + STAFF_SESSION_TTL_MS });
  return cookieValue;
}

/** The live staff session a cookie names in this org (its user still active), or undefined. */
export async function findStaffSession(db: Executor, clock: Clock, orgId: string, cookieValue: string | undefined): Promise<StaffSession | undefined> {
  if (cookieValue === undefined || cookieValue.length > 128) return undefined;
  return repository.findLiveStaffSession(db, orgId, hashSecret(cookieValue), clock());
}

export async function endStaffSession(db: Executor, clock: Clock, orgId: string, cookieValue: string): Promise<void> {
  await repository.endStaffSession(db, orgId, hashSecret(cookieValue), clock());
}
