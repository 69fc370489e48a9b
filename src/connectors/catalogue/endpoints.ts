import { AuthorizationRequestError } from './catalogue-errors.ts';
import type { ConnectionConfig, Provider } from './provider.ts';
import { renderUrlTemplate, type ValueCheckOptions } from './templates.ts';

// The provider's other URLs, rendered from a connection's config (and, for the API base, what
// the flow kept). Every one is https unless options.allowHttp; whether its host is a public
// address is checked by the outbound module when it calls it.

/** The issuer to discover from (`{issuer}/.well-known/openid-configuration`), for an entry with one. */
export function issuerUrl(provider: Provider, config: ConnectionConfig, options: ValueCheckOptions = {}): string {
  const endpoints = provider.oauth?.endpoints;
  if (endpoints?.kind !== 'discovered') throw new AuthorizationRequestError(provider.id, 'has no issuer: its endpoints are fixed');
  return renderUrlTemplate(provider, endpoints.issuer, { config }, options);
}

/** The token endpoint for the code exchange or client credentials; null when it is discovered. */
export function tokenUrl(provider: Provider, config: ConnectionConfig, options: ValueCheckOptions = {}): string | null {
  const endpoints = oauthEndpoints(provider);
  return endpoints.kind === 'templated' ? renderUrlTemplate(provider, endpoints.tokenUrl, { config }, options) : null;
}

/** The endpoint for refreshing (the token endpoint unless the entry says otherwise); null when it is discovered. */
export function refreshUrl(provider: Provider, config: ConnectionConfig, options: ValueCheckOptions = {}): string | null {
  const endpoints = oauthEndpoints(provider);
  return endpoints.kind === 'templated' ? renderUrlTemplate(provider, endpoints.refreshUrl, { config }, options) : null;
}

/** The base of API calls made with the credentials, or null when the entry has none. */
export function apiBaseUrl(
  provider: Provider,
  values: { readonly config: ConnectionConfig; readonly metadata?: Readonly<Record<string, string | undefined>> },
  options: ValueCheckOptions = {},
): string | null {
  return provider.apiBaseUrl === null ? null : renderUrlTemplate(provider, provider.apiBaseUrl, values, options);
}

function oauthEndpoints(provider: Provider): NonNullable<Provider['oauth']>['endpoints'] {
  if (provider.oauth === null) throw new AuthorizationRequestError(provider.id, `auth_mode ${provider.authMode} has no token endpoint`);
  return provider.oauth.endpoints;
}
