import { registerConstituent } from './accounts/constituents.ts';
import { preparePassword } from './accounts/passwords.ts';
import { createClient } from './clients/clients.ts';
import { issuerFor, type Config } from './config/config.ts';
import type { Executor } from './db/database.ts';
import { claimMetaKey } from './db/meta.repository.ts';
import { inTransaction } from './db/transaction.ts';
import type { Clock } from './lib/clock.ts';
import { newCodeVerifier, s256CodeChallenge } from './lib/pkce.ts';
import { randomBase64url, randomPassphrase } from './lib/random.ts';
import { OAUTH_PATHS } from './oauth/endpoints.ts';
import { createOrganization, findOrganizationBySlug } from './orgs/orgs.ts';
import { createStaffUser } from './staff/staff.ts';

export const DEMO_SLUG = 'demo';
export const DEMO_REDIRECT_URI = 'http://localhost:8080/callback';
const DEMO_MARKER = 'demo_organization_created_at';

/** What the first start prints once: every credential here is unrecoverable afterwards. */
export interface DemoOrganization {
  readonly orgId: string;
  readonly slug: string;
  readonly issuer: string;
  readonly constituent: { readonly accountId: string; readonly username: string; readonly password: string };
  readonly client: { readonly clientId: string; readonly clientSecret: string; readonly redirectUri: string };
  readonly staff: { readonly userId: string; readonly email: string; readonly apiKey: string };
  /** A ready-to-open authorization request (code flow with PKCE S256 and state). */
  readonly authorizationUrl: string;
  /** The PKCE verifier that goes with `authorizationUrl`, for the token request. */
  readonly codeVerifier: string;
}

/**
 * Creates the `demo` organization on the first start of an installation, in one transaction.
 * Later starts, and a start racing this one, create nothing and return undefined. An installation
 * whose operator already made an org called `demo` keeps theirs untouched.
 */
export async function createDemoOrganizationOnce(db: Executor, clock: Clock, config: Pick<Config, 'publicUrl'>): Promise<DemoOrganization | undefined> {
  // Hashed before the transaction (argon2id must not hold the store), and only then known to be needed.
  const password = randomPassphrase();
  const preparedPassword = await preparePassword(password);
  return inTransaction(db, async (trx) => {
    if (!(await claimMetaKey(trx, DEMO_MARKER, new Date(clock()).toISOString()))) return undefined;
    if ((await findOrganizationBySlug(trx, DEMO_SLUG)) !== undefined) return undefined;

    const org = await createOrganization(trx, clock, { slug: DEMO_SLUG, name: 'Demo Organization' });
    const constituent = await registerConstituent(trx, clock, org.id, { username: 'demo', email: 'demo@example.org', name: 'Demo Constituent' }, { password: preparedPassword });
    const client = await createClient(trx, clock, org.id, {
      name: 'Demo App',
      clientType: 'confidential',
      redirectUris: [DEMO_REDIRECT_URI],
      postLogoutRedirectUris: ['http://localhost:8080/'],
      scope: 'openid profile email',
      consentRequired: org.settings.consentRequiredByDefault,
    });
    const staffEmail = 'admin@example.org';
    const staff = await createStaffUser(trx, clock, org.id, { email: staffEmail, name: 'Demo Admin', role: 'owner', withApiKey: true });

    const issuer = issuerFor(config, org.slug);
    const codeVerifier = newCodeVerifier();
    const authorizationUrl = new URL(issuer + OAUTH_PATHS.authorization);
    authorizationUrl.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: DEMO_REDIRECT_URI,
      scope: 'openid profile email',
      state: randomBase64url(16),
      code_challenge: s256CodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    }).toString();

    return {
      orgId: org.id,
      slug: org.slug,
      issuer,
      constituent: { accountId: constituent.accountId, username: constituent.loginName, password },
      client: { clientId: client.clientId, clientSecret: client.clientSecret!, redirectUri: DEMO_REDIRECT_URI },
      staff: { userId: staff.userId, email: staffEmail, apiKey: staff.apiKey! },
      authorizationUrl: authorizationUrl.href,
      codeVerifier,
    };
  });
}
