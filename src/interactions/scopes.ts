/** A scope as the consent page shows it. */
export interface ScopeDescription {
  readonly name: string;
  readonly description: string;
}

// The standard scopes (OpenID Connect Core §5.4, §11) in words a member understands.
const STANDARD_SCOPES: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are (your account ID)',
  profile: 'Your name, login name and profile picture',
  email: 'Your email address and whether it is verified',
  offline_access: 'Stay connected when you are not using the app',
};

/**
 * Plain-word descriptions of the requested scopes, in request order, each once. Standard scopes
 * keep their fixed wording; others use the organization's description or a generic one.
 */
export function describeScopes(
  scopes: readonly string[],
  custom: Readonly<Record<string, { readonly description?: string }>>,
): ScopeDescription[] {
  return [...new Set(scopes)].map((name) => {
    const standard = Object.hasOwn(STANDARD_SCOPES, name) ? STANDARD_SCOPES[name] : undefined;
    const own = Object.hasOwn(custom, name) ? custom[name]?.description?.trim() : undefined;
    return { name, description: standard ?? (own || `Access to '${name}' information`) };
  });
}
