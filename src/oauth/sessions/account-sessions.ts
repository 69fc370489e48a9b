import type { Executor } from '../../db/database.ts';
import { deleteConsentGrant, endSsoSessionOfAccount, endSsoSessionsOfAccount, listConsentGrantsOfAccount, listLiveSsoSessionsOfAccount } from './sessions.repository.ts';

/** A live SSO session of an account, named by a short reference: never its cookie, nor the whole stored hash. */
export interface LiveSsoSession {
  readonly reference: string;
  readonly authTime: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** What an account consented to for a client. */
export interface Consent {
  readonly clientId: string;
  readonly scope: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export async function listLiveSsoSessionsOf(db: Executor, orgId: string, accountId: string, now: number): Promise<LiveSsoSession[]> {
  const sessions = await listLiveSsoSessionsOfAccount(db, orgId, accountId, now);
  // The stored id is SHA-256 of the cookie (also the OpenID `sid`): its first 16 characters
  // (96 bits) name a session stably and give nothing that could be presented as a cookie.
  return sessions.map((session) => ({ reference: referenceOf(session.idHash), authTime: session.authTime, createdAt: session.createdAt, expiresAt: session.expiresAt }));
}

function referenceOf(idHash: string): string {
  return idHash.slice(0, 16);
}

/**
 * Ends the account's live session named by `reference` (as listLiveSsoSessionsOf gives it): the
 * reference is matched among the account's own live sessions, never used as a stored key, so it
 * can only end one of them. False when no live session of the account has it.
 */
export async function endSsoSessionByReference(db: Executor, orgId: string, accountId: string, reference: string, now: number): Promise<boolean> {
  const live = await listLiveSsoSessionsOfAccount(db, orgId, accountId, now);
  const session = live.find((s) => referenceOf(s.idHash) === reference);
  return session !== undefined && endSsoSessionOfAccount(db, orgId, accountId, session.idHash, now);
}

/** Ends every live SSO session of the account (signs it out everywhere); returns how many. */
export async function endEverySsoSessionOfAccount(db: Executor, orgId: string, accountId: string, now: number): Promise<number> {
  return endSsoSessionsOfAccount(db, orgId, accountId, now);
}

/** The account's consents, in order of first consent. */
export async function listConsentsOfAccount(db: Executor, orgId: string, accountId: string): Promise<Consent[]> {
  const grants = await listConsentGrantsOfAccount(db, orgId, accountId);
  return grants.map((grant) => ({ clientId: grant.clientId, scope: grant.scope, createdAt: grant.createdAt, updatedAt: grant.updatedAt }));
}

/** Forgets the account's consent to the client (the next authorization asks again); false when there was none. */
export async function forgetConsent(db: Executor, orgId: string, accountId: string, clientId: string): Promise<boolean> {
  return deleteConsentGrant(db, orgId, accountId, clientId);
}
