import { findClient } from '../clients/clients.ts';
import type { Executor } from '../db/database.ts';
import { isUniqueViolation } from '../db/storage-error.ts';
import { inTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { decodeCursor, encodeCursor } from '../lib/cursor.ts';
import { LostRaceError, retryOnceOnLostRace } from '../lib/concurrency.ts';
import { collectInvalid, ConflictError, InvalidInputError, NotFoundError, StaleVersionError, throwIfInvalid } from '../lib/errors.ts';
import { endEverySsoSessionOfAccount, forgetConsent, listConsentsOfAccount, listLiveSsoSessionsOf } from '../oauth/sessions/account-sessions.ts';
import { listLiveTokenFamiliesOfAccount, revokeEverythingOfAccount } from '../oauth/credentials/account-tokens.ts';
import { checkAttributeName } from '../orgs/custom-scopes.ts';
import { toConstituent, type Constituent } from './constituent.ts';
import { checkAttributes, createConstituent, setConstituentAttributes, type AttributeValue, type NewConstituent } from './constituents.ts';
import * as repository from './constituents.repository.ts';
import { checkLoginName, loginNameKey } from './identifiers.ts';
import { checkDisplayName, checkEmail, emailKey, hasControlCharacters } from '../lib/text-rules.ts';
import type { PreparedPassword } from './passwords.ts';

/** A constituent as its administrators see it: the account plus when it was created. */
export interface ConstituentRecord extends Constituent {
  readonly createdAt: number;
}

function toRecord(row: repository.ConstituentRow): ConstituentRecord {
  return { ...toConstituent(row), createdAt: row.created_at };
}

/** The constituent, or NotFoundError (also for an account of another org: the two look alike). */
export async function getConstituent(db: Executor, orgId: string, accountId: string): Promise<ConstituentRecord> {
  const row = await repository.findConstituentById(db, orgId, accountId);
  if (row === undefined) throw new NotFoundError('constituent', accountId);
  return toRecord(row);
}

export interface ConstituentSearch {
  readonly limit: number;
  /** Opaque, from a previous page's nextCursor. */
  readonly cursor?: string;
  /** Exact login name, compared as login names are unique (case-insensitive, NFKC). */
  readonly loginName?: string;
  /** Exact email, case-insensitive. */
  readonly email?: string;
  /** A prefix of the login name or of the email, case-insensitive. */
  readonly q?: string;
  readonly status?: 'active' | 'disabled';
  /** `name:value`: a custom attribute equal to value (`tier:gold`, `age:42`, `vip:true`). */
  readonly attribute?: string;
}

/** One page of the org's constituents in creation order; every filter given must match. */
export async function searchConstituents(db: Executor, orgId: string, search: ConstituentSearch): Promise<{ constituents: ConstituentRecord[]; nextCursor: string | null }> {
  const after = search.cursor === undefined ? undefined : decodeCursor(search.cursor, ['integer', 'string']);
  const rows = await repository.searchConstituentRows(
    db,
    orgId,
    {
      ...(search.loginName === undefined ? {} : { loginNameKey: loginNameKey(search.loginName.normalize('NFC')) }),
      ...(search.email === undefined ? {} : { emailKey: emailKey(search.email.trim()) }),
      ...(search.q === undefined ? {} : { prefix: { loginNameKey: loginNameKey(search.q.normalize('NFC')), emailKey: emailKey(search.q.trim()) } }),
      ...(search.status === undefined ? {} : { status: search.status }),
      ...(search.attribute === undefined ? {} : { attribute: parseAttributeFilter(search.attribute) }),
    },
    { limit: search.limit + 1, ...(after === undefined ? {} : { after: { createdAt: after[0] as number, accountId: after[1] as string } }) },
  );
  const page = rows.slice(0, search.limit);
  const last = page.at(-1);
  return { constituents: page.map(toRecord), nextCursor: rows.length > search.limit && last !== undefined ? encodeCursor([last.created_at, last.account_id]) : null };
}

function parseAttributeFilter(raw: string): { name: string; value: string } {
  const colon = raw.indexOf(':');
  if (colon <= 0) throw new InvalidInputError('attribute', `takes name:value, not '${raw}'`);
  return { name: checkAttributeName(raw.slice(0, colon), 'attribute'), value: raw.slice(colon + 1) };
}

/**
 * createConstituent with a password hashed beforehand (preparePassword), so that a caller's
 * transaction (with its audit event) never waits on argon2id.
 */
export async function registerConstituent(
  db: Executor,
  clock: Clock,
  orgId: string,
  input: Omit<NewConstituent, 'password'>,
  options: { readonly password?: PreparedPassword } = {},
): Promise<ConstituentRecord> {
  return inTransaction(db, async (trx) => {
    const { accountId } = await createConstituent(trx, clock, orgId, input);
    const created = await getConstituent(trx, orgId, accountId);
    if (options.password === undefined) return created;
    await repository.updateConstituentRow(trx, orgId, accountId, { password_hash: options.password.passwordHash }, created.updatedAt, created.updatedAt);
    return getConstituent(trx, orgId, accountId);
  });
}

/** An administrator's change; a field left out is kept, a null clears it. */
export interface ConstituentChange {
  readonly username?: string;
  readonly email?: string | null;
  readonly name?: string | null;
  readonly pictureUrl?: string | null;
  /** Without it, changing the email makes it unverified. */
  readonly emailVerified?: boolean;
  /** Merged into the attributes as setConstituentAttributes does: a null removes that attribute. */
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}


/** The `picture` claim's URL: https only (it is shown to other sites' users), no credentials. */
function checkPictureUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError('picture_url', 'must be an https URL');
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || hasControlCharacters(raw)) throw new InvalidInputError('picture_url', 'must be an https URL without credentials');
  if (url.href.length > 2048) throw new InvalidInputError('picture_url', 'must be at most 2048 characters');
  return url.href;
}

/**
 * What updateConstituent would refuse of this change without looking at the store, every bad
 * field named at once: the login name, email, name, picture URL and attributes given.
 */
export function constituentChangeErrors(change: ConstituentChange): readonly InvalidInputError[] {
  return judgeConstituentChange(change).errors;
}

function judgeConstituentChange(change: ConstituentChange) {
  const errors: InvalidInputError[] = [];
  // undefined keeps a field and null clears it: only a value is judged.
  const judge = <R>(value: string | null | undefined, check: (value: string) => R): R | null | undefined => (value == null ? value : collectInvalid(errors, () => check(value)));
  const checked = {
    username: judge(change.username, (raw) => checkLoginName(raw)) ?? undefined,
    email: judge(change.email, (raw) => checkEmail(raw)),
    name: judge(change.name, (raw) => checkDisplayName(raw)),
    pictureUrl: judge(change.pictureUrl, checkPictureUrl),
  };
  if (change.attributes !== undefined) collectInvalid(errors, () => checkAttributes(change.attributes!));
  return { errors, checked };
}

/**
 * Changes a constituent's profile and login name. With `expectedVersion` (the `updatedAt` the
 * caller last read), a concurrent change makes this fail instead of silently overwriting it;
 * without, the change applies on the current version (retryOnceOnLostRace).
 * Login names and emails stay unique per org, case-insensitively (ConflictError).
 */
export async function updateConstituent(
  db: Executor,
  clock: Clock,
  orgId: string,
  accountId: string,
  change: ConstituentChange,
  options: { readonly expectedVersion?: number } = {},
): Promise<ConstituentRecord> {
  const { errors, checked } = judgeConstituentChange(change);
  throwIfInvalid(errors);
  const { username, email, name, pictureUrl } = checked;

  return inTransaction(db, (trx) => retryOnceOnLostRace('the constituent', options.expectedVersion, async () => {
    const current = await repository.findConstituentById(trx, orgId, accountId);
    if (current === undefined) throw new NotFoundError('constituent', accountId);
    if (options.expectedVersion !== undefined && options.expectedVersion !== current.updated_at) {
      throw new StaleVersionError(`the constituent changed since version ${options.expectedVersion}; read it again`);
    }
    if (Object.values(change).every((value) => value === undefined)) return toRecord(current);

    const row: repository.ConstituentRowChange = {};
    const newLoginKey = username === undefined ? current.login_name_key : loginNameKey(username);
    const newEmailKey = email === undefined ? current.email_key : email === null ? null : emailKey(email);
    const taken = await repository.findTakenIdentifiers(trx, orgId, { loginNameKey: newLoginKey, emailKey: newEmailKey });
    if (username !== undefined) {
      if (newLoginKey !== current.login_name_key && taken.loginName) throw new ConflictError('username', `the login name '${username}' is already taken in this organization`);
      Object.assign(row, { login_name: username, login_name_key: newLoginKey });
    }
    if (email !== undefined) {
      if (newEmailKey !== current.email_key && taken.email) throw new ConflictError('email', `the email '${email}' already belongs to an account of this organization`);
      Object.assign(row, { email, email_key: newEmailKey });
      // A new address has not been shown to belong to the constituent, whatever the old one was.
      if (newEmailKey !== current.email_key) row.email_verified = 0;
    }
    if (change.emailVerified !== undefined) row.email_verified = change.emailVerified ? 1 : 0;
    if (name !== undefined) row.display_name = name;
    if (pictureUrl !== undefined) row.picture_url = pictureUrl;

    const now = Math.max(clock(), current.updated_at + 1);
    try {
      if (!(await repository.updateConstituentRow(trx, orgId, accountId, row, current.updated_at, now))) {
        throw new LostRaceError();
      }
    } catch (error) {
      // A concurrent change took the login name or email between our check and our update.
      if (isUniqueViolation(error)) throw new ConflictError(username === undefined ? 'email' : 'username', 'the login name or email is already taken in this organization');
      throw error;
    }
    if (change.attributes !== undefined) await setConstituentAttributes(trx, () => now, orgId, accountId, change.attributes);
    return getConstituent(trx, orgId, accountId);
  }));
}

/** What disabling ended, for the audit log. */
export interface DisabledConstituent {
  readonly constituent: ConstituentRecord;
  readonly sessionsEnded: number;
  readonly familiesRevoked: number;
}

/**
 * Disables a constituent and, in the same transaction, ends its SSO sessions, revokes every token
 * family (with their access and refresh tokens) and expires its unredeemed codes: nothing it held
 * keeps working for one further request. Sign-in refuses a disabled account.
 */
export async function disableConstituent(db: Executor, clock: Clock, orgId: string, accountId: string): Promise<DisabledConstituent> {
  return inTransaction(db, async (trx) => {
    const now = await setStatus(trx, clock, orgId, accountId, 'disabled');
    const sessionsEnded = await endEverySsoSessionOfAccount(trx, orgId, accountId, now);
    const familiesRevoked = await revokeEverythingOfAccount(trx, orgId, accountId, now);
    return { constituent: await getConstituent(trx, orgId, accountId), sessionsEnded, familiesRevoked };
  });
}

/** Lets a disabled constituent sign in again; what disabling revoked stays revoked. */
export async function enableConstituent(db: Executor, clock: Clock, orgId: string, accountId: string): Promise<ConstituentRecord> {
  return inTransaction(db, async (trx) => {
    await setStatus(trx, clock, orgId, accountId, 'active');
    return getConstituent(trx, orgId, accountId);
  });
}

/** Sets the status; returns the time written as updated_at. */
async function setStatus(db: Executor, clock: Clock, orgId: string, accountId: string, status: 'active' | 'disabled'): Promise<number> {
  return retryOnceOnLostRace('the constituent', undefined, async () => {
    const current = await getConstituent(db, orgId, accountId);
    const now = Math.max(clock(), current.updatedAt + 1);
    if (!(await repository.updateConstituentRow(db, orgId, accountId, { status }, current.updatedAt, now))) throw new LostRaceError();
    return now;
  });
}

/**
 * Replaces the constituent's password (hashed beforehand by preparePassword) and ends its SSO
 * sessions, so whoever signed in with the old one must sign in again.
 */
export async function setConstituentPassword(db: Executor, clock: Clock, orgId: string, accountId: string, password: PreparedPassword): Promise<{ constituent: ConstituentRecord; sessionsEnded: number }> {
  return inTransaction(db, async (trx) => {
    const now = await retryOnceOnLostRace('the constituent', undefined, async () => {
      const current = await getConstituent(trx, orgId, accountId);
      const now = Math.max(clock(), current.updatedAt + 1);
      if (!(await repository.updateConstituentRow(trx, orgId, accountId, { password_hash: password.passwordHash }, current.updatedAt, now))) throw new LostRaceError();
      return now;
    });
    const sessionsEnded = await endEverySsoSessionOfAccount(trx, orgId, accountId, now);
    return { constituent: await getConstituent(trx, orgId, accountId), sessionsEnded };
  });
}

/** A client the constituent uses: what it allowed it (consent), and the authorizations still live. */
export interface ConstituentGrant {
  readonly clientId: string;
  readonly clientName: string | null;
  /** The scopes consented to; null when the client needs no consent and none was recorded. */
  readonly consent: { readonly scope: string; readonly createdAt: number; readonly updatedAt: number } | null;
  readonly tokenFamilies: ReadonlyArray<{ readonly id: string; readonly scope: string; readonly createdAt: number; readonly expiresAt: number }>;
}

/** Every client with a consent grant or a live token family of the constituent, in order of first use. */
export async function listConstituentGrants(db: Executor, clock: Clock, orgId: string, accountId: string): Promise<ConstituentGrant[]> {
  await getConstituent(db, orgId, accountId);
  const consents = await listConsentsOfAccount(db, orgId, accountId);
  const families = await listLiveTokenFamiliesOfAccount(db, orgId, accountId, clock());
  const clientIds = [...new Set([...consents.map((c) => c.clientId), ...families.map((f) => f.clientId)])];
  const grants: ConstituentGrant[] = [];
  for (const clientId of clientIds) {
    const consent = consents.find((c) => c.clientId === clientId);
    grants.push({
      clientId,
      clientName: (await findClient(db, orgId, clientId))?.name ?? null,
      consent: consent === undefined ? null : { scope: consent.scope, createdAt: consent.createdAt, updatedAt: consent.updatedAt },
      tokenFamilies: families.filter((f) => f.clientId === clientId).map((f) => ({ id: f.id, scope: f.scope, createdAt: f.createdAt, expiresAt: f.expiresAt })),
    });
  }
  return grants;
}

/**
 * Forgets the constituent's consent to the client and revokes what the client holds for it
 * (token families, unredeemed codes): the next authorization asks again. NotFoundError when the
 * client had neither a consent nor a live family of this constituent.
 */
export async function revokeConstituentGrant(db: Executor, clock: Clock, orgId: string, accountId: string, clientId: string): Promise<{ familiesRevoked: number }> {
  return inTransaction(db, async (trx) => {
    await getConstituent(trx, orgId, accountId);
    const now = clock();
    const forgotten = await forgetConsent(trx, orgId, accountId, clientId);
    const familiesRevoked = await revokeEverythingOfAccount(trx, orgId, accountId, now, { clientId });
    if (!forgotten && familiesRevoked === 0) throw new NotFoundError('grant', clientId);
    return { familiesRevoked };
  });
}

/** A live SSO session, named by a short reference: never its cookie, nor the whole stored hash. */
export interface ConstituentSession {
  readonly id: string;
  readonly authTime: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export async function listConstituentSessions(db: Executor, clock: Clock, orgId: string, accountId: string): Promise<ConstituentSession[]> {
  await getConstituent(db, orgId, accountId);
  const sessions = await listLiveSsoSessionsOf(db, orgId, accountId, clock());
  return sessions.map((session) => ({ id: session.reference, authTime: session.authTime, createdAt: session.createdAt, expiresAt: session.expiresAt }));
}

/** Ends every live SSO session of the constituent (signs it out everywhere); returns how many. */
export async function endConstituentSessions(db: Executor, clock: Clock, orgId: string, accountId: string): Promise<number> {
  return inTransaction(db, async (trx) => {
    await getConstituent(trx, orgId, accountId);
    return endEverySsoSessionOfAccount(trx, orgId, accountId, clock());
  });
}
