import type { Provider } from '../catalogue/provider.ts';

// The stored credential, put where the provider expects it on an API call: an OAuth access token
// as `Authorization: <token_type> <token>` (RFC 6750 §2.1), an API key where the catalogue entry
// says (a header with its prefix, or a query parameter), username and password as HTTP Basic
// (RFC 7617: UTF-8, user-id and password joined by a colon, base64).

export interface Injection {
  /** Headers to set (names in lower case), replacing the caller's of the same name. */
  readonly headers: Readonly<Record<string, string>>;
  /** A query parameter to add, replacing the caller's of the same name. */
  readonly query: { readonly name: string; readonly value: string } | undefined;
}

/** What a credential read hands out (credentials-admin.ts's ConnectorCredentials), as far as injecting it goes. */
export type InjectableCredentials =
  | { readonly authMode: 'oauth2' | 'oauth2_client_credentials'; readonly accessToken: string; readonly tokenType: string }
  | { readonly authMode: 'api_key'; readonly apiKey: string }
  | { readonly authMode: 'basic'; readonly username: string; readonly password: string };

export function credentialInjection(provider: Provider, credentials: InjectableCredentials): Injection {
  switch (credentials.authMode) {
    case 'oauth2':
    case 'oauth2_client_credentials':
      return { headers: { authorization: `${authorizationScheme(credentials.tokenType)} ${credentials.accessToken}` }, query: undefined };
    case 'basic':
      return { headers: { authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}` }, query: undefined };
    case 'api_key': {
      // loadCatalogue requires a placement of every api_key entry; the generic one's is a Bearer header.
      const placement = provider.apiKey ?? { in: 'header', name: 'Authorization', prefix: 'Bearer ' };
      const value = `${placement.prefix}${credentials.apiKey}`;
      return placement.in === 'header' ? { headers: { [placement.name.toLowerCase()]: value }, query: undefined } : { headers: {}, query: { name: placement.name, value } };
    }
  }
}

/**
 * The scheme for a token_type: `Bearer` however the provider spelled it (the scheme is
 * case-insensitive, RFC 6750 §1.1 and RFC 9110 §11.1, but some APIs accept only this spelling),
 * another type as given.
 */
function authorizationScheme(tokenType: string): string {
  return tokenType.toLowerCase() === 'bearer' || tokenType === '' ? 'Bearer' : tokenType;
}

/** The query with the injected parameter: the caller's parameters of that name dropped, ours appended (form-encoded, as WHATWG URL writes a query). */
export function withInjectedQuery(rawQuery: string, query: Injection['query']): string {
  if (query === undefined) return rawQuery;
  const kept = rawQuery.split('&').filter((pair) => pair !== '' && decodedName(pair) !== query.name);
  return [...kept, new URLSearchParams({ [query.name]: query.value }).toString()].join('&');
}

function decodedName(pair: string): string | undefined {
  try {
    return decodeURIComponent(pair.split('=', 1)[0]!.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
