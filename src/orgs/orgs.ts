import type { Executor } from '../db/database.ts';
import { isUniqueViolation } from '../db/storage-error.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { collectInvalid, ConflictError, InvalidInputError, NotFoundError, StaleVersionError, throwIfInvalid } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { checkDisplayName } from '../lib/text-rules.ts';
import { checkBranding } from './branding.ts';
import type { Organization } from './organization.ts';
import * as repository from './orgs.repository.ts';
import { checkConnectTargetOrigins } from './connect-origins.ts';
import { DEFAULT_ORG_SETTINGS, SELF_REGISTRATION_POLICIES, type OrgSettings, type SelfRegistrationPolicy } from './settings.ts';

/** Lowercase letters, digits and dashes, 1 to 63 characters, no dash at either end (a DNS label). */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The first account ID an organization hands out. Short, and never mistaken for a count. */
const FIRST_ACCOUNT_NUMBER = 1001;

export interface NewOrganization {
  readonly slug: string;
  /** Display name shown on sign-in and consent pages; defaults to the slug. */
  readonly name?: string;
}

export async function createOrganization(db: Executor, clock: Clock, input: NewOrganization): Promise<Organization> {
  const slug = input.slug;
  if (!SLUG_PATTERN.test(slug)) {
    throw new InvalidInputError('slug', `'${slug}' is not a valid slug: use 1-63 lowercase letters, digits and dashes, not starting or ending with a dash`);
  }
  const name = checkDisplayName(input.name ?? slug, 'name');
  const now = clock();
  const org: Organization = { id: newId('organization'), slug, name, settings: DEFAULT_ORG_SETTINGS, createdAt: now, updatedAt: now };
  try {
    await repository.insertOrganization(db, org, FIRST_ACCOUNT_NUMBER);
    return org;
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError('slug', `an organization with slug '${slug}' already exists`);
    throw error;
  }
}

/** The organization with this slug, or NotFoundError. */
export async function getOrganizationBySlug(db: Executor, slug: string): Promise<Organization> {
  const org = SLUG_PATTERN.test(slug) ? await repository.findOrganizationBySlug(db, slug) : undefined;
  if (org === undefined) throw new NotFoundError('organization', slug);
  return org;
}

/** The organization with this id, or NotFoundError. */
export async function getOrganizationById(db: Executor, orgId: string): Promise<Organization> {
  const org = await repository.findOrganizationById(db, orgId);
  if (org === undefined) throw new NotFoundError('organization', orgId);
  return org;
}

export const findOrganizationBySlug = repository.findOrganizationBySlug;
export const findOrganizationById = repository.findOrganizationById;

/** A fresh account ID for a constituent of `orgId`. Call inside the transaction that creates the account. */
export async function allocateAccountId(db: Executor, orgId: string): Promise<string> {
  return String(await repository.takeNextAccountNumber(db, orgId));
}

/** NeonCRM's API takes the org ID; Gatehouse also takes the slug. Undefined for neither. */
export async function findOrganizationByIdOrSlug(db: Executor, reference: string): Promise<Organization | undefined> {
  if (reference.startsWith('org_')) return repository.findOrganizationById(db, reference);
  return SLUG_PATTERN.test(reference) ? repository.findOrganizationBySlug(db, reference) : undefined;
}

/**
 * Replaces an organization's settings by `change` of the current ones (custom scopes, the
 * registration policy), in the caller's transaction or one of its own; ConflictError when the
 * organization changed between the read and the write. With `expectedVersion` (the `updatedAt`
 * a form was rendered from), StaleVersionError when it changed since.
 */
export async function changeSettings<T>(
  db: Executor,
  clock: Clock,
  orgId: string,
  change: (settings: OrgSettings) => { readonly settings: OrgSettings; readonly result: T },
  options: { readonly expectedVersion?: number } = {},
): Promise<T> {
  return inTransaction(db, async (trx) => {
    const org = await getOrganizationById(trx, orgId);
    if (options.expectedVersion !== undefined && options.expectedVersion !== org.updatedAt) {
      throw new StaleVersionError(`the organization changed since version ${options.expectedVersion}; read it again`);
    }
    const { settings, result } = change(org.settings);
    const now = Math.max(clock(), org.updatedAt + 1);
    if (!(await repository.updateSettings(trx, orgId, settings, org.updatedAt, now))) {
      throw new ConflictError('settings', 'the organization was changed at the same time; retry');
    }
    return result;
  });
}

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
  /** Replaces the list of origins a connect flow may end at. */
  readonly connectTargetOrigins?: readonly string[];
}

/** Bounds per lifetime, in seconds: RFC 6749 §4.1.2 caps codes at 10 minutes. */
const LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  codeTtlSeconds: [1, 600],
  accessTokenTtlSeconds: [60, 86_400],
  refreshTokenTtlSeconds: [300, 366 * 86_400],
  idTokenTtlSeconds: [60, 86_400],
  ssoSessionTtlSeconds: [300, 30 * 86_400],
};

/** Each field of a change as staff name it (the API's body, errors and audit details). */
const FIELD_NAMES: Readonly<Record<keyof OrganizationChange, string>> = {
  name: 'name',
  codeTtlSeconds: 'code_ttl_seconds',
  accessTokenTtlSeconds: 'access_token_ttl_seconds',
  refreshTokenTtlSeconds: 'refresh_token_ttl_seconds',
  idTokenTtlSeconds: 'id_token_ttl_seconds',
  ssoSessionTtlSeconds: 'sso_session_ttl_seconds',
  consentRequiredByDefault: 'consent_required_by_default',
  logoUrl: 'logo_url',
  primaryColor: 'primary_color',
  accentColor: 'accent_color',
  selfRegistration: 'self_registration',
  connectTargetOrigins: 'connect_target_origins',
};

/** The fields a change sets (null too: it clears one), by their staff names, in the order of FIELD_NAMES. */
export function fieldsOfOrganizationChange(change: OrganizationChange): string[] {
  const keys = Object.keys(FIELD_NAMES) as ReadonlyArray<keyof OrganizationChange>;
  return keys.filter((key) => change[key] !== undefined).map((key) => FIELD_NAMES[key]);
}

/** What updateOrganization would refuse of this change, every bad field named at once, not the first one found. */
export function organizationChangeErrors(change: OrganizationChange): readonly InvalidInputError[] {
  return judgeOrganizationChange(change).errors;
}

function judgeOrganizationChange(change: OrganizationChange): { errors: InvalidInputError[]; name: string | undefined; checked: OrganizationChange } {
  const errors: InvalidInputError[] = [];
  for (const [key, [min, max]] of Object.entries(LIMITS)) {
    const value = (change as Record<string, unknown>)[key];
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < min || (value as number) > max)) {
      errors.push(new InvalidInputError(FIELD_NAMES[key as keyof OrganizationChange], `must be a whole number of seconds from ${min} to ${max}`));
    }
  }
  const name = change.name === undefined ? undefined : collectInvalid(errors, () => checkDisplayName(change.name!, 'name'));
  if (change.selfRegistration !== undefined && !SELF_REGISTRATION_POLICIES.includes(change.selfRegistration)) {
    errors.push(new InvalidInputError('self_registration', `must be one of ${SELF_REGISTRATION_POLICIES.join(', ')}`));
  }
  const origins = change.connectTargetOrigins === undefined ? undefined : checkConnectTargetOrigins(change.connectTargetOrigins);
  errors.push(...(origins?.errors ?? []));
  const branding = checkBranding(change);
  return { errors: [...errors, ...branding.errors], name, checked: { ...change, ...branding.values, ...(origins === undefined ? {} : { connectTargetOrigins: origins.origins }) } };
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
    const org = await getOrganizationById(trx, orgId);
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
    if (!(await repository.updateOrganizationRow(trx, orgId, { name: name ?? org.name, settings }, org.updatedAt, now))) {
      throw new LostRaceError();
    }
    return getOrganizationById(trx, orgId);
  }));
}
