import { checkDisplayName } from '../lib/text-rules.ts';
import type { Executor } from '../db/database.ts';
import { isUniqueViolation } from '../db/storage-error.ts';
import type { Clock } from '../lib/clock.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import * as repository from './orgs.repository.ts';
import type { Organization } from './organization.ts';
import { DEFAULT_ORG_SETTINGS, serializeSettings } from './settings.ts';

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
  try {
    return await repository.insertOrganization(db, {
      id: newId('organization'),
      slug,
      display_name: name,
      settings: serializeSettings(DEFAULT_ORG_SETTINGS),
      next_account_number: FIRST_ACCOUNT_NUMBER,
      created_at: now,
      updated_at: now,
    });
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
