import { checkDisplayName } from '../lib/text-rules.ts';
import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { collectInvalid, InvalidInputError, NotFoundError, StaleVersionError, throwIfInvalid } from '../lib/errors.ts';
import { checkBranding } from './branding.ts';
import type { Organization } from './organization.ts';
import { findOrganizationById, updateOrganizationRow } from './orgs.repository.ts';
import { SELF_REGISTRATION_POLICIES, serializeSettings, type OrgSettings, type SelfRegistrationPolicy } from './settings.ts';

export interface OrganizationChange {
  readonly name?: string;
  readonly codeTtlSeconds?: number;
  readonly accessTokenTtlSeconds?: number;
  readonly refreshTokenTtlSeconds?: number;
  readonly idTokenTtlSeconds?: number;
  readonly ssoSessionTtlSeconds?: number;
  readonly consentRequiredByDefault?: boolean;
  /** An https URL, or null to show the name instead. */
  readonly logoUrl?: string | null;
  /** `#rrggbb`, or null for the default. */
  readonly primaryColor?: string | null;
  /** `#rrggbb`, or null for the default. */
  readonly accentColor?: string | null;
  /** Whether the hosted sign-up page is open. */
  readonly selfRegistration?: SelfRegistrationPolicy;
}

/** Bounds per lifetime, in seconds: RFC 6749 §4.1.2 caps codes at 10 minutes. */
const LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  codeTtlSeconds: [1, 600],
  accessTokenTtlSeconds: [60, 86_400],
  refreshTokenTtlSeconds: [300, 366 * 86_400],
  idTokenTtlSeconds: [60, 86_400],
  ssoSessionTtlSeconds: [300, 30 * 86_400],
};

const SNAKE: Readonly<Record<string, string>> = {
  codeTtlSeconds: 'code_ttl_seconds',
  accessTokenTtlSeconds: 'access_token_ttl_seconds',
  refreshTokenTtlSeconds: 'refresh_token_ttl_seconds',
  idTokenTtlSeconds: 'id_token_ttl_seconds',
  ssoSessionTtlSeconds: 'sso_session_ttl_seconds',
};

/** What updateOrganization would refuse of this change, every bad field named at once, not the first one found. */
export function organizationChangeErrors(change: OrganizationChange): readonly InvalidInputError[] {
  return judgeOrganizationChange(change).errors;
}

function judgeOrganizationChange(change: OrganizationChange): { errors: InvalidInputError[]; name: string | undefined; checked: OrganizationChange } {
  const errors: InvalidInputError[] = [];
  for (const [key, [min, max]] of Object.entries(LIMITS)) {
    const value = (change as Record<string, unknown>)[key];
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < min || (value as number) > max)) {
      errors.push(new InvalidInputError(SNAKE[key]!, `must be a whole number of seconds from ${min} to ${max}`));
    }
  }
  const name = change.name === undefined ? undefined : collectInvalid(errors, () => checkDisplayName(change.name!, 'name'));
  if (change.selfRegistration !== undefined && !SELF_REGISTRATION_POLICIES.includes(change.selfRegistration)) {
    errors.push(new InvalidInputError('self_registration', `must be one of ${SELF_REGISTRATION_POLICIES.join(', ')}`));
  }
  const branding = checkBranding(change);
  return { errors: [...errors, ...branding.errors], name, checked: { ...change, ...branding.values } };
}

/**
 * Changes an organization's name and settings. With `expectedVersion` (the `updatedAt` the
 * caller last read), a concurrent change makes this fail instead of silently overwriting it;
 * without, the change applies on the current version (retryOnceOnLostRace).
 */
export async function updateOrganization(
  db: Executor,
  clock: Clock,
  orgId: string,
  change: OrganizationChange,
  options: { readonly expectedVersion?: number } = {},
): Promise<Organization> {
  const { errors, name, checked } = judgeOrganizationChange(change);
  throwIfInvalid(errors);
  return inTransaction(db, (trx) => retryOnceOnLostRace('the organization', options.expectedVersion, async () => {
    const org = await findOrganizationById(trx, orgId);
    if (org === undefined) throw new NotFoundError('organization', orgId);
    if (options.expectedVersion !== undefined && options.expectedVersion !== org.updatedAt) {
      throw new StaleVersionError(`the organization changed since version ${options.expectedVersion}; read it again`);
    }
    // Nothing to change keeps the version: an empty PATCH must not make colleagues' ETags stale.
    if (Object.values(checked).every((value) => value === undefined)) return org;
    const settings: OrgSettings = {
      ...org.settings,
      ...Object.fromEntries(Object.entries(checked).filter(([key, value]) => key !== 'name' && value !== undefined)),
    };
    const now = Math.max(clock(), org.updatedAt + 1);
    if (!(await updateOrganizationRow(trx, orgId, { displayName: name ?? org.name, settings: serializeSettings(settings) }, org.updatedAt, now))) {
      throw new LostRaceError();
    }
    return (await findOrganizationById(trx, orgId))!;
  }));
}
