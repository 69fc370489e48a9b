/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export function isValidScopeToken(token: string): boolean {
  return SCOPE_TOKEN.test(token);
}

/** Scope values split on spaces (RFC 6749 §3.3), in order, without repeats. */
export function splitScope(scope: string | undefined): string[] {
  return scope === undefined ? [] : [...new Set(scope.split(' ').filter((s) => s !== ''))];
}

/** True when every value of `requested` is in `allowed`. */
export function isSubset(requested: readonly string[], allowed: readonly string[]): boolean {
  const set = new Set(allowed);
  return requested.every((s) => set.has(s));
}

/**
 * Scopes that ask for a signed-in person's identity or claims (OIDC Core §3.1.2.1, §5.4, §11):
 * meaningless in a token a client gets for itself (client credentials, RFC 6749 §4.4).
 */
export const USER_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);

/** The scopes of `scope` a client may be granted for itself: all but USER_SCOPES. */
export function serviceScopes(scope: string): string[] {
  return splitScope(scope).filter((s) => !USER_SCOPES.has(s));
}
