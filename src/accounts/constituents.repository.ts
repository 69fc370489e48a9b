import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { ConstituentsTable } from './constituents.table.ts';

export async function insertConstituent(db: Executor, row: ConstituentsTable): Promise<void> {
  await db.insertInto('constituents').values(row).execute();
}

/** Which of the given unique keys an existing constituent of the org already holds. */
export async function findTakenIdentifiers(
  db: Executor,
  orgId: string,
  keys: { readonly loginNameKey: string; readonly emailKey: string | null },
): Promise<{ loginName: boolean; email: boolean }> {
  const rows = await db
    .selectFrom('constituents')
    .select(['login_name_key', 'email_key'])
    .where('org_id', '=', orgId)
    .where((eb) =>
      eb.or([
        eb('login_name_key', '=', keys.loginNameKey),
        ...(keys.emailKey === null ? [] : [eb('email_key', '=', keys.emailKey)]),
      ]),
    )
    .execute();
  return {
    loginName: rows.some((r) => r.login_name_key === keys.loginNameKey),
    email: keys.emailKey !== null && rows.some((r) => r.email_key === keys.emailKey),
  };
}

export type ConstituentRow = Selectable<ConstituentsTable>;

/** The constituent whose login name or, failing that, email matches the case-folded identifier. */
export async function findConstituentBySignInKey(db: Executor, orgId: string, key: string): Promise<ConstituentRow | undefined> {
  const rows = await db
    .selectFrom('constituents')
    .selectAll()
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb('login_name_key', '=', key), eb('email_key', '=', key)]))
    .limit(2)
    .execute();
  // A login name wins over another account's identical email.
  return rows.find((r) => r.login_name_key === key) ?? rows[0];
}

export async function findConstituentById(db: Executor, orgId: string, accountId: string): Promise<ConstituentRow | undefined> {
  return db.selectFrom('constituents').selectAll().where('org_id', '=', orgId).where('account_id', '=', accountId).executeTakeFirst();
}

export async function updateAttributes(db: Executor, orgId: string, accountId: string, attributes: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('constituents')
    .set({ attributes, updated_at: now })
    .where('org_id', '=', orgId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
