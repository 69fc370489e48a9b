import { DYNAMIC_REGISTRATION_PATH } from '../../clients/registration.ts';
import type { Organization } from '../../orgs/organization.ts';
import { OAUTH_PATHS } from '../endpoints.ts';

const STANDARD_SCOPES = ['openid', 'profile', 'email'];
const STANDARD_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'sid', 'preferred_username', 'name', 'picture', 'updated_at', 'email', 'email_verified'];

/**
 * The provider metadata of one organization: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2
 * (the same document serves both; RFC 8414 §3.3 requires `issuer` to be identical to the
 * issuer it was fetched for). Pure: callers cache the serialized result.
 */
export function discoveryDocument(issuer: string, org: Organization): Record<string, unknown> {
  const endpoint = (path: string): string => issuer + path;
  const customScopes = Object.keys(org.settings.customScopes);
  const customClaims = Object.values(org.settings.customScopes).flatMap((s) => s.attributes);
  return {
    issuer,
    authorization_endpoint: endpoint(OAUTH_PATHS.authorization),
    token_endpoint: endpoint(OAUTH_PATHS.token),
    userinfo_endpoint: endpoint(OAUTH_PATHS.userinfo),
    jwks_uri: endpoint(OAUTH_PATHS.jwks),
    end_session_endpoint: endpoint(OAUTH_PATHS.endSession),
    introspection_endpoint: endpoint(OAUTH_PATHS.introspection),
    revocation_endpoint: endpoint(OAUTH_PATHS.revocation),
    // RFC 7591 §3 / RFC 8414 §2: advertised only while the organization takes registration requests.
    ...(org.settings.clientRegistration === 'approval' ? { registration_endpoint: endpoint(DYNAMIC_REGISTRATION_PATH) } : {}),
    scopes_supported: [...STANDARD_SCOPES, ...customScopes],
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'form_post'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256', 'RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    code_challenge_methods_supported: ['S256'],
    // OIDC Discovery §3: the claims an ID token or userinfo can carry. account_id is neither (only
    // the token response and introspection carry it).
    claims_supported: [...new Set([...STANDARD_CLAIMS, ...customClaims])],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    // RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    service_documentation: `${issuer}/widget.js`,
  };
}
