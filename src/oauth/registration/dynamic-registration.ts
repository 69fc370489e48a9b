import type { ClientStatus } from '../../clients/clients.ts';
import type { ClientType } from '../../clients/client.ts';
import { MAX_REQUESTED_REDIRECT_URIS, type RegisteredClient, type RegistrationRequestInput } from '../../clients/registration.ts';
import { InvalidInputsError, type InvalidInputError } from '../../lib/errors.ts';
import { secretMatchesHash } from '../../lib/secrets.ts';
import type { Organization } from '../../orgs/organization.ts';
import { InvalidClientMetadata, InvalidRedirectUri, type OAuthError } from '../errors.ts';

/*
 * RFC 7591, dynamic client registration: its metadata read into a registration request of
 * clients/registration.ts, that capability's refusals said in RFC 7591 §3.2.2 terms, and the
 * client information response. Whether the organization takes requests, and what a request may
 * ask for, are the clients capability's rules; this file only translates.
 */

/** What a registration request that is not a JSON object is told (RFC 7591 §3.1). */
export const CLIENT_METADATA_AS_JSON = 'Send the client metadata as a JSON object (application/json, RFC 7591 section 3.1).';

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
type AuthMethod = (typeof AUTH_METHODS)[number];

/** A registration request (RFC 7591 §2) parsed into ours, with the auth method the client chose. */
export interface ParsedClientMetadata {
  readonly request: RegistrationRequestInput;
  readonly tokenEndpointAuthMethod: AuthMethod;
}

function stringArray(metadata: Record<string, unknown>, name: string): string[] | undefined {
  const value = metadata[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw new InvalidClientMetadata(`${name} must be an array of strings.`);
  return value;
}

/** A JSON object (RFC 7591 §3.1: the metadata is one), not an array, nor a form parsed into a Map. */
function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);
}

function isAuthMethod(value: string): value is AuthMethod {
  return AUTH_METHODS.some((method) => method === value);
}

function optionalString(metadata: Record<string, unknown>, name: string): string | undefined {
  const value = metadata[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidClientMetadata(`${name} must be a string.`);
  return value;
}

/**
 * Reads RFC 7591 §2 client metadata. Fields we do not know are ignored (§2: "The authorization
 * server MUST ignore any client metadata sent by the client that it does not understand");
 * fields we know but cannot honour (another auth method, response type or signing algorithm)
 * are refused with invalid_client_metadata. `client_name` is required: staff approve each
 * request by name. The first of `contacts` is kept as the requester's email.
 */
export function parseClientMetadata(body: unknown): ParsedClientMetadata {
  if (!isJsonObject(body)) throw new InvalidClientMetadata(CLIENT_METADATA_AS_JSON);
  const metadata = body;
  const method = optionalString(metadata, 'token_endpoint_auth_method') ?? 'client_secret_basic';
  if (!isAuthMethod(method)) throw new InvalidClientMetadata(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}.`);
  const clientType: ClientType = method === 'none' ? 'public' : 'confidential';
  // §2: "If omitted, the default behavior is that the client will use only the authorization_code Grant Type."
  const grantTypes = stringArray(metadata, 'grant_types') ?? ['authorization_code'];
  const responseTypes = stringArray(metadata, 'response_types');
  if (responseTypes !== undefined && responseTypes.some((t) => t !== 'code')) throw new InvalidClientMetadata('response_types may only contain code.');
  // §2.1: the code response type and the authorization_code grant go together.
  if ((responseTypes ?? []).includes('code') && !grantTypes.includes('authorization_code')) {
    throw new InvalidClientMetadata('response_types code needs the authorization_code grant type.');
  }
  const name = optionalString(metadata, 'client_name');
  if (name === undefined || name.trim() === '') throw new InvalidClientMetadata('client_name is required: the organization approves each registration by name.');
  const alg = optionalString(metadata, 'id_token_signed_response_alg');
  if (alg !== undefined && alg !== 'ES256' && alg !== 'RS256') throw new InvalidClientMetadata('id_token_signed_response_alg must be ES256 or RS256.');
  for (const unsupported of ['jwks', 'jwks_uri', 'request_uris', 'sector_identifier_uri']) {
    if (metadata[unsupported] !== undefined) throw new InvalidClientMetadata(`${unsupported} is not supported.`);
  }
  const contacts = stringArray(metadata, 'contacts');
  const scope = optionalString(metadata, 'scope');
  const postLogoutRedirectUris = stringArray(metadata, 'post_logout_redirect_uris');
  return {
    tokenEndpointAuthMethod: method,
    request: {
      source: 'dynamic',
      name,
      clientType,
      redirectUris: stringArray(metadata, 'redirect_uris') ?? [],
      grantTypes,
      ...(postLogoutRedirectUris === undefined ? {} : { postLogoutRedirectUris }),
      ...(scope === undefined ? {} : { scope }),
      ...(alg === undefined ? {} : { idTokenSignedResponseAlg: alg }),
      requesterName: null,
      requesterEmail: contacts?.[0] ?? null,
      requestReason: null,
    },
  };
}

/**
 * What each metadata field must be, as RFC 7591 errors say it. The domain's messages quote the
 * value sent (a URI, a scope, a grant type), which an `error_description` must never carry
 * (RFC 6749 §5.2: the request's text reflected into a protocol response), so the description
 * names the field and its rules; the log names the field only (asRegistrationError).
 */
const REGISTRATION_RULES: ReadonlyMap<string, string> = new Map([
  [
    'redirect_uris',
    `give 1 to ${MAX_REQUESTED_REDIRECT_URIS} absolute URIs (none for a client_credentials-only client), each at most 2000 characters, exactly as they will be sent: https, http only on 127.0.0.1, [::1] or localhost, or (with token_endpoint_auth_method none) a reverse-domain private-use scheme; no fragment, user info, white space or wildcard.`,
  ],
  ['post_logout_redirect_uris', `at most ${MAX_REQUESTED_REDIRECT_URIS} URIs, each following the rules of redirect_uris.`],
  ['client_name', 'must be 1 to 200 characters, without control characters.'],
  ['contacts', 'the first entry must be an email address.'],
  [
    'scope',
    'ask only for scopes this organization offers (scopes_supported in its discovery document), separated by spaces; a client using client_credentials needs a scope of its own besides openid, profile, email, address, phone and offline_access, which its tokens never carry.',
  ],
  ['grant_types', 'use authorization_code, refresh_token (only with authorization_code) or client_credentials (not with token_endpoint_auth_method none).'],
]);

/**
 * A domain error of a registration request in RFC 7591 §3.2.2 terms: every field refused named
 * once with its rules, its value never echoed; the error code is the first field's
 * (invalid_redirect_uri for a redirect URI, else invalid_client_metadata). The logged detail
 * names the fields and nothing else: the domain's messages quote what was sent (the email a
 * person typed, a URI), which is personal data and not the log's to keep, and would let a
 * registrant write what they like into it.
 */
export function asRegistrationError(error: InvalidInputError): OAuthError {
  const errors = error instanceof InvalidInputsError ? error.errors : [error];
  const fields = [...new Set(errors.map((e) => (e.field === 'requester_email' ? 'contacts' : e.field === 'name' ? 'client_name' : e.field)))];
  const description = fields.map((field) => `${field}: ${REGISTRATION_RULES.get(field) ?? 'the value is not acceptable.'}`).join(' ');
  const detail = `refused metadata: ${fields.join(', ')}`;
  if (fields[0] === 'redirect_uris' || fields[0] === 'post_logout_redirect_uris') return new InvalidRedirectUri(description, detail);
  return new InvalidClientMetadata(description, detail);
}

/**
 * What a client's status means to its developer, as the registration response says it. RFC 7591
 * has no member for it; §3.2.1 allows extension members, and without one a client_id and secret
 * look usable while every request with them is refused until staff approve.
 */
const STATUS_DESCRIPTIONS: ReadonlyMap<ClientStatus, string> = new Map([
  ['pending', 'Awaiting approval: the organization reviews every registration. Until it approves this one, the client cannot start a sign-in nor get tokens (invalid_client).'],
  ['active', 'Active: the client can be used now.'],
  ['rejected', 'Rejected by the organization: the client cannot be used.'],
  ['suspended', 'Suspended by the organization: the client cannot be used.'],
]);

/**
 * RFC 7591 §3.2.1: the client information response, echoing the registered metadata, with two
 * extension members: `status` (`pending` until staff approve, then `active`) and
 * `status_description`, the same in words.
 */
export function clientInformationResponse(registered: RegisteredClient, tokenEndpointAuthMethod: AuthMethod): Record<string, unknown> {
  const { client, clientSecret } = registered;
  return {
    client_id: client.clientId,
    status: client.status,
    status_description: STATUS_DESCRIPTIONS.get(client.status),
    ...(clientSecret === null ? {} : { client_secret: clientSecret, client_secret_expires_at: 0 }),
    client_id_issued_at: Math.floor(client.createdAt / 1000),
    client_name: client.name,
    redirect_uris: client.redirectUris,
    ...(client.postLogoutRedirectUris.length === 0 ? {} : { post_logout_redirect_uris: client.postLogoutRedirectUris }),
    grant_types: client.grantTypes,
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: tokenEndpointAuthMethod,
    scope: client.scope,
    id_token_signed_response_alg: client.idTokenSignedResponseAlg,
    ...(client.requesterEmail === null ? {} : { contacts: [client.requesterEmail] }),
  };
}

/**
 * RFC 7591 §3: when the organization set an initial access token, a request must carry it as
 * a Bearer token; compared by its SHA-256 in constant time. True when none is required.
 */
export function initialAccessTokenMatches(org: Organization, authorization: string | undefined): boolean {
  const expected = org.settings.registrationInitialAccessTokenHash;
  if (expected === null) return true;
  const presented = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization ?? '')?.[1];
  return presented !== undefined && secretMatchesHash(presented, expected);
}
