import type { Executor } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { decodeCursor, encodeCursor } from '../lib/cursor.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { ConflictError, InvalidInputError, NotFoundError, StaleVersionError } from '../lib/errors.ts';
import { hashSecret } from '../lib/secrets.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import { checkClientSettings, createClient, newClientSecret, type Client, type ClientStatus, type NewClient } from './clients.ts';
import * as repository from './clients.repository.ts';

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
    const client = await getClient(trx, ctx.org.id, created.clientId);
    await recordOperation(trx, ctx, { action: 'client.created', target: { type: 'client', id: client.clientId }, details: { name: client.name, client_type: client.clientType } });
    return { client, clientSecret: created.clientSecret };
  });
}

export interface ClientPage {
  readonly clients: Client[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

/** An org's clients, oldest first, optionally only those of one status (`pending`: the approval queue). */
export async function listClients(db: Executor, orgId: string, query: { readonly limit: number; readonly cursor?: string; readonly status?: ClientStatus }): Promise<ClientPage> {
  const after = query.cursor === undefined ? undefined : (decodeCursor(query.cursor, ['integer', 'string']) as [number, string]);
  const rows = await repository.listClientsPage(db, orgId, { limit: query.limit + 1, ...(after === undefined ? {} : { after }), ...(query.status === undefined ? {} : { status: query.status }) });
  const clients = rows.slice(0, query.limit);
  const last = clients.at(-1);
  return { clients, nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor([last.createdAt, last.clientId]) : null };
}

/** The client, or NotFoundError (also for a client of another organization). */
export async function getClient(db: Executor, orgId: string, clientId: string): Promise<Client> {
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
 * `expectedVersion` (the `updatedAt` the caller read), a concurrent change makes this fail
 * with StaleVersionError instead of being overwritten; without, the change applies on the
 * current version (retryOnceOnLostRace).
 */
export async function updateClient(
  db: Executor,
  clock: Clock,
  orgId: string,
  clientId: string,
  change: ClientChange,
  options: { readonly expectedVersion?: number } = {},
): Promise<Client> {
  return inTransaction(db, (trx) => retryOnceOnLostRace('the client', options.expectedVersion, async () => {
    const client = await getClient(trx, orgId, clientId);
    if (options.expectedVersion !== undefined && options.expectedVersion !== client.updatedAt) {
      throw new StaleVersionError(`the client changed since version ${options.expectedVersion}; read it again`);
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
      {
        name: settings.name,
        redirect_uris: JSON.stringify(settings.redirectUris),
        post_logout_redirect_uris: JSON.stringify(settings.postLogoutRedirectUris),
        grant_types: JSON.stringify(settings.grantTypes),
        scope: settings.scope,
        consent_required: (change.consentRequired ?? client.consentRequired) ? 1 : 0,
        code_ttl_seconds: settings.codeTtlSeconds,
        id_token_signed_response_alg: settings.idTokenSignedResponseAlg,
        access_token_format: settings.accessTokenFormat,
      },
      client.updatedAt,
      nextVersion(clock, client),
    );
    if (!updated) throw new LostRaceError();
    return getClient(trx, orgId, clientId);
  }));
}

/**
 * Gives a confidential client a new secret (returned once, stored hashed). The secret it
 * replaces keeps working for SECRET_ROTATION_GRACE_SECONDS; a secret older than that (from a
 * rotation before the last) stops at once. Tokens already issued are not affected.
 */
export async function rotateClientSecret(db: Executor, clock: Clock, orgId: string, clientId: string): Promise<{ client: Client; clientSecret: string }> {
  return inTransaction(db, (trx) => retryOnceOnLostRace('the client', undefined, async () => {
    const client = await getClient(trx, orgId, clientId);
    if (client.clientType === 'public' || client.secretHash === null) throw new ConflictError('client_id', 'a public client has no secret to rotate');
    const clientSecret = newClientSecret();
    const now = nextVersion(clock, client);
    const updated = await repository.updateClientRow(
      trx,
      orgId,
      clientId,
      { secret_hash: hashSecret(clientSecret), previous_secret_hash: client.secretHash, previous_secret_expires_at: now + SECRET_ROTATION_GRACE_SECONDS * 1000 },
      client.updatedAt,
      now,
    );
    if (!updated) throw new LostRaceError();
    return { client: await getClient(trx, orgId, clientId), clientSecret };
  }));
}

/**
 * Deletes a client and, by ON DELETE CASCADE in the same statement, everything issued to it:
 * authorization codes, token families, access and refresh tokens, consent grants. Returns the
 * client as it was, for the audit log.
 */
export async function deleteClient(db: Executor, orgId: string, clientId: string): Promise<Client> {
  return inTransaction(db, async (trx) => {
    const client = await getClient(trx, orgId, clientId);
    if (!(await repository.deleteClientRow(trx, orgId, clientId))) throw new NotFoundError('client', clientId);
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
 * carry one. Returns the client after the change and the reason as kept.
 */
export async function changeClientStatus(
  db: Executor,
  clock: Clock,
  orgId: string,
  clientId: string,
  action: ClientAction,
  options: { readonly reason?: string } = {},
): Promise<{ client: Client; previousStatus: ClientStatus; reason: string | null }> {
  const transition = CLIENT_TRANSITIONS[action];
  const reason = checkReason(options.reason, action === 'reject');
  return inTransaction(db, async (trx) => {
    const client = await getClient(trx, orgId, clientId);
    const moved = transition.from.includes(client.status) && (await repository.transitionClientStatus(trx, orgId, clientId, transition.from, transition.to, nextVersion(clock, client)));
    if (!moved) {
      const current = (await repository.findClient(trx, orgId, clientId))?.status ?? client.status;
      throw new ConflictError('status', `cannot ${action} a client that is ${current}; only a ${transition.from.join(' or ')} client can be ${PAST[action]}`);
    }
    return { client: await getClient(trx, orgId, clientId), previousStatus: client.status, reason };
  });
}

const PAST: Readonly<Record<ClientAction, string>> = { approve: 'approved', reject: 'rejected', suspend: 'suspended', reactivate: 'reactivated' };
