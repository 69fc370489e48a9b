import { decodeJwt } from 'jose';
import type { Provider, TokenResponseRules } from '../catalogue/provider.ts';
import type { UpstreamCall } from './upstream-answer.ts';
import { valueAt } from './upstream-answer.ts';
import { UpstreamUnavailable } from './upstream-errors.ts';
import type { UpstreamTokens } from './upstream-tokens.ts';

/** What the caller already holds, for a refresh that does not return everything again. */
export interface HeldCredentials {
  readonly refreshToken: string;
  readonly refreshExpiresAt?: number | null;
}

/**
 * A successful token answer (already known to be a JSON object without an error) read into
 * UpstreamTokens by the entry's token_response rules. A missing or malformed access token or
 * expiry is an unusable answer (UpstreamUnavailable), never quoted.
 */
export function readTokens(
  call: UpstreamCall,
  provider: Provider,
  body: Record<string, unknown>,
  options: { readonly held?: HeldCredentials; readonly metadata?: Readonly<Record<string, string>> },
): UpstreamTokens {
  const oauth = provider.oauth!;
  const rules = oauth.tokenResponse;
  const unusable = (detail: string): UpstreamUnavailable => new UpstreamUnavailable(call.provider, call.operation, 'bad_response', detail);

  const accessToken = valueAt(body, rules.accessTokenPath);
  if (typeof accessToken !== 'string' || accessToken === '') throw unusable(`the answer has no access token at '${rules.accessTokenPath}'`);

  const tokenType = valueAt(body, 'token_type');
  const expiresIn = duration(valueAt(body, rules.expiresInPath), rules);
  if (expiresIn === 'malformed') throw unusable(`'${rules.expiresInPath}' is not a non-negative number`);
  const now = call.clock();
  // No expires_in (RFC 6749 §5.1: only RECOMMENDED): the token's own exp when it is a JWT, else the entry's documented lifetime.
  const lifetimeMs = expiresIn ?? jwtLifetime(accessToken, now) ?? (rules.assumedLifetimeSeconds === null ? null : rules.assumedLifetimeSeconds * 1000);

  const given = valueAt(body, rules.refreshTokenPath);
  const givenRefreshToken = typeof given === 'string' && given !== '' ? given : null;
  const refreshIn = rules.refreshTokenExpiresInPath === null ? null : duration(valueAt(body, rules.refreshTokenExpiresInPath), rules);
  if (refreshIn === 'malformed') throw unusable(`'${rules.refreshTokenExpiresInPath}' is not a non-negative number`);
  // Whatever the entry says a refresh returns, a refresh token that is given is used: a
  // provider that starts rotating must not have its new token thrown away.
  const held = options.held;
  const refreshToken = givenRefreshToken ?? held?.refreshToken ?? null;
  const keptOld = givenRefreshToken === null && held !== undefined;
  const refreshExpiresAt = refreshIn !== null ? now + refreshIn : keptOld ? (held.refreshExpiresAt ?? null) : null;

  const scope = valueAt(body, 'scope');
  return {
    accessToken,
    tokenType: typeof tokenType === 'string' && tokenType !== '' ? (tokenType.toLowerCase() === 'bearer' ? 'Bearer' : tokenType) : 'Bearer',
    expiresAt: lifetimeMs === null ? null : now + lifetimeMs,
    refreshToken,
    refreshExpiresAt,
    scopes: typeof scope === 'string' ? scope.split(oauth.scopeSeparator).map((one) => one.trim()).filter((one) => one !== '') : null,
    metadata: keptMetadata(provider, body, options.metadata ?? {}),
    refreshTokenRotated: held !== undefined && givenRefreshToken !== null && givenRefreshToken !== held.refreshToken,
  };
}

/**
 * What is left of an access token that is a JWT with an `exp` claim, read and not verified: it
 * only says when to refresh (the provider judges the token). Null for an opaque token, or an exp
 * that is not a number in the future.
 */
function jwtLifetime(token: string, now: number): number | null {
  if (token.split('.').length !== 3) return null;
  let exp: unknown;
  try {
    exp = decodeJwt(token).exp;
  } catch {
    return null;
  }
  return typeof exp === 'number' && Number.isFinite(exp) && exp * 1000 > now ? Math.round(exp * 1000 - now) : null;
}

/** A lifetime in milliseconds, by the entry's unit; a number or a string of digits (some providers quote it). */
function duration(value: unknown, rules: TokenResponseRules): number | null | 'malformed' {
  if (value === undefined || value === null) return null;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number < 0) return 'malformed';
  return rules.expiresInUnit === 'milliseconds' ? Math.round(number) : Math.round(number * 1000);
}

/** The token response's share of the entry's kept metadata, over what the caller held; strings and numbers only. */
function keptMetadata(provider: Provider, body: Record<string, unknown>, held: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = { ...held };
  for (const item of provider.keptMetadata) {
    if (item.from !== 'token_response') continue;
    const value = valueAt(body, item.path);
    if (typeof value === 'string' && value !== '') kept[item.name] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) kept[item.name] = String(value);
  }
  return kept;
}
