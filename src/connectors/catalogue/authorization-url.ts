import { AuthorizationRequestError, UnsafeEndpointError } from './catalogue-errors.ts';
import type { ConnectionConfig, Provider } from './provider.ts';
import { checkRenderedUrl, renderUrlTemplate, type ValueCheckOptions } from './templates.ts';

export interface AuthorizationRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  /** The app connector's scopes; the entry's default scopes when absent. An empty list sends no `scope`. */
  readonly scopes?: readonly string[];
  readonly state: string;
  /** S256 challenge (lib/pkce.ts), required when the entry has PKCE on and ignored otherwise. */
  readonly codeChallenge?: string;
  readonly config: ConnectionConfig;
  /** For an entry with an issuer: the authorization_endpoint its discovery document gave. */
  readonly discoveredAuthorizationEndpoint?: string;
}

/**
 * The URL to send the browser to (RFC 6749 §4.1.1): the entry's authorization endpoint, rendered
 * from the connection's config or taken from discovery, with response_type=code, the client,
 * redirect URI, scope joined by the entry's separator, state, the entry's extra parameters and,
 * when the entry has PKCE on, the S256 challenge (RFC 7636 §4.3).
 */
export function authorizationUrl(provider: Provider, request: AuthorizationRequest, options: ValueCheckOptions = {}): string {
  const oauth = provider.oauth;
  if (provider.authMode !== 'oauth2' || oauth === null) throw new AuthorizationRequestError(provider.id, `auth_mode ${provider.authMode} has no authorization endpoint`);
  const endpoint = authorizationEndpoint(provider, request, options);
  if (oauth.pkce && request.codeChallenge === undefined) throw new AuthorizationRequestError(provider.id, 'PKCE is on for this provider and no code challenge was given');

  const scopes = request.scopes ?? oauth.defaultScopes;
  const params: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', request.clientId],
    ['redirect_uri', request.redirectUri],
  ];
  if (scopes.length > 0) params.push(['scope', scopes.join(oauth.scopeSeparator)]);
  params.push(['state', request.state]);
  if (oauth.pkce) params.push(['code_challenge', request.codeChallenge!], ['code_challenge_method', 'S256']);
  params.push(...Object.entries(oauth.authorizationParams));

  // Encoded by hand, not by URLSearchParams: a space must be %20, not `+`, which some providers
  // read literally inside `scope`.
  const query = params.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  return `${endpoint}${endpoint.includes('?') ? '&' : '?'}${query}`;
}

function authorizationEndpoint(provider: Provider, request: AuthorizationRequest, options: ValueCheckOptions): string {
  const endpoints = provider.oauth!.endpoints;
  if (endpoints.kind === 'templated') {
    // checkEntryRules requires it of every oauth2 entry with fixed endpoints.
    if (endpoints.authorizationUrl === null) throw new AuthorizationRequestError(provider.id, 'the entry has no authorization_url');
    return renderUrlTemplate(provider, endpoints.authorizationUrl, { config: request.config }, options);
  }
  const discovered = request.discoveredAuthorizationEndpoint;
  if (discovered === undefined) throw new AuthorizationRequestError(provider.id, 'its endpoints are discovered from the issuer, and no authorization_endpoint was given');
  const url = checkRenderedUrl(provider.id, 'the discovered authorization_endpoint', discovered, options);
  // RFC 6749 §3.1: the endpoint may carry a query, never a fragment (checkRenderedUrl refused one).
  if (url.includes('#')) throw new UnsafeEndpointError(provider.id, 'the discovered authorization_endpoint', 'has a fragment');
  return url;
}
