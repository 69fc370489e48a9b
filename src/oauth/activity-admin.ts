import { requirePermission, type OperationContext } from '../staff/actor.ts';
import { countAccessTokensIssuedPerDay } from './credentials/credentials.repository.ts';
import type { IssuingGrant } from './credentials/stored-credentials.ts';
import { countLiveSsoSessionsPerDay } from './sessions/sessions.repository.ts';

// What the protocol core has been doing, in counts for the console's overview: never who, so
// `org:read` (every role) suffices, as for the sign-ins per day (audit/audit-admin.ts).

const DAY_MS = 86_400_000;

/** The most days one chart may ask for: a quarter. */
export const MAX_ACTIVITY_DAYS = 90;

/** The SSO sessions live now, by the UTC day they began. */
export interface LiveSessions {
  /** Every live session, whenever it began. */
  readonly total: number;
  /** The last `days` days up to today, oldest first, every day present. */
  readonly perDay: ReadonlyArray<{ readonly date: string; readonly sessions: number }>;
  /** Live sessions that began before the first of those days (a long session lifetime). */
  readonly earlier: number;
}

/** The organization's live single sign-on sessions (not ended, not expired), per day they began: one grouped statement. */
export async function liveSsoSessions(ctx: OperationContext, query: { readonly days: number }): Promise<LiveSessions> {
  requirePermission(ctx.actor, 'org:read');
  const days = Math.min(Math.max(Math.trunc(query.days), 1), MAX_ACTIVITY_DAYS);
  const now = ctx.clock();
  const today = Math.floor(now / DAY_MS);
  const first = today - days + 1;
  const rows = await countLiveSsoSessionsPerDay(ctx.db, ctx.org.id, now, DAY_MS);
  const counts = new Map(rows.map((row) => [row.day, row.count]));
  return {
    total: rows.reduce((sum, row) => sum + row.count, 0),
    perDay: Array.from({ length: days }, (_, i) => ({ date: new Date((first + i) * DAY_MS).toISOString().slice(0, 10), sessions: counts.get(first + i) ?? 0 })),
    earlier: rows.filter((row) => row.day < first).reduce((sum, row) => sum + row.count, 0),
  };
}

/** One UTC day of access tokens issued, by the grant that issued them. */
export interface TokenDay {
  /** `YYYY-MM-DD`, UTC. */
  readonly date: string;
  readonly issued: Readonly<Record<IssuingGrant, number>>;
}

/**
 * Access tokens issued per UTC day and grant (authorization code, refresh token, client
 * credentials), the last `days` days up to today, oldest first, every day present: one grouped
 * statement over the purge's per-day counts and the tokens still stored (migration 0018).
 */
export async function tokensIssuedPerDay(ctx: OperationContext, query: { readonly days: number }): Promise<TokenDay[]> {
  requirePermission(ctx.actor, 'org:read');
  const days = Math.min(Math.max(Math.trunc(query.days), 1), MAX_ACTIVITY_DAYS);
  const first = Math.floor(ctx.clock() / DAY_MS) - days + 1;
  const rows = await countAccessTokensIssuedPerDay(ctx.db, ctx.org.id, first);
  const counts = new Map(rows.map((row) => [`${row.day} ${row.grantType}`, row.count]));
  const count = (day: number, grant: IssuingGrant): number => counts.get(`${day} ${grant}`) ?? 0;
  return Array.from({ length: days }, (_, i) => {
    const day = first + i;
    return {
      date: new Date(day * DAY_MS).toISOString().slice(0, 10),
      issued: { authorization_code: count(day, 'authorization_code'), refresh_token: count(day, 'refresh_token'), client_credentials: count(day, 'client_credentials') },
    };
  });
}
