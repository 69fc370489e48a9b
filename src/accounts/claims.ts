import type { CustomScope } from '../orgs/settings.ts';
import type { Constituent } from './constituent.ts';

/**
 * The claims a constituent releases for the granted scopes (OpenID Connect Core §5.4), plus
 * attributes released by the org's custom scopes. `sub` is always there: it is the account ID.
 */
export function claimsForScopes(
  constituent: Constituent,
  scopes: readonly string[],
  customScopes: Readonly<Record<string, CustomScope>>,
): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: constituent.accountId };
  const granted = new Set(scopes);
  if (granted.has('profile')) {
    claims.preferred_username = constituent.loginName;
    if (constituent.displayName !== null) claims.name = constituent.displayName;
    if (constituent.pictureUrl !== null) claims.picture = constituent.pictureUrl;
    claims.updated_at = Math.floor(constituent.updatedAt / 1000);
  }
  if (granted.has('email') && constituent.email !== null) {
    claims.email = constituent.email;
    claims.email_verified = constituent.emailVerified;
  }
  for (const scope of scopes) {
    // An own property only: scope names are the org's and the client's words, and a plain-object
    // lookup of `constructor` or `toString` finds Object.prototype's (regression: a 500 at userinfo).
    if (!Object.hasOwn(customScopes, scope)) continue;
    const custom = customScopes[scope]!;
    for (const attribute of custom.attributes) {
      if (Object.hasOwn(constituent.attributes, attribute) && !Object.hasOwn(claims, attribute)) claims[attribute] = constituent.attributes[attribute];
    }
  }
  return claims;
}
