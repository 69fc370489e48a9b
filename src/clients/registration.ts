import { checkDisplayName, checkEmail } from '../lib/text-rules.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { collectInvalid, InvalidInputError, NotFoundError, throwIfInvalid } from '../lib/errors.ts';
import { splitScope } from '../lib/scope.ts';
import type { Organization } from '../orgs/organization.ts';
import { publishEvent } from '../webhooks/publish.ts';
import { createClient, DEFAULT_CLIENT_SCOPE, findClient, newClientErrors, type Client, type NewClient, type RegistrationSource } from './clients.ts';
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

/**
 * A registration request from outside the organization, the page's or RFC 7591's: the pending
 * client and the audit event staff will decide on, in one transaction. Throws what
 * requestClientRegistration throws (InvalidInputError for the request's rules).
 */
export async function submitRegistrationRequest(db: Executor, clock: Clock, org: Organization, input: RegistrationRequestInput, origin: { readonly ip: string }): Promise<RegisteredClient> {
  return inTransaction(db, async (trx) => {
    const registered = await requestClientRegistration(trx, clock, org, input);
    const client = registered.client;
    await recordAudit(trx, clock, org.id, {
      action: 'client.registration_requested',
      actor: { type: 'anonymous', id: null },
      target: { type: 'client', id: client.clientId },
      ip: origin.ip,
      details: { name: client.name, registration_source: client.registrationSource, requester_email: client.requesterEmail },
    });
    await publishEvent(trx, {
      orgId: org.id,
      type: 'client.registration_requested',
      data: { client_id: client.clientId, name: client.name, status: client.status, registration_source: client.registrationSource, requester_email: client.requesterEmail },
      occurredAt: clock(),
    });
    return registered;
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
