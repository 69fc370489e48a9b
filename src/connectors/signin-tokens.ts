import type { Executor } from '../db/database.ts';
import { isForeignKeyViolation } from '../db/storage-error.ts';
import type { Clock } from '../lib/clock.ts';
import { NotFoundError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { randomBase64url } from '../lib/random.ts';
import { hashSecret } from '../lib/secrets.ts';
import { findOrCreateAccountUser } from './account-users.ts';
import { findAccount } from './accounts.repository.ts';
import type { ConnectorSignInToken } from './connector.ts';
import * as repository from './signin-tokens.repository.ts';

// The seed's sign-in tokens: the partner's backend asks for one for a user of one of its accounts
// (POST …/accounts/{AccountId}/signintoken) and hands it to that user's browser, which presents it
// once to start a connect flow. Whoever holds it may connect the account's connectors, so it is
// short-lived, single use, and kept only as its SHA-256.

/** How long a token may wait to be used: the seed's five minutes. */
export const SIGN_IN_TOKEN_TTL_MS = 5 * 60 * 1000;

/** 256 bits: far beyond guessing, so a SHA-256 of it is safe to store (lib/secrets.ts). */
const TOKEN_BYTES = 32;

/** Longer than any token we give out: a longer value is refused without hashing megabytes. */
const MAX_PRESENTED_LENGTH = 512;

export interface IssuedSignInToken {
  /** What the partner receives; never stored, never logged. */
  readonly token: string;
  readonly expiresAt: number;
  /** The row's id (`sit_…`), for audit events. */
  readonly tokenId: string;
  readonly userId: string;
  /** True when this call created the user (an unknown username). */
  readonly userCreated: boolean;
}

/**
 * A new sign-in token for `username` of the account. The account must be the org's
 * (NotFoundError otherwise: another org's account is not found); an unknown username creates the
 * user; a bad one is InvalidInputError on `Username`.
 */
export async function issueSignInToken(db: Executor, clock: Clock, orgId: string, accountId: string, username: string): Promise<IssuedSignInToken> {
  if ((await findAccount(db, orgId, accountId)) === undefined) throw new NotFoundError('account', accountId);
  const { user, created } = await findOrCreateAccountUser(db, clock, orgId, accountId, username);
  const token = randomBase64url(TOKEN_BYTES);
  const now = clock();
  const tokenId = newId('connectorSignInToken');
  const expiresAt = now + SIGN_IN_TOKEN_TTL_MS;
  try {
    await repository.insertSignInToken(db, { orgId, id: tokenId, tokenHash: hashSecret(token), accountId, userId: user.id, createdAt: now, expiresAt, usedAt: null });
  } catch (error) {
    // The account (and its user with it) was deleted since it was read.
    if (isForeignKeyViolation(error)) throw new NotFoundError('account', accountId);
    throw error;
  }
  return { token, expiresAt, tokenId, userId: user.id, userCreated: created };
}

/** Why a presented token is refused. `other_account`: valid, but for another account than the one expected (and left unused). */
export type SignInTokenRefusal = 'unknown' | 'used' | 'expired' | 'other_account';

export type SignInTokenUse =
  | { readonly accepted: true; readonly tokenId: string; readonly accountId: string; readonly userId: string }
  | { readonly accepted: false; readonly refusal: SignInTokenRefusal };

/** What each refusal means, in words fit for a person (an error page) or a log line: no token in them. */
export const SIGN_IN_TOKEN_REFUSALS: Readonly<Record<SignInTokenRefusal, string>> = {
  unknown: 'The sign-in token is not known: it is mistyped, of another organization, or was removed after it expired.',
  used: 'The sign-in token was already used; each one can be used once. Ask for a new one.',
  expired: 'The sign-in token has expired (they last five minutes). Ask for a new one.',
  other_account: 'The sign-in token was issued for another account.',
};

/**
 * Uses the token: one conditional update (unused, unexpired, of this org, and of
 * `options.accountId` when given) marks it used, so of any number of concurrent uses exactly one
 * is accepted. When nothing matched, the row (if any) is read to say why. A token refused as
 * `other_account` stays unused.
 */
export async function consumeSignInToken(db: Executor, clock: Clock, orgId: string, token: string, options: { readonly accountId?: string } = {}): Promise<SignInTokenUse> {
  if (token.length === 0 || token.length > MAX_PRESENTED_LENGTH) return { accepted: false, refusal: 'unknown' };
  const tokenHash = hashSecret(token);
  const now = clock();
  const used = await repository.useSignInToken(db, orgId, tokenHash, now, options.accountId);
  if (used !== undefined) return { accepted: true, tokenId: used.id, accountId: used.accountId, userId: used.userId };
  const stored = await repository.findSignInTokenByHash(db, orgId, tokenHash);
  return { accepted: false, refusal: refusalOf(stored, now, options.accountId) };
}

/**
 * Judges the token as consumeSignInToken would, without using it (undefined: it would be
 * accepted). The connect flow checks it before a provider call that may fail, and uses it only
 * once that call has succeeded, so that a provider down for a moment does not burn the link.
 */
export async function checkSignInToken(db: Executor, clock: Clock, orgId: string, token: string, options: { readonly accountId?: string } = {}): Promise<SignInTokenRefusal | undefined> {
  if (token.length === 0 || token.length > MAX_PRESENTED_LENGTH) return 'unknown';
  const stored = await repository.findSignInTokenByHash(db, orgId, hashSecret(token));
  const now = clock();
  if (stored !== undefined && stored.usedAt === null && stored.expiresAt > now && (options.accountId === undefined || stored.accountId === options.accountId)) return undefined;
  return refusalOf(stored, now, options.accountId);
}

function refusalOf(stored: ConnectorSignInToken | undefined, now: number, accountId: string | undefined): SignInTokenRefusal {
  if (stored === undefined) return 'unknown';
  if (stored.usedAt !== null) return 'used';
  if (stored.expiresAt <= now) return 'expired';
  if (accountId !== undefined && stored.accountId !== accountId) return 'other_account';
  // Unused and unexpired, yet not matched: it was used between the update and this read.
  return 'used';
}
