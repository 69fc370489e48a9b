import { inTransaction } from '../db/transaction.ts';
import { throwIfInvalid } from '../lib/errors.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import type { ConstituentRecord } from './constituent.ts';
import {
  endSessionOfConstituent,
  endSessionsOfConstituent,
  grantsOfConstituent,
  revokeEverythingOfConstituent,
  revokeGrantOfConstituent,
  sessionsOfConstituent,
  type ConstituentGrant,
  type ConstituentSession,
} from './constituent-access-admin.ts';
import { changeConstituent, replaceConstituentPassword, setConstituentStatus, type ConstituentChange } from './constituent-changes.ts';
import { findConstituentsPage, type ConstituentPage, type ConstituentSearch } from './constituent-search.ts';
import { newConstituentErrors, registerConstituent, requireConstituent, type NewConstituent } from './constituents.ts';
import { preparePassword } from './passwords.ts';

// The staff operations on constituents, one function each, for the management API, the CLI and
// the console alike: each checks the actor's permission first, runs in one transaction (joining
// the caller's) and records its audit event in it.

/**
 * Creates a constituent, audited as `constituent.created`; without a password it cannot sign in
 * until one is set. Every bad field is named at once, and the password is hashed (argon2id, tens
 * of milliseconds) before the transaction, so the store's writers never wait on it.
 */
export async function addConstituent(ctx: OperationContext, input: NewConstituent): Promise<ConstituentRecord> {
  requirePermission(ctx.actor, 'constituents:write');
  throwIfInvalid(newConstituentErrors(input));
  const password = input.password === undefined ? undefined : await preparePassword(input.password);
  const profile = { username: input.username, email: input.email, name: input.name, attributes: input.attributes };
  return inTransaction(ctx.db, async (trx) => {
    const constituent = await registerConstituent(trx, ctx.clock, ctx.org.id, profile, password === undefined ? {} : { password });
    await recordOperation(trx, ctx, { action: 'constituent.created', target: { type: 'constituent', id: constituent.accountId }, details: { has_password: password !== undefined } });
    return constituent;
  });
}

/** The constituent, or NotFoundError (also for an account of another org: the two look alike). */
export async function getConstituent(ctx: OperationContext, accountId: string): Promise<ConstituentRecord> {
  requirePermission(ctx.actor, 'constituents:read');
  return requireConstituent(ctx.db, ctx.org.id, accountId);
}

/** One page of the org's constituents in creation order; every filter given must match. */
export async function searchConstituents(ctx: OperationContext, search: ConstituentSearch): Promise<ConstituentPage> {
  requirePermission(ctx.actor, 'constituents:read');
  return findConstituentsPage(ctx.db, ctx.org.id, search);
}

/** The names the audit log gives the fields of a change: the API's. */
const AUDITED_NAME: Readonly<Record<keyof ConstituentChange, string>> = {
  username: 'username',
  email: 'email',
  name: 'name',
  pictureUrl: 'picture_url',
  emailVerified: 'email_verified',
  attributes: 'attributes',
};
const isChangeField = (key: string): key is keyof ConstituentChange => Object.hasOwn(AUDITED_NAME, key);

/**
 * Changes a constituent's login name, email, name, picture, email verification or attributes
 * (constituent-changes.ts), audited as `constituent.updated` with the names of the fields given,
 * in the change's order, never their values (an email is personal data). A change of nothing is
 * not audited. With `expectedVersion` (If-Match), a concurrent change is StaleVersionError.
 */
export async function updateConstituent(ctx: OperationContext, accountId: string, change: ConstituentChange, options: { readonly expectedVersion?: number } = {}): Promise<ConstituentRecord> {
  requirePermission(ctx.actor, 'constituents:write');
  return inTransaction(ctx.db, async (trx) => {
    const constituent = await changeConstituent(trx, ctx.clock, ctx.org.id, accountId, change, options);
    const fields = Object.keys(change).filter(isChangeField).filter((key) => change[key] !== undefined);
    if (fields.length > 0) {
      await recordOperation(trx, ctx, { action: 'constituent.updated', target: { type: 'constituent', id: constituent.accountId }, details: { fields: fields.map((key) => AUDITED_NAME[key]).join(',') } });
    }
    return constituent;
  });
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
 * keeps working for one further request. Sign-in refuses a disabled account. Audited as
 * `constituent.disabled` with what it ended.
 */
export async function disableConstituent(ctx: OperationContext, accountId: string): Promise<DisabledConstituent> {
  requirePermission(ctx.actor, 'constituents:write');
  return inTransaction(ctx.db, async (trx) => {
    const now = await setConstituentStatus(trx, ctx.clock, ctx.org.id, accountId, 'disabled');
    const { sessionsEnded, familiesRevoked } = await revokeEverythingOfConstituent(trx, ctx.org.id, accountId, now);
    const constituent = await requireConstituent(trx, ctx.org.id, accountId);
    await recordOperation(trx, ctx, {
      action: 'constituent.disabled',
      target: { type: 'constituent', id: constituent.accountId },
      details: { sessions_ended: sessionsEnded, families_revoked: familiesRevoked },
    });
    return { constituent, sessionsEnded, familiesRevoked };
  });
}

/** Lets a disabled constituent sign in again; what disabling revoked stays revoked. Audited as `constituent.enabled`. */
export async function enableConstituent(ctx: OperationContext, accountId: string): Promise<ConstituentRecord> {
  requirePermission(ctx.actor, 'constituents:write');
  return inTransaction(ctx.db, async (trx) => {
    await setConstituentStatus(trx, ctx.clock, ctx.org.id, accountId, 'active');
    const constituent = await requireConstituent(trx, ctx.org.id, accountId);
    await recordOperation(trx, ctx, { action: 'constituent.enabled', target: { type: 'constituent', id: constituent.accountId } });
    return constituent;
  });
}

/**
 * Replaces the constituent's password and ends its SSO sessions, so whoever signed in with the
 * old one must sign in again; audited as `constituent.password_set`. The password is checked and
 * hashed before the transaction.
 */
export async function setConstituentPassword(ctx: OperationContext, accountId: string, password: string): Promise<{ constituent: ConstituentRecord; sessionsEnded: number }> {
  requirePermission(ctx.actor, 'constituents:write');
  const prepared = await preparePassword(password);
  return inTransaction(ctx.db, async (trx) => {
    const now = await replaceConstituentPassword(trx, ctx.clock, ctx.org.id, accountId, prepared);
    const sessionsEnded = await endSessionsOfConstituent(trx, ctx.org.id, accountId, now);
    const constituent = await requireConstituent(trx, ctx.org.id, accountId);
    await recordOperation(trx, ctx, { action: 'constituent.password_set', target: { type: 'constituent', id: constituent.accountId }, details: { sessions_ended: sessionsEnded } });
    return { constituent, sessionsEnded };
  });
}

/** The clients the constituent uses: the scopes it allowed each, and the authorizations still live. */
export async function listConstituentGrants(ctx: OperationContext, accountId: string): Promise<ConstituentGrant[]> {
  requirePermission(ctx.actor, 'constituents:read');
  return grantsOfConstituent(ctx.db, ctx.clock, ctx.org.id, accountId);
}

/**
 * Forgets the constituent's consent to the client and revokes every token the client holds for
 * it; audited as `grant.revoked`. NotFoundError when the client held nothing of it.
 */
export async function revokeConstituentGrant(ctx: OperationContext, accountId: string, clientId: string): Promise<{ familiesRevoked: number }> {
  requirePermission(ctx.actor, 'constituents:write');
  return inTransaction(ctx.db, async (trx) => {
    const revoked = await revokeGrantOfConstituent(trx, ctx.clock, ctx.org.id, accountId, clientId);
    await recordOperation(trx, ctx, { action: 'grant.revoked', target: { type: 'constituent', id: accountId }, details: { client_id: clientId, families_revoked: revoked.familiesRevoked } });
    return revoked;
  });
}

/** The constituent's live SSO sessions, newest first. */
export async function listConstituentSessions(ctx: OperationContext, accountId: string): Promise<ConstituentSession[]> {
  requirePermission(ctx.actor, 'constituents:read');
  return sessionsOfConstituent(ctx.db, ctx.clock, ctx.org.id, accountId);
}

/**
 * Signs the constituent out everywhere (every live SSO session ends; issued tokens are kept);
 * audited as `constituent.sessions_ended`. Returns how many ended.
 */
export async function endConstituentSessions(ctx: OperationContext, accountId: string): Promise<number> {
  requirePermission(ctx.actor, 'constituents:write');
  return inTransaction(ctx.db, async (trx) => {
    await requireConstituent(trx, ctx.org.id, accountId);
    const ended = await endSessionsOfConstituent(trx, ctx.org.id, accountId, ctx.clock());
    await recordOperation(trx, ctx, { action: 'constituent.sessions_ended', target: { type: 'constituent', id: accountId }, details: { sessions_ended: ended } });
    return ended;
  });
}

/**
 * Ends one live SSO session of the constituent (signs it out on that browser; issued tokens are
 * kept), named by the reference listConstituentSessions gives; audited as
 * `constituent.session_ended` with that reference. NotFoundError when no live session has it.
 */
export async function endConstituentSession(ctx: OperationContext, accountId: string, sessionId: string): Promise<void> {
  requirePermission(ctx.actor, 'constituents:write');
  return inTransaction(ctx.db, async (trx) => {
    await endSessionOfConstituent(trx, ctx.clock, ctx.org.id, accountId, sessionId);
    await recordOperation(trx, ctx, { action: 'constituent.session_ended', target: { type: 'constituent', id: accountId }, details: { session_id: sessionId } });
  });
}
