import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { decodeCursor, encodeCursor } from '../lib/cursor.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { ConflictError, InvalidInputError, NotFoundError, StaleVersionError } from '../lib/errors.ts';
import { hashSecret } from '../lib/secrets.ts';
import { revokeEverythingIssuedTo } from '../oauth/revocation/revocation.ts';
import { registrationPolicyOf, setRegistrationPolicy, type RegistrationPolicy, type RegistrationPolicyChange } from '../orgs/registration-policy.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import { publishEvent } from '../webhooks/publish.ts';
import type { Client, ClientStatus } from './client.ts';
import { checkClientSettings, createClient, newClientSecret, type NewClient } from './clients.ts';
import * as repository from './clients.repository.ts';

/**
 * The staff operations on clients (management API, CLI, console): each checks the actor's
 * permission, owns its transaction and records its audit event in it.
 */

/**
 * How long the secret replaced by a rotation keeps working: 24 hours, one working day to roll
 * the new secret out to every instance of the client before the old one stops.
 */
export const SECRET_ROTATION_GRACE_SECONDS = 24 * 60 * 60;

/** A staff decision on a client's lifecycle. */
export type ClientAction = 'approve' | 'reject' | 'suspend' | 'reactivate';

/**
 * The lifecycle: a registration request is approved or rejected once; an active client can be
 * suspended and reactivated. Everything else (approving an active client, reactivating a
 * rejected one) is a conflict.
 */
export const CLIENT_TRANSITIONS: Readonly<Record<ClientAction, { readonly from: readonly ClientStatus[]; readonly to: ClientStatus }>> = Object.freeze({
  approve: { from: ['pending'], to: 'active' },
  reject: { from: ['pending'], to: 'rejected' },
  suspend: { from: ['active'], to: 'suspended' },
  reactivate: { from: ['suspended'], to: 'active' },
});

const PAST = { approve: 'approved', reject: 'rejected', suspend: 'suspended', reactivate: 'reactivated' } as const satisfies Readonly<Record<ClientAction, string>>;

/** Longest reason kept for a rejection (it goes to the audit log). */
export const MAX_STATUS_REASON_LENGTH = 500;

/** The fields of a client staff may change; absent fields stay as they are. */
export interface ClientChange {
  readonly name?: string;
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly grantTypes?: readonly string[];
  readonly scope?: string;
  readonly consentRequired?: boolean;
  /** null goes back to the organization's code lifetime. */
  readonly codeTtlSeconds?: number | null;
  readonly idTokenSignedResponseAlg?: string;
  readonly accessTokenFormat?: string;
}

/** How the audit log names each field of a change (as the API names them), in this order. */
const AUDITED_FIELDS: ReadonlyArray<readonly [keyof ClientChange, string]> = [
  ['name', 'name'],
  ['redirectUris', 'redirect_uris'],
  ['postLogoutRedirectUris', 'post_logout_redirect_uris'],
  ['grantTypes', 'grant_types'],
  ['scope', 'scope'],
  ['consentRequired', 'consent_required'],
  ['codeTtlSeconds', 'code_ttl_seconds'],
  ['idTokenSignedResponseAlg', 'id_token_signed_response_alg'],
  ['accessTokenFormat', 'access_token_format'],
];

/** A client staff add: active at once; consent as the organization's default unless said. */
export type ClientToAdd = Omit<NewClient, 'consentRequired' | 'registration'> & { readonly consentRequired?: boolean };

/**
 * Adds a client for staff (API, CLI, console): active at once, audited as `client.created`.
 * A confidential client's secret is returned here once and stored only hashed.
 */
export async function addClient(ctx: OperationContext, input: ClientToAdd): Promise<{ client: Client; clientSecret: string | null }> {
  requirePermission(ctx.actor, 'clients:write');
  return inTransaction(ctx.db, async (trx) => {
    const created = await createClient(trx, ctx.clock, ctx.org.id, { ...input, consentRequired: input.consentRequired ?? ctx.org.settings.consentRequiredByDefault });
    const client = await loadClient(trx, ctx.org.id, created.clientId);
    await recordOperation(trx, ctx, { action: 'client.created', target: { type: 'client', id: client.clientId }, details: { name: client.name, client_type: client.clientType } });
    return { client, clientSecret: created.clientSecret };
  });
}

export interface ClientPage {
  readonly clients: Client[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

/** The org's clients, oldest first, optionally only those of one status (`pending`: the approval queue). */
export async function listClients(ctx: OperationContext, query: { readonly limit: number; readonly cursor?: string; readonly status?: ClientStatus }): Promise<ClientPage> {
  requirePermission(ctx.actor, 'clients:read');
  const after = query.cursor === undefined ? undefined : (decodeCursor(query.cursor, ['integer', 'string']) as [number, string]);
  const rows = await repository.listClientsPage(ctx.db, ctx.org.id, { limit: query.limit + 1, ...(after === undefined ? {} : { after }), ...(query.status === undefined ? {} : { status: query.status }) });
  const clients = rows.slice(0, query.limit);
  const last = clients.at(-1);
  return { clients, nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor([last.createdAt, last.clientId]) : null };
}

/** The client, or NotFoundError (also for a client of another organization). */
export async function getClient(ctx: OperationContext, clientId: string): Promise<Client> {
  requirePermission(ctx.actor, 'clients:read');
  return loadClient(ctx.db, ctx.org.id, clientId);
}

async function loadClient(db: Executor, orgId: string, clientId: string): Promise<Client> {
  const client = clientId.length > 200 ? undefined : await repository.findClient(db, orgId, clientId);
  if (client === undefined) throw new NotFoundError('client', clientId);
  return client;
}

/** A version strictly after the client's, so every change gets a new ETag even within one millisecond. */
function nextVersion(clock: Clock, client: Client): number {
  return Math.max(clock(), client.updatedAt + 1);
}

/**
 * Changes a client's metadata; the result must pass the same rules as a new client's. With
 * `expectedVersion` (the `updatedAt` the caller read, If-Match), a concurrent change makes this
 * fail with StaleVersionError instead of being overwritten; without, the change applies on the
 * current version (retryOnceOnLostRace). Audited as `client.updated`, naming the fields sent.
 */
export async function updateClient(ctx: OperationContext, clientId: string, change: ClientChange, options: { readonly expectedVersion?: number } = {}): Promise<Client> {
  requirePermission(ctx.actor, 'clients:write');
  return inTransaction(ctx.db, async (trx) => {
    const client = await retryOnceOnLostRace('the client', options.expectedVersion, () => applyChange(trx, ctx.clock, ctx.org.id, clientId, change, options.expectedVersion));
    const fields = AUDITED_FIELDS.flatMap(([key, field]) => (change[key] === undefined ? [] : [field]));
    if (fields.length > 0) await recordOperation(trx, ctx, { action: 'client.updated', target: { type: 'client', id: client.clientId }, details: { fields: fields.join(',') } });
    return client;
  });
}

async function applyChange(trx: Executor, clock: Clock, orgId: string, clientId: string, change: ClientChange, expectedVersion: number | undefined): Promise<Client> {
  const client = await loadClient(trx, orgId, clientId);
  if (expectedVersion !== undefined && expectedVersion !== client.updatedAt) {
    throw new StaleVersionError(`the client changed since version ${expectedVersion}; read it again`);
  }
  // Nothing to change keeps the version: an empty PATCH must not make colleagues' ETags stale.
  if (Object.values(change).every((value) => value === undefined)) return client;
  const settings = checkClientSettings(
    {
      name: change.name ?? client.name,
      redirectUris: change.redirectUris ?? client.redirectUris,
      postLogoutRedirectUris: change.postLogoutRedirectUris ?? client.postLogoutRedirectUris,
      grantTypes: change.grantTypes ?? client.grantTypes,
      scope: change.scope ?? client.scope,
      codeTtlSeconds: change.codeTtlSeconds === undefined ? client.codeTtlSeconds : change.codeTtlSeconds,
      idTokenSignedResponseAlg: change.idTokenSignedResponseAlg ?? client.idTokenSignedResponseAlg,
      accessTokenFormat: change.accessTokenFormat ?? client.accessTokenFormat,
    },
    client.clientType,
    // The service-scope rule only for a change of grants or scope: a client made before the rule
    // keeps its other settings changeable (its code flow may work; only its client_credentials
    // requests fail).
    { judgeServiceScope: change.grantTypes !== undefined || change.scope !== undefined },
  );
  const updated = await repository.updateClientRow(
    trx,
    orgId,
    clientId,
    { ...settings, consentRequired: change.consentRequired ?? client.consentRequired },
    client.updatedAt,
    nextVersion(clock, client),
  );
  if (!updated) throw new LostRaceError();
  return loadClient(trx, orgId, clientId);
}

/**
 * Gives a confidential client a new secret (returned once, stored hashed). The secret it
 * replaces keeps working for SECRET_ROTATION_GRACE_SECONDS; a secret older than that (from a
 * rotation before the last) stops at once. Tokens already issued are not affected. Audited as
 * `client.secret_rotated`.
 */
export async function rotateClientSecret(ctx: OperationContext, clientId: string): Promise<{ client: Client; clientSecret: string }> {
  requirePermission(ctx.actor, 'clients:write');
  return inTransaction(ctx.db, async (trx) => {
    const rotated = await retryOnceOnLostRace('the client', undefined, async () => {
      const client = await loadClient(trx, ctx.org.id, clientId);
      if (client.clientType === 'public' || client.secretHash === null) throw new ConflictError('client_id', 'a public client has no secret to rotate');
      const clientSecret = newClientSecret();
      const now = nextVersion(ctx.clock, client);
      const change = { secretHash: hashSecret(clientSecret), previousSecretHash: client.secretHash, previousSecretExpiresAt: now + SECRET_ROTATION_GRACE_SECONDS * 1000 };
      if (!(await repository.updateClientRow(trx, ctx.org.id, clientId, change, client.updatedAt, now))) throw new LostRaceError();
      return { client: await loadClient(trx, ctx.org.id, clientId), clientSecret };
    });
    await recordOperation(trx, ctx, {
      action: 'client.secret_rotated',
      target: { type: 'client', id: rotated.client.clientId },
      details: { previous_secret_expires_at: isoTime(rotated.client.previousSecretExpiresAt) },
    });
    return rotated;
  });
}

function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * Deletes a client and, by ON DELETE CASCADE in the same statement, everything issued to it:
 * authorization codes, token families, access and refresh tokens, consent grants. Audited as
 * `client.deleted`. Returns the client as it was.
 */
export async function deleteClient(ctx: OperationContext, clientId: string): Promise<Client> {
  requirePermission(ctx.actor, 'clients:write');
  return inTransaction(ctx.db, async (trx) => {
    const client = await loadClient(trx, ctx.org.id, clientId);
    if (!(await repository.deleteClientRow(trx, ctx.org.id, clientId))) throw new NotFoundError('client', clientId);
    await recordOperation(trx, ctx, { action: 'client.deleted', target: { type: 'client', id: client.clientId }, details: { name: client.name, status: client.status } });
    return client;
  });
}

function checkReason(raw: string | undefined, required: boolean): string | null {
  const reason = raw?.trim() ?? '';
  if (reason === '') {
    if (required) throw new InvalidInputError('reason', 'is required: say why, for the requester and the audit log');
    return null;
  }
  if ([...reason].length > MAX_STATUS_REASON_LENGTH) throw new InvalidInputError('reason', `must be at most ${MAX_STATUS_REASON_LENGTH} characters`);
  return reason;
}

/**
 * Applies a lifecycle decision (CLIENT_TRANSITIONS) by one conditional UPDATE on the status, so
 * two staff deciding at once cannot both win. A rejection needs a reason; other decisions may
 * carry one. Suspending revokes everything issued to the client in the same transaction.
 * Audited as `client.approved`, `client.rejected`, … Returns the client after the change.
 */
export async function changeClientStatus(ctx: OperationContext, clientId: string, action: ClientAction, options: { readonly reason?: string } = {}): Promise<Client> {
  requirePermission(ctx.actor, 'clients:write');
  const transition = CLIENT_TRANSITIONS[action];
  const reason = checkReason(options.reason, action === 'reject');
  return inTransaction(ctx.db, async (trx) => {
    const before = await loadClient(trx, ctx.org.id, clientId);
    const moved = transition.from.includes(before.status) && (await repository.transitionClientStatus(trx, ctx.org.id, clientId, transition.from, transition.to, nextVersion(ctx.clock, before)));
    if (!moved) {
      const current = (await repository.findClient(trx, ctx.org.id, clientId))?.status ?? before.status;
      throw new ConflictError('status', `cannot ${action} a client that is ${current}; only a ${transition.from.join(' or ')} client can be ${PAST[action]}`);
    }
    const client = await loadClient(trx, ctx.org.id, clientId);
    // Suspension is a kill switch: what the client already holds stops working too.
    if (action === 'suspend') await revokeEverythingIssuedTo(trx, ctx.clock, ctx.org.id, client.clientId);
    // The audit event, and the webhook the org's endpoints receive (the "event" of an approval
    // flow: whom to tell is in it), both written with the change or not at all.
    const details = { from: before.status, to: client.status, ...(reason === null ? {} : { reason }), ...requesterDetails(client) };
    await recordOperation(trx, ctx, { action: `client.${PAST[action]}`, target: { type: 'client', id: client.clientId }, details });
    await publishEvent(trx, { orgId: ctx.org.id, type: `client.${PAST[action]}`, data: { client_id: client.clientId, name: client.name, ...details }, occurredAt: ctx.clock() });
    return client;
  });
}

/** Who asked for a registered client, so an approval or rejection event says whom to tell. */
function requesterDetails(client: Client): Record<string, string> {
  return client.registrationSource === 'staff' ? {} : { registration_source: client.registrationSource, ...(client.requesterEmail === null ? {} : { requester_email: client.requesterEmail }) };
}

/** Whether people outside the organization may ask for clients (orgs/registration-policy.ts). */
export function getRegistrationPolicy(ctx: OperationContext): RegistrationPolicy {
  requirePermission(ctx.actor, 'org:read');
  return registrationPolicyOf(ctx.org);
}

/**
 * Opens or closes registration requests and sets the initial access token dynamic registration
 * requires (a `new` one is returned once). With `expectedVersion` (the organization's
 * `updatedAt` a form showed), StaleVersionError if it changed since. Audited as
 * `client_registration.updated`.
 */
export async function changeRegistrationPolicy(
  ctx: OperationContext,
  change: RegistrationPolicyChange,
  options: { readonly expectedVersion?: number } = {},
): Promise<{ policy: RegistrationPolicy; initialAccessToken: string | null }> {
  requirePermission(ctx.actor, 'org:write');
  return inTransaction(ctx.db, async (trx) => {
    const changed = await setRegistrationPolicy(trx, ctx.clock, ctx.org.id, change, options);
    await recordOperation(trx, ctx, {
      action: 'client_registration.updated',
      target: { type: 'organization', id: ctx.org.id },
      details: { mode: changed.policy.mode, initial_access_token: change.initialAccessToken },
    });
    return changed;
  });
}
