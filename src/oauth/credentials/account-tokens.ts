import type { Executor } from '../../db/database.ts';
import { expireCodesOfAccount, listLiveFamiliesOfAccount, revokeFamiliesOfAccount } from './credentials.repository.ts';
import type { LiveTokenFamily } from './stored-credentials.ts';

/** The account's token families not revoked nor expired at `now`. */
export async function listLiveTokenFamiliesOfAccount(db: Executor, orgId: string, accountId: string, now: number): Promise<LiveTokenFamily[]> {
  return listLiveFamiliesOfAccount(db, orgId, accountId, now);
}

/**
 * Revokes every token family of the account (with their access and refresh tokens) and expires
 * its unredeemed authorization codes, for one client or all: nothing it held keeps working for
 * one further request. Call inside the use case's transaction. Returns the families revoked.
 */
export async function revokeEverythingOfAccount(trx: Executor, orgId: string, accountId: string, now: number, options: { readonly clientId?: string } = {}): Promise<number> {
  const familiesRevoked = await revokeFamiliesOfAccount(trx, orgId, accountId, now, options);
  await expireCodesOfAccount(trx, orgId, accountId, now, options);
  return familiesRevoked;
}
