import type { Executor } from '../db/database.ts';
import { isForeignKeyViolation } from '../db/storage-error.ts';
import type { Clock } from '../lib/clock.ts';
import { InvalidInputError, NotFoundError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { hasControlCharacters } from '../lib/text-rules.ts';
import * as repository from './accounts.repository.ts';
import type { ConnectorAccountUser } from './connector.ts';

// The users of an account: the seed's sign-in token call names one by `Username` and creates it on
// first use. A username is the partner's own identifier, kept exactly as sent (no case folding).

export const MAX_USERNAME_LENGTH = 200;

export function checkAccountUsername(username: string, field = 'Username'): string {
  if (username.length === 0 || username.length > MAX_USERNAME_LENGTH || hasControlCharacters(username)) {
    throw new InvalidInputError(field, `must be 1 to ${MAX_USERNAME_LENGTH} characters without control characters`);
  }
  return username;
}

/**
 * The account's user of this username, created if it has none. Concurrent first uses create one
 * user (the store's unique key settles the race) and all get it. An unknown account (or another
 * organization's) is NotFoundError.
 */
export async function findOrCreateAccountUser(db: Executor, clock: Clock, orgId: string, accountId: string, username: string): Promise<{ readonly user: ConnectorAccountUser; readonly created: boolean }> {
  checkAccountUsername(username);
  const existing = await repository.findAccountUser(db, orgId, accountId, username);
  if (existing !== undefined) return { user: existing, created: false };
  const candidate: ConnectorAccountUser = { accountId, id: newId('connectorAccountUser'), username, createdAt: clock() };
  try {
    await repository.insertAccountUserIfAbsent(db, orgId, candidate);
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new NotFoundError('account', accountId);
    throw error;
  }
  const user = await repository.findAccountUser(db, orgId, accountId, username);
  if (user === undefined) throw new NotFoundError('account', accountId);
  return { user, created: user.id === candidate.id };
}
