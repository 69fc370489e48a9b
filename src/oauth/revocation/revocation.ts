import type { Client } from '../../clients/clients.ts';
import { retriedTransaction } from '../../db/transaction.ts';
import { credentialKey } from '../credentials/credentials.ts';
import type { OrgContext } from '../context.ts';
import type { Executor } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { findAccessToken, findRefreshToken, revokeAccessToken, revokeEverythingOfClient, revokeFamily } from '../credentials/credentials.repository.ts';

/**
 * RFC 7009. Revoking a refresh token revokes its whole family: every refresh and access token
 * issued from the same authorization (§2.1 "SHOULD also invalidate all access tokens based on the
 * same authorization grant"). Unknown tokens, and tokens of other clients, are answered the same
 * way as success (§2.2), so revocation reveals nothing; they are left untouched.
 */
export async function revoke(ctx: OrgContext, client: Client, token: string): Promise<void> {
  // token_type_hint only orders a search (§2.1), and both lookups are one indexed read: it is ignored.
  const key = credentialKey(token);
  const now = ctx.clock();
  await retriedTransaction(ctx.db, async (trx) => {
    const refresh = await findRefreshToken(trx, ctx.org.id, key);
    if (refresh !== undefined) {
      if (refresh.clientId === client.clientId) await revokeFamily(trx, ctx.org.id, refresh.familyId, now);
      return;
    }
    const access = await findAccessToken(trx, ctx.org.id, key);
    // An access token goes alone; its refresh token stays (RFC 7009 §2.1 makes that optional).
    if (access !== undefined && access.clientId === client.clientId) await revokeAccessToken(trx, ctx.org.id, access.id, now);
  });
}

/**
 * A kill switch: every token and code issued to the client stops working now. Constituents sign
 * in again once the client is reactivated. Call inside the transaction that suspends the client.
 */
export async function revokeEverythingIssuedTo(db: Executor, clock: Clock, orgId: string, clientId: string): Promise<void> {
  await revokeEverythingOfClient(db, orgId, clientId, clock());
}
