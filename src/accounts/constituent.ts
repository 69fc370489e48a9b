import type { ConstituentRow } from './constituents.repository.ts';

/** A constituent as the rest of the system sees it: no password hash. */
export interface Constituent {
  readonly orgId: string;
  readonly accountId: string;
  readonly loginName: string;
  readonly email: string | null;
  readonly emailVerified: boolean;
  readonly displayName: string | null;
  readonly pictureUrl: string | null;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly status: 'active' | 'disabled';
  readonly updatedAt: number;
}

export function toConstituent(row: ConstituentRow): Constituent {
  return {
    orgId: row.org_id,
    accountId: row.account_id,
    loginName: row.login_name,
    email: row.email,
    emailVerified: row.email_verified === 1,
    displayName: row.display_name,
    pictureUrl: row.picture_url,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    status: row.status,
    updatedAt: row.updated_at,
  };
}
