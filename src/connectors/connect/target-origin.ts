/**
 * The origin of `target` when it is one of `allowed`, else null. The seed's targetOrigin is "a
 * URL to redirect the user to … or the origin of another window": either way, only its origin is
 * judged, and it must be exactly one of the org's connect target origins (a URL with user info,
 * or of another scheme, never is).
 */
export function allowedTarget(target: string, allowed: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  return allowed.includes(url.origin) ? url.origin : null;
}
