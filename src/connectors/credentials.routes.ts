import { Type } from '@sinclair/typebox';
import { apiRoute, upstreamOperationOf, type ApiRoute } from '../api/management-api.ts';
import { ApiRequestError } from '../api/guards.ts';
import { readCredentials, type ConnectorCredentials } from './credentials-admin.ts';
import { CredentialsError, CredentialsUnavailableError, VaultUnavailableError } from './credentials-errors.ts';

// GET /api/v2/account-connectors/{id}/credentials: what the org's backend calls the provider's API
// with. The one read of the API that returns a secret; the refresh token never leaves the hub
// (a backend refreshing on its own would spend a rotated token behind the hub's back).

const iso = (ms: number): string => new Date(ms).toISOString();

const OAuthCredentialsBody = Type.Object({
  auth_mode: Type.Union([Type.Literal('oauth2'), Type.Literal('oauth2_client_credentials')]),
  access_token: Type.String(),
  token_type: Type.String(),
  /** Null for a token that does not expire (or whose lifetime the provider did not say). */
  expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  /** What the provider's token response carried that calls need (`instance_url`, …). */
  metadata: Type.Record(Type.String(), Type.String()),
});
const ApiKeyCredentialsBody = Type.Object({ auth_mode: Type.Literal('api_key'), api_key: Type.String() });
const BasicCredentialsBody = Type.Object({ auth_mode: Type.Literal('basic'), username: Type.String(), password: Type.String() });

function credentialsBody(credentials: ConnectorCredentials) {
  switch (credentials.authMode) {
    case 'api_key':
      return { auth_mode: credentials.authMode, api_key: credentials.apiKey };
    case 'basic':
      return { auth_mode: credentials.authMode, username: credentials.username, password: credentials.password };
    default:
      return {
        auth_mode: credentials.authMode,
        access_token: credentials.accessToken,
        token_type: credentials.tokenType,
        expires_at: credentials.expiresAt === null ? null : iso(credentials.expiresAt),
        metadata: { ...credentials.metadata },
      };
  }
}

/**
 * The credentials endpoint's refusals: 409 for a connector whose state stands in the way (not
 * authenticated, needs_reauth, misconfigured: a person must act, retrying will not help), 503
 * with Retry-After when the provider is unreachable or failing (RFC 9110 §15.6.4).
 */
function apiErrorOf(error: CredentialsError): ApiRequestError {
  // The server's configuration, not the connector's state: a 500 that says so.
  if (error instanceof VaultUnavailableError) return new ApiRequestError(500, error.code, `The connector vault cannot be opened: ${error.message}.`);
  if (error instanceof CredentialsUnavailableError) return new ApiRequestError(503, error.code, `The provider is unavailable: ${error.message}. Retry later.`, { retryAfterSeconds: error.retryAfterSeconds });
  return new ApiRequestError(409, error.code, `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`);
}

export const CREDENTIALS_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'GET',
    url: '/account-connectors/:account_connector_id/credentials',
    // connectors:write, not read: this hands out a secret, and read-only staff must not get one.
    permission: 'connectors:write',
    summary:
      'The account connector\'s credentials for calling the provider: a valid access token (refreshed first when it expires within a minute, once however many requests ask), or for api_key and basic connectors the stored api_key or username and password. Audited.',
    tag: 'connectors',
    schema: {
      params: Type.Object({ account_connector_id: Type.String({ maxLength: 100 }) }),
      response: { 200: Type.Union([OAuthCredentialsBody, ApiKeyCredentialsBody, BasicCredentialsBody]) },
    },
    async handler(call) {
      try {
        return { body: credentialsBody(await readCredentials(upstreamOperationOf(call), call.params.account_connector_id)) };
      } catch (error) {
        throw error instanceof CredentialsError ? apiErrorOf(error) : error;
      }
    },
  }),
];
