import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../lib/errors.ts';
import { isValidScopeToken } from '../lib/scope.ts';
import { findOrganizationById, updateSettings } from './orgs.repository.ts';
import { serializeSettings, type CustomScope } from './settings.ts';

/** Scopes with a meaning fixed by OpenID Connect Core §5.4 and §11: an org cannot redefine them. */
const RESERVED_SCOPES = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);
/** Claims with a fixed meaning: a custom attribute must not masquerade as one. */
const RESERVED_CLAIMS = new Set([
  'sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid', 'at_hash',
  'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website',
  'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'address', 'updated_at',
  'account_id', 'client_id', 'scope',
]);
const ATTRIBUTE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export function checkAttributeName(name: string, field = 'attributes'): string {
  if (!ATTRIBUTE_NAME.test(name)) throw new InvalidInputError(field, `'${name}' is not a valid attribute name: use lowercase letters, digits and _ (starting with a letter, up to 64)`);
  if (RESERVED_CLAIMS.has(name)) throw new InvalidInputError(field, `'${name}' is a standard claim and cannot be a custom attribute`);
  return name;
}

/**
 * Defines (or redefines) an org's custom scope and the constituent attributes it releases at
 * userinfo, e.g. Neos's `patreon` releasing `patreon_tier`.
 */
export async function setCustomScope(db: Executor, clock: Clock, orgId: string, name: string, scope: CustomScope): Promise<void> {
  if (!isValidScopeToken(name) || name.length > 64) throw new InvalidInputError('scope', `'${name}' is not a valid scope name (RFC 6749 §3.3, at most 64 characters)`);
  if (RESERVED_SCOPES.has(name)) throw new InvalidInputError('scope', `'${name}' is defined by OpenID Connect and cannot be redefined`);
  const description = scope.description.trim();
  if (description.length === 0 || description.length > 200) throw new InvalidInputError('description', 'must be 1 to 200 characters');
  const attributes = [...new Set(scope.attributes.map((a) => checkAttributeName(a)))];
  await inTransaction(db, async (trx) => {
    const org = await findOrganizationById(trx, orgId);
    if (org === undefined) throw new NotFoundError('organization', orgId);
    const settings = { ...org.settings, customScopes: { ...org.settings.customScopes, [name]: { description, attributes } } };
    const now = Math.max(clock(), org.updatedAt + 1);
    if (!(await updateSettings(trx, orgId, serializeSettings(settings), org.updatedAt, now))) {
      throw new ConflictError('settings', 'the organization was changed at the same time; retry');
    }
  });
}
