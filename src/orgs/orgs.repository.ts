import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { OrganizationsTable } from './orgs.table.ts';
import type { Organization } from './organization.ts';
import { parseSettings } from './settings.ts';

type Row = Selectable<OrganizationsTable>;

function toOrganization(row: Row): Organization {
  return {
    id: row.id,
    slug: row.slug,
    name: row.display_name,
    settings: parseSettings(row.settings),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insertOrganization(db: Executor, row: OrganizationsTable): Promise<Organization> {
  await db.insertInto('organizations').values(row).execute();
  return toOrganization(row);
}

export async function findOrganizationBySlug(db: Executor, slug: string): Promise<Organization | undefined> {
  const row = await db.selectFrom('organizations').selectAll().where('slug', '=', slug).executeTakeFirst();
  return row && toOrganization(row);
}

export async function findOrganizationById(db: Executor, id: string): Promise<Organization | undefined> {
  const row = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
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

/** Replaces the settings JSON, only if the org is still at `expectedUpdatedAt` (no lost update between two writers). */
export async function updateSettings(db: Executor, orgId: string, settings: string, expectedUpdatedAt: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('organizations')
    .set({ settings, updated_at: now })
    .where('id', '=', orgId)
    .where('updated_at', '=', expectedUpdatedAt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Replaces name and settings, only if the org is still at `expectedUpdatedAt`. */
export async function updateOrganizationRow(
  db: Executor,
  orgId: string,
  change: { readonly displayName: string; readonly settings: string },
  expectedUpdatedAt: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('organizations')
    .set({ display_name: change.displayName, settings: change.settings, updated_at: now })
    .where('id', '=', orgId)
    .where('updated_at', '=', expectedUpdatedAt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
