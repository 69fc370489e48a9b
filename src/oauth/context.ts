import type { Db } from '../db/database.ts';
import type { Jwks, OrgSigningKeys } from '../keys/signing-keys.ts';
import type { Clock } from '../lib/clock.ts';
import type { Client } from '../clients/clients.ts';
import type { Organization } from '../orgs/organization.ts';

/** What every protocol operation of one organization works with. */
export interface OrgContext {
  readonly db: Db;
  readonly clock: Clock;
  readonly org: Organization;
  /** `PUBLIC_URL/o/<slug>`. */
  readonly issuer: string;
  /** The org's signing keys, loaded (and cached) only by operations that sign or verify. */
  signingKeys(): Promise<OrgSigningKeys>;
  /** The org's JWKS, as stored now (not as cached by this process's keyring). */
  publishedJwks(): Promise<Jwks>;
  /**
   * The client with this id in this org, or undefined. Remembered for a moment per process (the
   * token, introspection and authorization endpoints all start with it); a change made elsewhere
   * takes effect within CLIENT_CACHE_TTL_MS.
   */
  findClient(clientId: string): Promise<Client | undefined>;
}
