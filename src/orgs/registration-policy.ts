import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { randomBase64url } from '../lib/random.ts';
import { hashSecret } from '../lib/secrets.ts';
import type { Organization } from './organization.ts';
import { changeSettings } from './orgs.ts';
import type { ClientRegistrationMode } from './settings.ts';

/** How an organization takes client registration requests (the clients capability acts on it). */
export interface RegistrationPolicy {
  readonly mode: ClientRegistrationMode;
  readonly initialAccessTokenRequired: boolean;
}

export function registrationPolicyOf(org: Organization): RegistrationPolicy {
  return { mode: org.settings.clientRegistration, initialAccessTokenRequired: org.settings.registrationInitialAccessTokenHash !== null };
}

export interface RegistrationPolicyChange {
  readonly mode: ClientRegistrationMode;
  /** `keep` the current initial access token (if any), require `none`, or a `new` one. */
  readonly initialAccessToken: 'keep' | 'none' | 'new';
}

/**
 * Opens or closes registration requests, and sets the initial access token (RFC 7591 §3)
 * dynamic registration requires. A `new` token is returned once; only its SHA-256 is kept, in
 * the organization's settings. ConflictError when the settings changed at the same time;
 * StaleVersionError when they changed since `expectedVersion` (the org's `updatedAt`).
 */
export async function setRegistrationPolicy(
  db: Executor,
  clock: Clock,
  orgId: string,
  change: RegistrationPolicyChange,
  options: { readonly expectedVersion?: number } = {},
): Promise<{ policy: RegistrationPolicy; initialAccessToken: string | null }> {
  const token = change.initialAccessToken === 'new' ? `giat_${randomBase64url(32)}` : null;
  return changeSettings(db, clock, orgId, (current) => {
    const hash = change.initialAccessToken === 'keep' ? current.registrationInitialAccessTokenHash : token === null ? null : hashSecret(token);
    const settings = { ...current, clientRegistration: change.mode, registrationInitialAccessTokenHash: hash };
    return { settings, result: { policy: { mode: settings.clientRegistration, initialAccessTokenRequired: hash !== null }, initialAccessToken: token } };
  }, options);
}
