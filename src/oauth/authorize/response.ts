import type { OAuthError } from '../errors.ts';
import type { ResponseTarget } from './request.ts';

/**
 * The parameters of an authorization response: the code or the error, `state` when the request
 * had one, and always `iss` (RFC 9207 §2), so a client talking to several issuers can tell which
 * one answered (mix-up defence, RFC 9700 §4.4).
 */
export function authorizationResponseParams(target: ResponseTarget, issuer: string, result: { readonly code: string } | { readonly error: OAuthError }): Record<string, string> {
  const params: Record<string, string> =
    'code' in result ? { code: result.code } : { error: result.error.error, error_description: result.error.description };
  if (target.state !== null) params.state = target.state;
  params.iss = issuer;
  return params;
}

/** The redirect for response_mode=query: the registered URI with the parameters added to its query. */
export function queryResponseLocation(redirectUri: string, params: Readonly<Record<string, string>>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value);
  return url.href;
}
