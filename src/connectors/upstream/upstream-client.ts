import { encodeBasicCredentials } from '../../lib/basic-credentials.ts';
import type { Clock } from '../../lib/clock.ts';
import { systemClock } from '../../lib/clock.ts';
import { AuthorizationRequestError } from '../catalogue/catalogue-errors.ts';
import { issuerUrl, refreshUrl, tokenUrl } from '../catalogue/endpoints.ts';
import type { ConnectionConfig, OAuthSettings, Provider } from '../catalogue/provider.ts';
import type { OutboundClient } from '../../outbound/outbound-client.ts';
import type { DiscoveredEndpoints, Discovery } from './discovery.ts';
import { createDiscovery } from './discovery.ts';
import type { HeldCredentials } from './read-tokens.ts';
import { readTokens } from './read-tokens.ts';
import type { UpstreamCall } from './upstream-answer.ts';
import { sendUpstream, tokenEndpointAnswer } from './upstream-answer.ts';
import type { UpstreamOperation } from './upstream-errors.ts';
import type { UpstreamTokens } from './upstream-tokens.ts';

/** The app's credentials at the provider: the app connector's, or a connection's own (ClientId / ClientSecret). */
export interface AppCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface CodeExchange {
  readonly provider: Provider;
  readonly client: AppCredentials;
  /** The `code` of the provider's redirect back. */
  readonly code: string;
  /** The PKCE verifier of this attempt; required when the entry has PKCE on, not sent otherwise. */
  readonly codeVerifier?: string;
  /** Exactly the redirect_uri of the authorization request (RFC 6749 §4.1.3). */
  readonly redirectUri: string;
  readonly config: ConnectionConfig;
  /** Kept metadata the redirect back carried (`realmId`); the token response's is added over it. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface TokenRefresh {
  readonly provider: Provider;
  readonly client: AppCredentials;
  readonly refreshToken: string;
  /** The held refresh token's expiry, kept when the provider returns no new refresh token. */
  readonly refreshExpiresAt?: number | null;
  readonly config: ConnectionConfig;
  /** The metadata held; kept where the answer gives no new value. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ClientCredentialsGrant {
  readonly provider: Provider;
  readonly client: AppCredentials;
  /** Sent joined by the entry's separator; the entry's default scopes when absent, no `scope` when empty. */
  readonly scopes?: readonly string[];
  readonly config: ConnectionConfig;
}

export interface UpstreamClientOptions {
  readonly outbound: OutboundClient;
  /** http: issuers and endpoints (OUTBOUND_ALLOW_PRIVATE_NETWORK); the outbound client must allow them too. */
  readonly allowHttp?: boolean;
  /** Default: one of its own over `outbound`, keeping documents an hour. */
  readonly discovery?: Discovery;
  readonly clock?: Clock;
}

/**
 * Gatehouse as an OAuth client of a provider: the calls the connect flow and the credentials
 * endpoint make, built and read as the catalogue entry says. Each resolves to UpstreamTokens or
 * fails with an UpstreamError (rejected, unavailable, misconfigured); a connection's config that
 * cannot render the entry's URLs fails with the catalogue's MissingTemplateValueError or
 * InvalidTemplateValueError, naming the field.
 */
export interface UpstreamClient {
  /** The endpoints of an entry whose endpoints are discovered (`openid-connect`, `gatehouse`, Okta…), from the connection's issuer. */
  discover(provider: Provider, config: ConnectionConfig): Promise<DiscoveredEndpoints>;
  /** RFC 6749 §4.1.3 (with RFC 7636 §4.5's verifier). */
  exchangeCode(exchange: CodeExchange): Promise<UpstreamTokens>;
  /** RFC 6749 §6. The refresh token given is in the result when the provider returns none. */
  refresh(refresh: TokenRefresh): Promise<UpstreamTokens>;
  /** RFC 6749 §4.4, for `oauth2_client_credentials` entries. */
  clientCredentials(grant: ClientCredentialsGrant): Promise<UpstreamTokens>;
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const clock = options.clock ?? systemClock;
  const allowHttp = options.allowHttp ?? false;
  const discovery = options.discovery ?? createDiscovery({ outbound: options.outbound, allowHttp, clock });
  const callOf = (provider: Provider, operation: UpstreamOperation): UpstreamCall => ({ provider: provider.id, operation, outbound: options.outbound, clock });

  const discover = (provider: Provider, config: ConnectionConfig): Promise<DiscoveredEndpoints> =>
    discovery.discover(issuerUrl(provider, config, { allowHttp }), provider.id);

  /** The token (or refresh) endpoint: the entry's template rendered, or the discovered one. */
  const endpoint = async (provider: Provider, config: ConnectionConfig, purpose: 'token' | 'refresh'): Promise<string> => {
    const rendered = purpose === 'token' ? tokenUrl(provider, config, { allowHttp }) : refreshUrl(provider, config, { allowHttp });
    return rendered ?? (await discover(provider, config)).tokenEndpoint;
  };

  const requestTokens = async (
    call: UpstreamCall,
    provider: Provider,
    request: { readonly url: string; readonly client: AppCredentials; readonly params: Readonly<Record<string, string>>; readonly held?: HeldCredentials; readonly metadata?: Readonly<Record<string, string>> },
  ): Promise<UpstreamTokens> => {
    const oauth = provider.oauth!;
    const { headers, body } = tokenRequest(oauth, request.client, request.params);
    const response = await sendUpstream(call, { method: 'POST', url: request.url, headers, body });
    const sent = [request.client.clientSecret, ...['code', 'refresh_token', 'code_verifier'].flatMap((name) => request.params[name] ?? [])];
    const answer = tokenEndpointAnswer(call, response, { errorsWithHttp200: oauth.tokenResponse.errorsWithHttp200, tokenPath: oauth.tokenResponse.accessTokenPath, sent });
    return readTokens(call, provider, answer, { held: request.held, metadata: request.metadata });
  };

  return {
    discover,

    async exchangeCode(exchange) {
      const { provider } = exchange;
      const oauth = oauthOf(provider, ['oauth2']);
      if (oauth.pkce && exchange.codeVerifier === undefined) throw new AuthorizationRequestError(provider.id, 'PKCE is on for this provider and no code verifier was given');
      const params: Record<string, string> = {
        ...oauth.tokenParams,
        grant_type: 'authorization_code',
        code: exchange.code,
        redirect_uri: exchange.redirectUri,
      };
      if (oauth.pkce) params['code_verifier'] = exchange.codeVerifier!;
      const url = await endpoint(provider, exchange.config, 'token');
      return requestTokens(callOf(provider, 'code_exchange'), provider, { url, client: exchange.client, params, metadata: exchange.metadata });
    },

    async refresh(refresh) {
      const { provider } = refresh;
      const oauth = oauthOf(provider, ['oauth2', 'oauth2_client_credentials']);
      const params = { ...oauth.refreshParams, grant_type: 'refresh_token', refresh_token: refresh.refreshToken };
      const url = await endpoint(provider, refresh.config, 'refresh');
      const held = { refreshToken: refresh.refreshToken, refreshExpiresAt: refresh.refreshExpiresAt ?? null };
      return requestTokens(callOf(provider, 'refresh'), provider, { url, client: refresh.client, params, held, metadata: refresh.metadata });
    },

    async clientCredentials(grant) {
      const { provider } = grant;
      const oauth = oauthOf(provider, ['oauth2_client_credentials']);
      const scopes = grant.scopes ?? oauth.defaultScopes;
      const params: Record<string, string> = { ...oauth.tokenParams, grant_type: 'client_credentials' };
      if (scopes.length > 0) params['scope'] = scopes.join(oauth.scopeSeparator);
      const url = await endpoint(provider, grant.config, 'token');
      return requestTokens(callOf(provider, 'client_credentials'), provider, { url, client: grant.client, params });
    },
  };
}

function oauthOf(provider: Provider, modes: readonly Provider['authMode'][]): OAuthSettings {
  if (!modes.includes(provider.authMode) || provider.oauth === null) throw new AuthorizationRequestError(provider.id, `auth_mode ${provider.authMode} has no such token request`);
  return provider.oauth;
}

/**
 * The token request's headers and body: the client authenticated as the entry says (HTTP Basic
 * with RFC 6749 §2.3.1's encoding, or client_id and client_secret in the body), the parameters
 * as a form or, for the providers that want it, a JSON object.
 */
export function tokenRequest(
  oauth: OAuthSettings,
  client: AppCredentials,
  params: Readonly<Record<string, string>>,
): { readonly headers: Record<string, string>; readonly body: { readonly form: Record<string, string> } | { readonly json: Record<string, string> } } {
  const headers: Record<string, string> = {};
  const fields: Record<string, string> = { ...params };
  if (oauth.clientAuthentication === 'client_secret_basic') {
    headers['authorization'] = encodeBasicCredentials(client.clientId, client.clientSecret);
  } else {
    fields['client_id'] = client.clientId;
    fields['client_secret'] = client.clientSecret;
  }
  return { headers, body: oauth.tokenBodyFormat === 'json' ? { json: fields } : { form: fields } };
}
