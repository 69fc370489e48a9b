import { findClientNames } from '../clients/clients.ts';
import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { NotFoundError } from '../lib/errors.ts';
import { endEverySsoSessionOfAccount, endSsoSessionByReference, forgetConsent, listConsentsOfAccount, listLiveSsoSessionsOf } from '../oauth/sessions/account-sessions.ts';
import { listLiveTokenFamiliesOfAccount, revokeEverythingOfAccount } from '../oauth/credentials/account-tokens.ts';
import { requireConstituent } from './constituents.ts';

// What a constituent holds on the protocol side (consents, token families, SSO sessions), as
// its administrators see and end it: through oauth/'s functions for accounts, never its tables.
// The steps of the staff operations in constituent-admin.ts, in their layer: the protocol reads
// accounts (a sign-in, userinfo), so accounts' own domain never calls the protocol back.

/** A client the constituent uses: what it allowed it (consent), and the authorizations still live. */
export interface ConstituentGrant {
  readonly clientId: string;
  readonly clientName: string | null;
  /** The scopes consented to; null when the client needs no consent and none was recorded. */
  readonly consent: { readonly scope: string; readonly createdAt: number; readonly updatedAt: number } | null;
  readonly tokenFamilies: ReadonlyArray<{ readonly id: string; readonly scope: string; readonly createdAt: number; readonly expiresAt: number }>;
}

/** Every client with a consent grant or a live token family of the constituent, in order of first use. */
export async function grantsOfConstituent(db: Executor, clock: Clock, orgId: string, accountId: string): Promise<ConstituentGrant[]> {
  await requireConstituent(db, orgId, accountId);
  const consents = await listConsentsOfAccount(db, orgId, accountId);
  const families = await listLiveTokenFamiliesOfAccount(db, orgId, accountId, clock());
  const clientIds = [...new Set([...consents.map((c) => c.clientId), ...families.map((f) => f.clientId)])];
  // The clients' names in one statement, whatever the number of clients (the console counts its queries).
  const names = await findClientNames(db, orgId, clientIds);
  return clientIds.map((clientId) => {
    const consent = consents.find((c) => c.clientId === clientId);
    return {
      clientId,
      clientName: names.get(clientId) ?? null,
      consent: consent === undefined ? null : { scope: consent.scope, createdAt: consent.createdAt, updatedAt: consent.updatedAt },
      tokenFamilies: families.filter((f) => f.clientId === clientId).map((f) => ({ id: f.id, scope: f.scope, createdAt: f.createdAt, expiresAt: f.expiresAt })),
    };
  });
}

/**
 * Forgets the constituent's consent to the client and revokes what the client holds for it
 * (token families, unredeemed codes), inside the caller's transaction: the next authorization
 * asks again. NotFoundError when the client had neither a consent nor a live family of this
 * constituent.
 */
export async function revokeGrantOfConstituent(trx: Executor, clock: Clock, orgId: string, accountId: string, clientId: string): Promise<{ familiesRevoked: number }> {
  await requireConstituent(trx, orgId, accountId);
  const forgotten = await forgetConsent(trx, orgId, accountId, clientId);
  const familiesRevoked = await revokeEverythingOfAccount(trx, orgId, accountId, clock(), { clientId });
  if (!forgotten && familiesRevoked === 0) throw new NotFoundError('grant', clientId);
  return { familiesRevoked };
}

/** A live SSO session, named by a short reference: never its cookie, nor the whole stored hash. */
export interface ConstituentSession {
  readonly id: string;
  readonly authTime: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export async function sessionsOfConstituent(db: Executor, clock: Clock, orgId: string, accountId: string): Promise<ConstituentSession[]> {
  await requireConstituent(db, orgId, accountId);
  const sessions = await listLiveSsoSessionsOf(db, orgId, accountId, clock());
  return sessions.map((session) => ({ id: session.reference, authTime: session.authTime, createdAt: session.createdAt, expiresAt: session.expiresAt }));
}

/**
 * Ends one live SSO session of the constituent, named by its reference (ConstituentSession.id),
 * inside the caller's transaction. NotFoundError when the constituent has no live session of it.
 */
export async function endSessionOfConstituent(trx: Executor, clock: Clock, orgId: string, accountId: string, sessionId: string): Promise<void> {
  await requireConstituent(trx, orgId, accountId);
  if (!(await endSsoSessionByReference(trx, orgId, accountId, sessionId, clock()))) throw new NotFoundError('session', sessionId);
}

/** Ends every live SSO session of the constituent (signs it out everywhere), inside the caller's transaction; returns how many. */
export async function endSessionsOfConstituent(trx: Executor, orgId: string, accountId: string, now: number): Promise<number> {
  return endEverySsoSessionOfAccount(trx, orgId, accountId, now);
}

/**
 * Revokes everything the constituent holds, inside the caller's transaction: its SSO sessions
 * end, and every token family (with its access and refresh tokens) and unredeemed code is
 * revoked, so nothing keeps working for one further request.
 */
export async function revokeEverythingOfConstituent(trx: Executor, orgId: string, accountId: string, now: number): Promise<{ sessionsEnded: number; familiesRevoked: number }> {
  const sessionsEnded = await endEverySsoSessionOfAccount(trx, orgId, accountId, now);
  const familiesRevoked = await revokeEverythingOfAccount(trx, orgId, accountId, now);
  return { sessionsEnded, familiesRevoked };
}
