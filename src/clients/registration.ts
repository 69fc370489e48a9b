import { checkDisplayName, checkEmail } from '../lib/text-rules.ts';
import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { collectInvalid, InvalidInputError, InvalidInputsError, NotFoundError, throwIfInvalid } from '../lib/errors.ts';
import { secretMatchesHash } from '../lib/secrets.ts';
import { splitScope } from '../lib/scope.ts';
import { OAuthError } from '../oauth/errors.ts';
import type { Organization } from '../orgs/organization.ts';
import { createClient, DEFAULT_CLIENT_SCOPE, findClient, newClientErrors, type Client, type ClientStatus, type NewClient, type RegistrationSource } from './clients.ts';
import type { ClientType } from './client.ts';

/** The registration page of an organization, relative to its issuer. */
export const REGISTRATION_PAGE_PATH = '/register';
/** The RFC 7591 client registration endpoint, relative to the issuer (advertised as `registration_endpoint`). */
export const DYNAMIC_REGISTRATION_PATH = '/connect/register';

/** Most redirect URIs (and post-logout redirect URIs) one registration request may ask for; staff can add more later. */
export const MAX_REQUESTED_REDIRECT_URIS = 10;
export const MAX_REQUEST_REASON_LENGTH = 1000;
/** The scopes every organization offers; a request may ask for these and the org's custom scopes. */
const STANDARD_SCOPES = ['openid', 'profile', 'email'];

/** What someone outside the organization asks for. Checked like any client, then kept `pending`. */
export interface RegistrationRequestInput {
  readonly source: Exclude<RegistrationSource, 'staff'>;
  readonly name: string;
  readonly clientType: ClientType;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  /** Default: the code flow with refresh tokens. */
  readonly grantTypes?: readonly string[];
  readonly scope?: string;
  readonly idTokenSignedResponseAlg?: 'ES256' | 'RS256';
  readonly requesterName: string | null;
  readonly requesterEmail: string | null;
  readonly requestReason: string | null;
}

export interface RegisteredClient {
  readonly client: Client;
  /** Shown once; it works only after approval. Null for public clients. */
  readonly clientSecret: string | null;
}

/** True when the organization takes registration requests (its `client_registration` is `approval`). */
export function isRegistrationOpen(org: Organization): boolean {
  return org.settings.clientRegistration === 'approval';
}

/**
 * Records a registration request: a client in status `pending`, with who asked and why, that
 * cannot sign anyone in nor get a token until staff approve it. It always asks constituents
 * for consent (a third party's app), and may only ask for scopes the organization offers.
 * NotFoundError when the organization does not take requests.
 */
export async function requestClientRegistration(db: Executor, clock: Clock, org: Organization, input: RegistrationRequestInput): Promise<RegisteredClient> {
  if (!isRegistrationOpen(org)) throw new NotFoundError('client registration', org.slug);
  // Every bad field at once, the request's and the client's (InvalidInputsError), not the first.
  const errors: InvalidInputError[] = [];
  const requesterName = input.requesterName === null ? null : (collectInvalid(errors, () => checkDisplayName(input.requesterName!, 'requester_name')) ?? null);
  const requesterEmail = input.requesterEmail === null ? null : (collectInvalid(errors, () => checkEmail(input.requesterEmail!, 'requester_email')) ?? null);
  const requestReason = input.requestReason?.trim() || null;
  if (requestReason !== null && [...requestReason].length > MAX_REQUEST_REASON_LENGTH) {
    errors.push(new InvalidInputError('request_reason', `must be at most ${MAX_REQUEST_REASON_LENGTH} characters`));
  }
  const offered = new Set([...STANDARD_SCOPES, ...Object.keys(org.settings.customScopes)]);
  const scope = input.scope ?? DEFAULT_CLIENT_SCOPE;
  const unknown = splitScope(scope).filter((s) => !offered.has(s));
  if (unknown.length > 0) {
    const rule = `ask only for scopes ${org.name} offers: ${[...offered].join(', ')}`;
    errors.push(new InvalidInputError('scope', `'${unknown[0]!.slice(0, 64)}' is not a scope ${org.name} offers; use ${[...offered].join(', ')}`, { rule }));
  }
  const client: NewClient = {
    name: input.name,
    clientType: input.clientType,
    redirectUris: input.redirectUris,
    postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
    grantTypes: input.grantTypes,
    scope,
    consentRequired: true,
    idTokenSignedResponseAlg: input.idTokenSignedResponseAlg,
    registration: { source: input.source, requesterName, requesterEmail, requestReason },
  };
  // A list over the request's limit is refused by its count, its items unjudged (checkRedirectUris).
  throwIfInvalid([...errors, ...newClientErrors(client, { maxUris: MAX_REQUESTED_REDIRECT_URIS })]);
  return inTransaction(db, async (trx) => {
    const created = await createClient(trx, clock, org.id, client);
    return { client: (await findClient(trx, org.id, created.clientId))!, clientSecret: created.clientSecret };
  });
}

/** The registration form's fields, as typed (redirect URIs one per line). */
export interface RegistrationForm {
  readonly appName: string;
  readonly redirectUris: string;
  readonly clientType: string;
  readonly requesterName: string;
  readonly requesterEmail: string;
  readonly requestReason: string;
}

/** The registration page's request: every field required (each missing one named); redirect URIs one per line. */
export function registrationRequestFromForm(form: RegistrationForm): RegistrationRequestInput {
  const errors: InvalidInputError[] = [];
  if (form.appName.trim() === '') errors.push(new InvalidInputError('name', 'is required'));
  const redirectUris = form.redirectUris.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  if (redirectUris.length === 0) errors.push(new InvalidInputError('redirect_uris', 'at least one redirect URI is required'));
  const clientType = form.clientType === 'confidential' || form.clientType === 'public' ? form.clientType : undefined;
  if (clientType === undefined) errors.push(new InvalidInputError('client_type', 'choose the kind of application'));
  if (form.requesterName.trim() === '') errors.push(new InvalidInputError('requester_name', 'is required'));
  if (form.requesterEmail.trim() === '') errors.push(new InvalidInputError('requester_email', 'is required'));
  if (form.requestReason.trim() === '') errors.push(new InvalidInputError('request_reason', 'is required: tell the organization what the application does'));
  throwIfInvalid(errors);
  return {
    source: 'registration_page',
    name: form.appName,
    clientType: clientType!,
    redirectUris,
    requesterName: form.requesterName,
    requesterEmail: form.requesterEmail,
    requestReason: form.requestReason,
  };
}

// RFC 7591 §3.2.2 error codes. Defined here, beside the one endpoint that answers them.

/** RFC 7591 §3.2.2: a redirect URI is invalid. */
export class InvalidRedirectUri extends OAuthError {
  readonly error = 'invalid_redirect_uri';
}

/** RFC 7591 §3.2.2: a metadata field is invalid, or the server refuses it. */
export class InvalidClientMetadata extends OAuthError {
  readonly error = 'invalid_client_metadata';
}

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
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new InvalidClientMetadata(`${name} must be an array of strings.`);
  return value as string[];
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
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Map) {
    throw new InvalidClientMetadata('Send the client metadata as a JSON object (application/json, RFC 7591 section 3.1).');
  }
  const metadata = body as Record<string, unknown>;
  const method = optionalString(metadata, 'token_endpoint_auth_method') ?? 'client_secret_basic';
  if (!(AUTH_METHODS as readonly string[]).includes(method)) throw new InvalidClientMetadata(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}.`);
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
    tokenEndpointAuthMethod: method as AuthMethod,
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
