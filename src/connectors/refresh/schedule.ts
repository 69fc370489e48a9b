import type { Provider } from '../catalogue/provider.ts';

// When the background refresh renews a connector's token (docs/decisions/0013): pure rules,
// applied wherever credentials are stored (the connect flow's finish, an AuthValue import, every
// refresh) so that `next_refresh_at` always says what the stored tokens need.

/** What a schedule is computed from: the stored tokens' lifetimes, and whether they can be renewed at all. */
export interface ScheduledTokens {
  readonly accessExpiresAt: number | null;
  readonly refreshExpiresAt: number | null;
  /** A refresh token is held (or, for client credentials, none is needed). */
  readonly renewable: boolean;
}

/**
 * The margin before `expiresAt` for a value that lives from `storedAt`: the entry's margin, but
 * never more than half the remaining lifetime, so that a 2-minute token is renewed after a
 * minute instead of at once, again and again (as isFresh does for the credentials endpoint).
 */
export function marginBefore(expiresAt: number, storedAt: number, marginMs: number): number {
  return Math.min(marginMs, Math.max(0, (expiresAt - storedAt) / 2));
}

/**
 * When to renew tokens stored at `storedAt`; null when nothing will need it (an API key, a
 * token with no expiry and no refresh token lifetime to keep alive). The earliest of: the access
 * token's expiry less the margin; the refresh token's known expiry less the margin, or its idle
 * lifetime (a refresh renews it); for tokens that cannot be renewed (no refresh token), the
 * access token's expiry itself, when the connector is marked needs_reauth and announced.
 * A token with no `expires_in` was already given the entry's assumed lifetime when read
 * (token_response.assumed_lifetime_seconds); without one it is not scheduled.
 */
export function nextRefreshAt(provider: Provider, tokens: ScheduledTokens, storedAt: number): number | null {
  const oauth = provider.oauth;
  if (oauth === null) return null;
  const { marginMs, refreshTokenIdleMs } = oauth.refresh;
  if (!tokens.renewable) return tokens.accessExpiresAt;
  const candidates: number[] = [];
  if (tokens.accessExpiresAt !== null) candidates.push(tokens.accessExpiresAt - marginBefore(tokens.accessExpiresAt, storedAt, marginMs));
  if (tokens.refreshExpiresAt !== null) candidates.push(tokens.refreshExpiresAt - marginBefore(tokens.refreshExpiresAt, storedAt, marginMs));
  if (refreshTokenIdleMs !== null && provider.authMode === 'oauth2') {
    const idleEnd = storedAt + refreshTokenIdleMs;
    candidates.push(idleEnd - marginBefore(idleEnd, storedAt, marginMs));
  }
  return candidates.length === 0 ? null : Math.round(Math.min(...candidates));
}

/**
 * When the refresh token can no longer be used whatever the provider says: its known expiry, or
 * its idle lifetime after the last time it was stored. Null when unknown.
 */
export function refreshTokenLapsesAt(provider: Provider, tokens: { readonly refreshExpiresAt: number | null; readonly storedAt: number }): number | null {
  const idle = provider.oauth?.refresh.refreshTokenIdleMs ?? null;
  const ends = [tokens.refreshExpiresAt, idle === null ? null : tokens.storedAt + idle].filter((at): at is number => at !== null);
  return ends.length === 0 ? null : Math.min(...ends);
}
