import { createConstituent } from '../../src/accounts/constituents.ts';
import { createClient, type NewClient } from '../../src/clients/clients.ts';
import type { Db } from '../../src/db/database.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createOrganization } from '../../src/orgs/orgs.ts';
import type { Organization } from '../../src/orgs/organization.ts';

export const PASSWORD = 'correct horse battery staple';

export interface SeededOrg {
  readonly org: Organization;
  readonly constituent: { readonly accountId: string; readonly username: string; readonly password: string };
}

/** An organization with one constituent (`alice`, with email and display name). */
export async function seedOrg(db: Db, slug: string): Promise<SeededOrg> {
  const org = await createOrganization(db, systemClock, { slug, name: `${slug} Org` });
  const created = await createConstituent(db, systemClock, org.id, { username: 'alice', password: PASSWORD, email: 'alice@example.org', name: 'Alice Example' });
  return { org, constituent: { accountId: created.accountId, username: 'alice', password: PASSWORD } };
}

/** A client of `orgId`; confidential with a code + refresh grant and `openid profile email` unless told otherwise. */
export async function seedClient(db: Db, orgId: string, overrides: Partial<NewClient> = {}): Promise<{ clientId: string; clientSecret: string | null }> {
  return createClient(db, systemClock, orgId, {
    name: 'Test App',
    clientType: 'confidential',
    redirectUris: ['https://app.example.org/callback'],
    postLogoutRedirectUris: ['https://app.example.org/signed-out'],
    consentRequired: true,
    ...overrides,
  });
}

/** The redirect URI seedClient registers by default. */
export const REDIRECT_URI = 'https://app.example.org/callback';
/** A PKCE pair: RFC 7636 Appendix B's verifier and its S256 challenge. */
export const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
export const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
