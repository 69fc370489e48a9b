import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import { columnsOf, PrecompiledQuery } from '../db/precompiled.ts';
import { isHexColor, normalizeLogoUrl } from '../lib/branding-values.ts';
import type { Organization } from './organization.ts';
import type { OrganizationsTable } from './orgs.table.ts';
import { DEFAULT_ORG_SETTINGS, type ClientRegistrationMode, type CustomScope, type OrgSettings, type SelfRegistrationPolicy } from './settings.ts';

type Row = Selectable<OrganizationsTable>;

function toOrganization(row: Row): Organization {
  return {
    id: row.id,
    slug: row.slug,
    name: row.display_name,
    settings: settingsFromJson(row.settings),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Stores a new organization; its account numbers start at `firstAccountNumber`. */
export async function insertOrganization(db: Executor, org: Organization, firstAccountNumber: number): Promise<void> {
  await db
    .insertInto('organizations')
    .values({
      id: org.id,
      slug: org.slug,
      display_name: org.name,
      settings: settingsToJson(org.settings),
      next_account_number: firstAccountNumber,
      created_at: org.createdAt,
      updated_at: org.updatedAt,
    })
    .execute();
}

const ORGANIZATION_COLUMNS = columnsOf<OrganizationsTable>({ id: true, slug: true, display_name: true, settings: true, next_account_number: true, created_at: true, updated_at: true });

// Precompiled (db/precompiled.ts): every management API request finds its organization by one of them.
const findBySlugQuery = new PrecompiledQuery<{ readonly slug: string }, Row>({ slug: true }, (db, p) => db.selectFrom('organizations').select(ORGANIZATION_COLUMNS).where('slug', '=', p.slug));
const findByIdQuery = new PrecompiledQuery<{ readonly id: string }, Row>({ id: true }, (db, p) => db.selectFrom('organizations').select(ORGANIZATION_COLUMNS).where('id', '=', p.id));

export async function findOrganizationBySlug(db: Executor, slug: string): Promise<Organization | undefined> {
  const row = await findBySlugQuery.first(db, { slug });
  return row && toOrganization(row);
}

export async function findOrganizationById(db: Executor, id: string): Promise<Organization | undefined> {
  const row = await findByIdQuery.first(db, { id });
  return row && toOrganization(row);
}

/**
 * Takes the next account number of an organization. One conditional UPDATE … RETURNING, so two
 * concurrent creations never get the same number, and a rolled-back creation gives its number back.
 */
export async function takeNextAccountNumber(db: Executor, orgId: string): Promise<number> {
  const row = await db
    .updateTable('organizations')
    .set((eb) => ({ next_account_number: eb('next_account_number', '+', 1) }))
    .where('id', '=', orgId)
    .returning('next_account_number')
    .executeTakeFirstOrThrow();
  return Number(row.next_account_number) - 1;
}

/** Replaces the settings, only if the org is still at `expectedUpdatedAt` (no lost update between two writers). */
export async function updateSettings(db: Executor, orgId: string, settings: OrgSettings, expectedUpdatedAt: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('organizations')
    .set({ settings: settingsToJson(settings), updated_at: now })
    .where('id', '=', orgId)
    .where('updated_at', '=', expectedUpdatedAt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Replaces name and settings, only if the org is still at `expectedUpdatedAt`. */
export async function updateOrganizationRow(
  db: Executor,
  orgId: string,
  change: { readonly name: string; readonly settings: OrgSettings },
  expectedUpdatedAt: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('organizations')
    .set({ display_name: change.name, settings: settingsToJson(change.settings), updated_at: now })
    .where('id', '=', orgId)
    .where('updated_at', '=', expectedUpdatedAt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The settings column: snake_case JSON, every key optional (a setting added later reads as its default). */
interface StoredSettings {
  code_ttl_seconds?: number;
  access_token_ttl_seconds?: number;
  refresh_token_ttl_seconds?: number;
  id_token_ttl_seconds?: number;
  consent_required_by_default?: boolean;
  sso_session_ttl_seconds?: number;
  custom_scopes?: Record<string, CustomScope>;
  client_registration?: ClientRegistrationMode;
  registration_initial_access_token_hash?: string | null;
  logo_url?: string | null;
  primary_color?: string | null;
  accent_color?: string | null;
  self_registration?: SelfRegistrationPolicy;
  connect_target_origins?: string[];
}

function settingsToJson(settings: OrgSettings): string {
  const stored: Required<StoredSettings> = {
    code_ttl_seconds: settings.codeTtlSeconds,
    access_token_ttl_seconds: settings.accessTokenTtlSeconds,
    refresh_token_ttl_seconds: settings.refreshTokenTtlSeconds,
    id_token_ttl_seconds: settings.idTokenTtlSeconds,
    consent_required_by_default: settings.consentRequiredByDefault,
    sso_session_ttl_seconds: settings.ssoSessionTtlSeconds,
    custom_scopes: settings.customScopes,
    client_registration: settings.clientRegistration,
    registration_initial_access_token_hash: settings.registrationInitialAccessTokenHash,
    logo_url: settings.logoUrl,
    primary_color: settings.primaryColor,
    accent_color: settings.accentColor,
    self_registration: settings.selfRegistration,
    connect_target_origins: [...settings.connectTargetOrigins],
  };
  return JSON.stringify(stored);
}

function settingsFromJson(json: string): OrgSettings {
  const stored = JSON.parse(json) as StoredSettings;
  const d = DEFAULT_ORG_SETTINGS;
  return Object.freeze({
    codeTtlSeconds: stored.code_ttl_seconds ?? d.codeTtlSeconds,
    accessTokenTtlSeconds: stored.access_token_ttl_seconds ?? d.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: stored.refresh_token_ttl_seconds ?? d.refreshTokenTtlSeconds,
    idTokenTtlSeconds: stored.id_token_ttl_seconds ?? d.idTokenTtlSeconds,
    consentRequiredByDefault: stored.consent_required_by_default ?? d.consentRequiredByDefault,
    ssoSessionTtlSeconds: stored.sso_session_ttl_seconds ?? d.ssoSessionTtlSeconds,
    customScopes: stored.custom_scopes ?? d.customScopes,
    // Anything but a known mode reads as closed: registration opens only when asked for.
    clientRegistration: stored.client_registration === 'approval' ? 'approval' : d.clientRegistration,
    registrationInitialAccessTokenHash: stored.registration_initial_access_token_hash ?? d.registrationInitialAccessTokenHash,
    // Branding reaches pages and their CSP: a stored value that breaks the rules reads as unset.
    logoUrl: normalizeLogoUrl(stored.logo_url) ?? d.logoUrl,
    primaryColor: isHexColor(stored.primary_color) ? stored.primary_color.toLowerCase() : d.primaryColor,
    accentColor: isHexColor(stored.accent_color) ? stored.accent_color.toLowerCase() : d.accentColor,
    // Anything but `open` reads as closed: sign-up opens only when asked for.
    selfRegistration: stored.self_registration === 'open' ? 'open' : d.selfRegistration,
    connectTargetOrigins: Array.isArray(stored.connect_target_origins) ? stored.connect_target_origins.filter((o) => typeof o === 'string') : d.connectTargetOrigins,
  });
}
