import type { RateLimiter, ThrottleKey, ThrottleLimits } from '../lib/rate-limiter.ts';
import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { randomBase64url } from '../lib/random.ts';
import { hashSecret, secretMatchesHash } from '../lib/secrets.ts';
import { findOrganizationById, findOrganizationByIdOrSlug } from '../orgs/orgs.ts';
import type { Organization } from '../orgs/organization.ts';
import { parseApiKey } from './api-keys.ts';
import { recordAudit } from '../audit/audit.ts';
import { ROLE_PERMISSIONS, type Permission } from './permissions.ts';
import type { StaffRole } from './roles.ts';
import * as repository from './staff.repository.ts';

/** Who is calling the management API: a staff user, through one of its API keys. */
export interface ApiPrincipal {
  readonly orgId: string;
  /** The organization as authentication read it: the request's handler needs no second read. */
  readonly org: Organization;
  readonly staffUserId: string;
  readonly role: StaffRole;
  readonly apiKeyId: string;
  readonly permissions: ReadonlySet<Permission>;
}

/**
 * Any authentication failure. Deliberately one class and one message: an unknown org, an
 * unknown key, a revoked key, a disabled user and a wrong secret all look the same from outside.
 */
export class ApiAuthenticationError extends Error {
  readonly detail: string;
  /** The existing organization the credentials named, if any: the failure is audited there. */
  readonly orgId: string | undefined;
  /** The public prefix of the API key presented, if it had the shape of one (never the secret). */
  readonly keyPrefix: string | undefined;
  constructor(detail: string, context: { readonly orgId?: string; readonly keyPrefix?: string } = {}) {
    super('Authentication failed.');
    this.detail = detail;
    this.orgId = context.orgId;
    this.keyPrefix = context.keyPrefix;
  }
}

/**
 * API authentication failures are counted per client IP only: counting them per org or key
 * would let anyone lock an organization's integrations out with a few bad requests.
 */
export const API_THROTTLE_LIMITS: ThrottleLimits = Object.freeze({ failuresPerIdentifier: 20, failuresPerIp: 20, windowMs: 5 * 60 * 1000 });

/** Retry-After of a throttled API call: by then every failure that counted has left the window. */
export const API_RETRY_AFTER_SECONDS = API_THROTTLE_LIMITS.windowMs / 1000;

/** API authentication failures are counted per client network only (see API_THROTTLE_LIMITS; an IPv6 client by its /64). */
export function apiThrottleKey(ip: string): ThrottleKey {
  return { orgId: 'api', ip };
}

/**
 * Counts a failed API authentication against the client's IP and, when the credentials named an
 * existing organization, records `api.auth_failed` in that org's audit log (the IP, the key
 * prefix if a key was presented; never the secret). Nothing is recorded for unknown orgs.
 *
 * A burst of concurrent requests all pass the throttle's check before any of them fails: a
 * failure arriving when the IP is already over the limit is counted, not audited, and answered
 * as throttled. Checking and counting happen without an await between them, so an IP causes at
 * most the throttle's limit of audit events per window (in each process).
 *
 * Unlike passwords (checkThrottled in accounts/sign-in-throttle.ts), keys are not counted before
 * they are checked, so a burst does get every key in it checked: against 256-bit keys that buys
 * no guessing, while counting first would refuse an integration's parallel calls past the limit.
 */
export async function recordApiAuthenticationFailure(
  db: Executor,
  clock: Clock,
  throttle: RateLimiter,
  error: ApiAuthenticationError,
  ip: string,
): Promise<'throttled' | 'failed'> {
  const key = apiThrottleKey(ip);
  const alreadyBlocked = throttle.isBlocked(key);
  throttle.recordFailure(key);
  if (alreadyBlocked) return 'throttled';
  if (error.orgId !== undefined) {
    await recordAudit(db, clock, error.orgId, {
      action: 'api.auth_failed',
      actor: { type: 'anonymous', id: null },
      ip,
      details: { reason: error.detail, ...(error.keyPrefix === undefined ? {} : { key_prefix: error.keyPrefix }) },
    });
  }
  return 'failed';
}

/** API v1 sessions end after this long unused… */
export const API_SESSION_IDLE_MS = 30 * 60 * 1000;
/** …and this long after login whatever happens. */
export const API_SESSION_MAX_MS = 12 * 3600 * 1000;
/** last_used_at is a hint for people, not a counter: written at most this often per key or session. */
const TOUCH_INTERVAL_MS = 60 * 1000;

/** NeonCRM API v2: HTTP Basic with the org ID (or slug) as user name and the API key as password. */
export async function authenticateWithApiKey(db: Executor, clock: Clock, orgReference: string, presentedKey: string): Promise<ApiPrincipal> {
  const parsed = parseApiKey(presentedKey);
  const org = orgReference.length > 100 ? undefined : await findOrganizationByIdOrSlug(db, orgReference);
  if (org === undefined) throw new ApiAuthenticationError('unknown organization');
  if (parsed === undefined) throw new ApiAuthenticationError('not an API key', { orgId: org.id });
  const key = await repository.findUsableApiKey(db, org.id, parsed.prefix);
  if (key === undefined || !secretMatchesHash(parsed.secret, key.secretHash)) {
    throw new ApiAuthenticationError(key === undefined ? 'unknown, revoked or disabled key' : 'wrong secret', { orgId: org.id, keyPrefix: parsed.prefix });
  }
  const now = clock();
  if (key.lastUsedAt === null || now - key.lastUsedAt > TOUCH_INTERVAL_MS) await repository.touchApiKey(db, org.id, key.keyId, now);
  return principal(org, key.staffUserId, key.role, key.keyId);
}

/**
 * NeonCRM API v1's `login`: trades the org ID (or slug) and an API key for a `userSessionId`,
 * recording `api.session_opened` with the session in one transaction. Throws
 * ApiAuthenticationError as authenticateWithApiKey does; counting the failure is the caller's.
 */
export async function logInWithApiKey(db: Executor, clock: Clock, login: { readonly orgReference: string; readonly apiKey: string; readonly ip: string }): Promise<{ userSessionId: string; expiresAt: number }> {
  const caller = await authenticateWithApiKey(db, clock, login.orgReference, login.apiKey);
  const userSessionId = randomBase64url(32);
  const now = clock();
  const expiresAt = now + API_SESSION_MAX_MS;
  await inTransaction(db, async (trx) => {
    await repository.insertApiSession(trx, { idHash: hashSecret(userSessionId), orgId: caller.orgId, apiKeyId: caller.apiKeyId, staffUserId: caller.staffUserId, createdAt: now, expiresAt });
    await recordAudit(trx, clock, caller.orgId, { action: 'api.session_opened', actor: { type: 'api_key', id: caller.apiKeyId }, ip: login.ip });
  });
  return { userSessionId, expiresAt };
}

/** The caller of a request carrying a userSessionId. Ends with the key, the user, idleness or age. */
export async function authenticateWithSession(db: Executor, clock: Clock, userSessionId: string): Promise<ApiPrincipal> {
  if (userSessionId.length > 128) throw new ApiAuthenticationError('oversized session id');
  const idHash = hashSecret(userSessionId);
  const session = await repository.findUsableApiSession(db, idHash);
  const now = clock();
  if (session === undefined) throw new ApiAuthenticationError('unknown, ended or revoked session');
  if (now >= session.expiresAt || now - session.lastUsedAt > API_SESSION_IDLE_MS) throw new ApiAuthenticationError('expired session', { orgId: session.orgId });
  const org = await findOrganizationById(db, session.orgId);
  if (org === undefined) throw new ApiAuthenticationError('the session\'s organization is gone');
  if (now - session.lastUsedAt > TOUCH_INTERVAL_MS) await repository.touchApiSession(db, idHash, now);
  return principal(org, session.staffUserId, session.role, session.keyId);
}

export async function closeApiSession(db: Executor, clock: Clock, userSessionId: string): Promise<void> {
  await repository.endApiSession(db, hashSecret(userSessionId), clock());
}

function principal(org: Organization, staffUserId: string, role: string, apiKeyId: string): ApiPrincipal {
  const known = (ROLE_PERMISSIONS as Record<string, readonly Permission[] | undefined>)[role];
  return { orgId: org.id, org, staffUserId, role: role as StaffRole, apiKeyId, permissions: new Set(known ?? []) };
}
