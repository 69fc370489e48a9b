import { checkDisplayName } from '../lib/text-rules.ts';
import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { collectInvalid, InvalidInputError, throwIfInvalid } from '../lib/errors.ts';
import { randomBase32, randomBase64url } from '../lib/random.ts';
import { isValidScopeToken, serviceScopes, splitScope, USER_SCOPES } from '../lib/scope.ts';
import { hashSecret } from '../lib/secrets.ts';
import { authNetworkNeedsRecording, withAuthNetwork } from './auth-networks.ts';
import {
  GRANT_TYPES,
  type AccessTokenFormat,
  type CheckedClientSettings,
  type Client,
  type ClientAuthNetworks,
  type ClientSettings,
  type ClientType,
  type GrantType,
  type IdTokenAlg,
  type RegistrationRequest,
} from './client.ts';
import * as repository from './clients.repository.ts';
import { checkRedirectUris } from './redirect-uris.ts';

// The domain's types, for the modules that import them with the functions here.
export { GRANT_TYPES } from './client.ts';
export type {
  AccessTokenFormat,
  CheckedClientSettings,
  Client,
  ClientAuthNetworks,
  ClientSettings,
  ClientStatus,
  ClientType,
  GrantType,
  IdTokenAlg,
  RegistrationRequest,
  RegistrationSource,
} from './client.ts';

export const DEFAULT_GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token'];
export const DEFAULT_CLIENT_SCOPE = 'openid profile email';
/** RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED." */
export const MAX_CODE_TTL_SECONDS = 600;

export interface NewClient {
  readonly name: string;
  readonly clientType: ClientType;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  /** Default `authorization_code refresh_token`. */
  readonly grantTypes?: readonly string[];
  /**
   * Space-separated scopes the client may request. Default `openid profile email`; a client with
   * the client_credentials grant must name one beyond these (checkServiceScope).
   */
  readonly scope?: string;
  /** Whether constituents are asked for consent. Default: the org's `consentRequiredByDefault`. */
  readonly consentRequired: boolean;
  /** Authorization code lifetime for this client (Jadu: 30 s); default the org's. */
  readonly codeTtlSeconds?: number;
  /** ES256 (default) or RS256; anything else is refused. */
  readonly idTokenSignedResponseAlg?: string;
  /** `opaque` (default), or `jwt` for RFC 9068 JWT access tokens; anything else is refused. */
  readonly accessTokenFormat?: string;
  /**
   * Set for a client registered by someone outside the organization (Neos: "registration …
   * with manual approval"): it starts `pending` and works only once staff approve it. Without
   * it the client is created by staff and is `active` at once.
   */
  readonly registration?: RegistrationRequest;
}

export interface CreatedClient {
  readonly clientId: string;
  /** Shown once, stored as its SHA-256; null for public clients. */
  readonly clientSecret: string | null;
}

export function checkScope(raw: string, field = 'scope'): string {
  const tokens = splitScope(raw);
  if (tokens.length === 0) throw new InvalidInputError(field, 'must name at least one scope');
  for (const token of tokens) {
    if (!isValidScopeToken(token)) throw new InvalidInputError(field, `'${token}' is not a valid scope token (RFC 6749 §3.3)`);
  }
  return tokens.join(' ');
}

function checkGrantTypes(raw: readonly string[], clientType: ClientType): GrantType[] {
  const grants = [...new Set(raw)];
  for (const grant of grants) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
      throw new InvalidInputError('grant_types', `'${grant}' is not supported; use ${GRANT_TYPES.join(', ')}`);
    }
  }
  if (grants.length === 0) throw new InvalidInputError('grant_types', 'must name at least one grant type');
  if (grants.includes('refresh_token') && !grants.includes('authorization_code')) {
    throw new InvalidInputError('grant_types', 'refresh_token needs authorization_code: refresh tokens are only issued by the code flow');
  }
  // RFC 6749 §4.4: the client credentials grant is for confidential clients only.
  if (clientType === 'public' && grants.includes('client_credentials')) {
    throw new InvalidInputError('grant_types', 'a public client cannot use client_credentials: it has no credentials');
  }
  return grants as GrantType[];
}

/**
 * The rules every client's metadata follows, at creation and at each update: the name, grant
 * types that fit the client type, redirect URIs (checkRedirectUris: https or loopback, exact,
 * no fragment, no wildcard) exactly when the code flow is used, scope syntax, a scope of its own
 * for a service client (checkServiceScope), code lifetime, and the token formats. Every bad field
 * is named at once (InvalidInputsError), not the first. `judgeServiceScope: false` leaves the
 * service-scope rule out (an update that changes neither grants nor scope, of a client made
 * before the rule).
 */
export function checkClientSettings(input: ClientSettings, clientType: ClientType, options: ClientJudgement = {}): CheckedClientSettings {
  const { errors, checked } = judgeClientSettings(input, clientType, options);
  throwIfInvalid(errors);
  return checked as CheckedClientSettings;
}

/**
 * What checkClientSettings would refuse in the settings known so far: a field left undefined (a
 * request's malformed field, already named by its schema) is not judged, nor any rule that needs
 * it. Without the client type (an update's, in the store; a malformed one), a rule that depends
 * on it names only what it refuses for every type (`nope` as a redirect URI, not
 * `com.example.app:/cb`). So one answer names every bad field of a request, its schema's and
 * these rules' together.
 */
export function clientSettingsErrors(input: Partial<ClientSettings>, clientType: ClientType | undefined, options: ClientJudgement = {}): readonly InvalidInputError[] {
  return judgeClientSettings(input, clientType, options).errors;
}

/** How a use case judges a client's settings beyond the rules every client follows. */
export interface ClientJudgement {
  /** Most URIs in each of redirect_uris and post_logout_redirect_uris; default MAX_CLIENT_URIS (50). A registration request allows fewer. */
  readonly maxUris?: number;
  /** False leaves the service-scope rule out (an update that changes neither grants nor scope, of a client made before the rule). */
  readonly judgeServiceScope?: boolean;
}

/** A new client's settings when left out, as createClient fills them in. */
const NEW_CLIENT_DEFAULTS = {
  redirectUris: [],
  postLogoutRedirectUris: [],
  grantTypes: DEFAULT_GRANT_TYPES,
  scope: DEFAULT_CLIENT_SCOPE,
  codeTtlSeconds: null,
  idTokenSignedResponseAlg: 'ES256',
  accessTokenFormat: 'opaque',
} as const satisfies Omit<ClientSettings, 'name'>;

/**
 * What createClient would refuse of a request's settings before the request is whole: the
 * settings it left out (undefined) take their defaults, as createClient gives them, and those in
 * `unjudged` (a request's malformed fields, already named by its schema) are not judged, nor any
 * rule that needs them; clientSettingsErrors says how an undefined client type is judged.
 */
export function newClientSettingsErrors(given: Partial<ClientSettings>, clientType: ClientType | undefined, unjudged: ReadonlySet<keyof ClientSettings>): readonly InvalidInputError[] {
  const settings: Partial<Record<keyof ClientSettings, unknown>> = { ...NEW_CLIENT_DEFAULTS };
  for (const [key, value] of Object.entries(given) as Array<[keyof ClientSettings, unknown]>) if (value !== undefined) settings[key] = value;
  for (const key of unjudged) delete settings[key];
  return judgeClientSettings(settings as Partial<ClientSettings>, clientType).errors;
}

const CLIENT_TYPES: readonly ClientType[] = ['confidential', 'public'];

function judgeClientSettings(
  input: Partial<ClientSettings>,
  clientType: ClientType | undefined,
  options: ClientJudgement = {},
): { errors: InvalidInputError[]; checked: Partial<CheckedClientSettings> } {
  const errors: InvalidInputError[] = [];
  const judge = <T, R>(value: T | undefined, check: (value: T, clientType: ClientType) => R): R | undefined => {
    if (value === undefined) return undefined;
    if (clientType !== undefined) return collectInvalid(errors, () => check(value, clientType));
    // No type to judge by: what every type refuses is named, and the value counts as checked
    // (for the rules that need it) only when every type takes it.
    const byType = CLIENT_TYPES.map((type) => {
      const found: InvalidInputError[] = [];
      return { found, result: collectInvalid(found, () => check(value, type)) };
    });
    const [first, ...others] = byType;
    errors.push(...first!.found.filter((error) => others.every(({ found }) => found.some((e) => e.message === error.message))));
    return byType.every(({ found }) => found.length === 0) ? first!.result : undefined;
  };
  const name = judge(input.name, (raw) => checkDisplayName(raw, 'name'));
  const grantTypes = judge(input.grantTypes, checkGrantTypes);
  const redirectUris = judge(input.redirectUris, (uris, type) => checkRedirectUris(uris, type, 'redirect_uris', { max: options.maxUris }));
  const postLogoutRedirectUris = judge(input.postLogoutRedirectUris, (uris, type) => checkRedirectUris(uris, type, 'post_logout_redirect_uris', { max: options.maxUris }));
  if (grantTypes !== undefined && redirectUris !== undefined && postLogoutRedirectUris !== undefined) {
    const usesRedirects = grantTypes.includes('authorization_code');
    if (usesRedirects && redirectUris.length === 0) {
      errors.push(new InvalidInputError('redirect_uris', 'at least one redirect URI is required (only a client_credentials-only service client has none)'));
    }
    if (!usesRedirects && redirectUris.length + postLogoutRedirectUris.length > 0) {
      errors.push(new InvalidInputError('redirect_uris', 'a client_credentials-only service client never redirects; register no redirect URIs'));
    }
  }
  const scope = judge(input.scope, (raw) => checkScope(raw));
  if (options.judgeServiceScope !== false && grantTypes !== undefined && scope !== undefined) collectInvalid(errors, () => checkServiceScope({ grantTypes, scope }));
  const codeTtl = input.codeTtlSeconds;
  if (codeTtl !== undefined && codeTtl !== null && (!Number.isInteger(codeTtl) || codeTtl < 1 || codeTtl > MAX_CODE_TTL_SECONDS)) {
    errors.push(new InvalidInputError('code_ttl_seconds', `must be a whole number of seconds from 1 to ${MAX_CODE_TTL_SECONDS}`));
  }
  const idTokenAlg = input.idTokenSignedResponseAlg;
  if (idTokenAlg !== undefined && idTokenAlg !== 'ES256' && idTokenAlg !== 'RS256') errors.push(new InvalidInputError('id_token_signed_response_alg', 'must be ES256 or RS256'));
  const accessTokenFormat = input.accessTokenFormat;
  if (accessTokenFormat !== undefined && accessTokenFormat !== 'opaque' && accessTokenFormat !== 'jwt') errors.push(new InvalidInputError('access_token_format', 'must be opaque or jwt'));
  return {
    errors,
    checked: {
      name,
      redirectUris,
      postLogoutRedirectUris,
      grantTypes,
      scope,
      codeTtlSeconds: codeTtl,
      idTokenSignedResponseAlg: idTokenAlg as IdTokenAlg | undefined,
      accessTokenFormat: accessTokenFormat as AccessTokenFormat | undefined,
    },
  };
}

/**
 * A client that may use client_credentials must be able to get a token for itself: such a token
 * never carries a user scope (RFC 6749 §4.4 has no person; grants/client-credentials.ts), so the
 * client needs a scope of its own beyond them, naming what its token lets it do. Without one,
 * every token request would fail with invalid_scope; the default scope (`openid profile email`)
 * has none, so a service client is always given one explicitly.
 */
export function checkServiceScope(settings: Pick<CheckedClientSettings, 'grantTypes' | 'scope'>): void {
  if (!settings.grantTypes.includes('client_credentials') || serviceScopes(settings.scope).length > 0) return;
  throw new InvalidInputError(
    'scope',
    `a client using client_credentials needs a scope of its own, naming what its tokens allow (e.g. "crm.sync"): ` +
      `a token it gets for itself never carries ${[...USER_SCOPES].join(', ')}`,
  );
}

/** A new client secret: `gsec_` and 256 random bits. Shown once; only its SHA-256 is stored. */
export function newClientSecret(): string {
  return `gsec_${randomBase64url(32)}`;
}

/** A new client's settings, the defaults filled in. */
function newClientSettings(input: NewClient): ClientSettings {
  const d = NEW_CLIENT_DEFAULTS;
  return {
    name: input.name,
    redirectUris: input.redirectUris,
    postLogoutRedirectUris: input.postLogoutRedirectUris ?? d.postLogoutRedirectUris,
    grantTypes: input.grantTypes ?? d.grantTypes,
    scope: input.scope ?? d.scope,
    codeTtlSeconds: input.codeTtlSeconds ?? d.codeTtlSeconds,
    idTokenSignedResponseAlg: input.idTokenSignedResponseAlg ?? d.idTokenSignedResponseAlg,
    accessTokenFormat: input.accessTokenFormat ?? d.accessTokenFormat,
  };
}

/**
 * What createClient would refuse of this client, without creating it: for a use case that has
 * rules of its own (a registration request's requester), so one answer names every bad field.
 */
/** How a use case judges a client's settings beyond the rules every client follows. */
export interface ClientJudgement {
  /** Most URIs in each of redirect_uris and post_logout_redirect_uris; default MAX_CLIENT_URIS (50). A registration request allows fewer. */
  readonly maxUris?: number;
  /** False leaves the service-scope rule out (an update that changes neither grants nor scope, of a client made before the rule). */
  readonly judgeServiceScope?: boolean;
}

export function newClientErrors(input: NewClient, options: ClientJudgement = {}): readonly InvalidInputError[] {
  return clientSettingsErrors(newClientSettings(input), input.clientType, options);
}

export async function createClient(db: Executor, clock: Clock, orgId: string, input: NewClient): Promise<CreatedClient> {
  const settings = checkClientSettings(newClientSettings(input), input.clientType);
  const clientId = randomBase32(26);
  const clientSecret = input.clientType === 'confidential' ? newClientSecret() : null;
  const registration = input.registration;
  const now = clock();
  await repository.insertClient(db, {
    clientId,
    orgId,
    name: settings.name,
    clientType: input.clientType,
    secretHash: clientSecret === null ? null : hashSecret(clientSecret),
    previousSecretHash: null,
    previousSecretExpiresAt: null,
    redirectUris: settings.redirectUris,
    postLogoutRedirectUris: settings.postLogoutRedirectUris,
    grantTypes: settings.grantTypes,
    scope: settings.scope,
    consentRequired: input.consentRequired,
    codeTtlSeconds: settings.codeTtlSeconds,
    status: registration === undefined ? 'active' : 'pending',
    idTokenSignedResponseAlg: settings.idTokenSignedResponseAlg,
    accessTokenFormat: settings.accessTokenFormat,
    registrationSource: registration?.source ?? 'staff',
    requesterName: registration?.requesterName ?? null,
    requesterEmail: registration?.requesterEmail ?? null,
    requestReason: registration?.requestReason ?? null,
    createdAt: now,
    updatedAt: now,
  });
  return { clientId, clientSecret };
}

export const findClient = repository.findClient;
export const findClientNames = repository.findClientNames;

/**
 * Records that `client` authenticated from `network` (a pseudonym, clients/auth-networks.ts) at
 * `now`: one conditional UPDATE over the list as the client was read. When another process
 * changed the list meanwhile, it is read again and the network added to it, unless that process
 * recorded it already; a few tries at most (the write is a refresh, not a count).
 */
export async function recordClientAuthNetwork(db: Executor, client: Client, network: string, now: number): Promise<void> {
  let networks: ClientAuthNetworks | undefined = client.authNetworks;
  for (let attempt = 0; attempt < 3 && networks !== undefined && authNetworkNeedsRecording(networks, network, now); attempt++) {
    if (await repository.replaceClientAuthNetworks(db, client.orgId, client.clientId, networks, withAuthNetwork(networks, network, now))) return;
    networks = await repository.findClientAuthNetworks(db, client.orgId, client.clientId);
  }
}
export const listActiveClients = repository.listActiveClients;
