import type { Executor } from '../../db/database.ts';
import { randomBase64url } from '../../lib/random.ts';
import { hashSecret } from '../../lib/secrets.ts';
import type { OrgContext } from '../context.ts';
import { endSsoSession, findSsoSession, insertSsoSession } from './sessions.repository.ts';

/** A constituent's single sign-on session, as the protocol needs it. */
export interface SsoSession {
  /** SHA-256 of the cookie: the session's identity in storage, and the OpenID `sid`. */
  readonly id: string;
  readonly accountId: string;
  readonly authTime: number;
  readonly expiresAt: number;
}

/** Starts a session after a successful sign-in. Returns the cookie value (shown to the browser only). */
export async function startSsoSession(ctx: OrgContext, db: Executor, accountId: string): Promise<{ cookieValue: string; session: SsoSession }> {
  const cookieValue = randomBase64url(32);
  const now = ctx.clock();
  const session = { id: hashSecret(cookieValue), accountId, authTime: now, expiresAt: now + ctx.org.settings.ssoSessionTtlSeconds * 1000 };
  await insertSsoSession(db, { idHash: session.id, orgId: ctx.org.id, accountId, authTime: now, createdAt: now, expiresAt: session.expiresAt });
  return { cookieValue, session };
}

/** The live session a cookie names in this org, or undefined (unknown, ended, expired, another org's). */
export async function findLiveSsoSession(ctx: OrgContext, cookieValue: string | undefined): Promise<SsoSession | undefined> {
  if (cookieValue === undefined || cookieValue.length > 128) return undefined;
  const stored = await findSsoSession(ctx.db, ctx.org.id, hashSecret(cookieValue));
  if (stored === undefined || stored.endedAt !== null || stored.expiresAt <= ctx.clock()) return undefined;
  return { id: stored.idHash, accountId: stored.accountId, authTime: stored.authTime, expiresAt: stored.expiresAt };
}

export async function endSsoSessionByCookie(ctx: OrgContext, cookieValue: string): Promise<void> {
  await endSsoSession(ctx.db, ctx.org.id, hashSecret(cookieValue), ctx.clock());
}
