import { findConstituent } from '../../accounts/constituents.ts';
import type { Client } from '../../clients/clients.ts';
import { isLocalMachineHost } from '../../clients/redirect-uris.ts';
import { inTransaction } from '../../db/transaction.ts';
import { timeOrderedId } from '../../lib/ids.ts';
import { randomBase64url } from '../../lib/random.ts';
import { hashSecret } from '../../lib/secrets.ts';
import { splitScope } from '../../lib/scope.ts';
import type { OrgContext } from '../context.ts';
import { AccessDenied, ConsentRequired, LoginRequired, type OAuthError } from '../errors.ts';
import type { RawParams } from '../params.ts';
import type { PendingSignIns } from '../sessions/pending-sign-ins.ts';
import type { SsoSession } from '../sessions/sso-sessions.ts';
import {
  deleteInteraction,
  findConsentGrant,
  findInteraction,
  setInteractionAccount,
  upsertConsentGrant,
} from '../sessions/sessions.repository.ts';
import { mintOpaqueCredential } from '../credentials/credentials.ts';
import { insertCode } from '../credentials/credentials.repository.ts';
import { validateAuthorizationRequest, type AuthorizationRequest, type ResponseTarget } from './request.ts';

/** How long a constituent has to sign in and consent before the request must start again. */
const INTERACTION_TTL_MS = 30 * 60 * 1000;

export type AuthorizeOutcome =
  | { readonly kind: 'code'; readonly target: ResponseTarget; readonly code: string }
  | { readonly kind: 'error'; readonly target: ResponseTarget; readonly error: OAuthError }
  | { readonly kind: 'login'; readonly interactionId: string }
  | { readonly kind: 'consent'; readonly interactionId: string };

/** At the authorization endpoint only: the browser is signed in as staff, for whom a page is shown. */
export type StartOutcome = AuthorizeOutcome | { readonly kind: 'staff_session' };

/** An authorization request waiting for the constituent, as loaded for the sign-in and consent pages. */
export interface Interaction {
  readonly id: string;
  readonly client: Client;
  readonly request: AuthorizationRequest;
  readonly csrfToken: string;
  /** The constituent this interaction is for, once signed in (or taken from a live session). */
  readonly accountId: string | null;
}

/**
 * The authorization endpoint: validate, then decide with the browser's SSO session.
 * `bindingHash` is the SHA-256 of the browser-binding cookie that interactions are tied to;
 * `staffSignedIn` says the browser holds a staff session of this org; `ip` is the client's
 * address, whose network a new interaction is counted against in `pendingSignIns`.
 */
export async function startAuthorization(
  ctx: OrgContext,
  params: RawParams,
  browser: { readonly session: SsoSession | undefined; readonly bindingHash: string; readonly staffSignedIn: boolean; readonly ip: string },
  pendingSignIns: PendingSignIns,
): Promise<StartOutcome> {
  const { client, request } = await validateAuthorizationRequest(ctx, params);
  // Neon CRM: "Logged in as system user not supported". A staff session must not turn into a
  // constituent sign-in: a page offers to end it; but prompt=none allows no page at all (OpenID
  // Connect Core §3.1.2.1), so the client is told that the user must sign in.
  if (browser.staffSignedIn) {
    if (request.prompt.includes('none')) return { kind: 'error', target: targetOf(request), error: new LoginRequired('The user must sign in.') };
    return { kind: 'staff_session' };
  }
  const session = browser.session !== undefined && (await isActiveAccount(ctx, browser.session.accountId)) ? browser.session : undefined;
  return decide(ctx, client, request, { session, bindingHash: browser.bindingHash, interaction: null, pending: { ip: browser.ip, pendingSignIns } });
}

/** The interaction `id`, if it exists in this org, has not expired and belongs to this browser. */
export async function loadInteraction(ctx: OrgContext, id: string, bindingCookie: string | undefined): Promise<Interaction | undefined> {
  if (bindingCookie === undefined || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined;
  const stored = await findInteraction(ctx.db, ctx.org.id, id);
  if (stored === undefined || stored.expiresAt <= ctx.clock() || stored.browserBindingHash !== hashSecret(bindingCookie)) return undefined;
  const client = await ctx.findClient(stored.clientId);
  if (client === undefined || client.status !== 'active') return undefined;
  // The client id is stored once, in its column (see interactionFor); the rest is what
  // interactionFor stored, validated then.
  const request = { ...(stored.request as Omit<AuthorizationRequest, 'clientId'>), clientId: stored.clientId };
  return { id: stored.id, client, request, csrfToken: stored.csrfToken, accountId: stored.accountId };
}

/** After the constituent signed in on the interaction's page (and a session was started). */
export async function continueAfterSignIn(ctx: OrgContext, interaction: Interaction, session: SsoSession, bindingHash: string): Promise<AuthorizeOutcome> {
  await setInteractionAccount(ctx.db, ctx.org.id, interaction.id, session.accountId, session.authTime);
  return decide(ctx, interaction.client, interaction.request, { session, bindingHash, interaction: { ...interaction, accountId: session.accountId } });
}

/**
 * After Allow or Deny on the consent page. The browser's session must still be the constituent's
 * the interaction is for; otherwise the constituent signs in again.
 */
export async function continueAfterConsent(
  ctx: OrgContext,
  interaction: Interaction,
  session: SsoSession | undefined,
  decision: { readonly allow: boolean; readonly bindingHash: string },
): Promise<AuthorizeOutcome> {
  const target = targetOf(interaction.request);
  if (!decision.allow) {
    await deleteInteraction(ctx.db, ctx.org.id, interaction.id);
    return { kind: 'error', target, error: new AccessDenied('The user denied access to your application.') };
  }
  if (session === undefined || session.accountId !== interaction.accountId) return { kind: 'login', interactionId: interaction.id };
  const now = ctx.clock();
  const existing = await findConsentGrant(ctx.db, ctx.org.id, session.accountId, interaction.client.clientId);
  const scope = [...new Set([...splitScope(existing?.scope), ...interaction.request.scope])];
  await upsertConsentGrant(ctx.db, { orgId: ctx.org.id, accountId: session.accountId, clientId: interaction.client.clientId, scope: scope.join(' '), createdAt: now, updatedAt: now });
  return decide(ctx, interaction.client, interaction.request, { session, bindingHash: decision.bindingHash, interaction, consented: true });
}

type DecisionState = {
  readonly session: SsoSession | undefined;
  readonly bindingHash: string;
  readonly consented?: boolean;
} & (
  | {
      /** The interaction this decision continues; its accountId says sign-in already happened in it. */
      readonly interaction: Interaction;
    }
  | {
      readonly interaction: null;
      /** Where a new interaction is stored, and the client address it is counted against. */
      readonly pending: { readonly ip: string; readonly pendingSignIns: PendingSignIns };
    }
);

/**
 * OpenID Connect Core §3.1.2.3-4: sign in when there is no session, when prompt=login or
 * select_account, or when the last sign-in is older than max_age; ask consent when the client
 * requires it and the constituent has not allowed every requested scope before, or whenever
 * prompt=consent; prompt=none turns either need into an error instead of a page.
 */
async function decide(ctx: OrgContext, client: Client, request: AuthorizationRequest, state: DecisionState): Promise<AuthorizeOutcome> {
  const target = targetOf(request);
  const prompt = new Set(request.prompt);
  const signedInHere = state.interaction?.accountId != null && state.session?.accountId === state.interaction.accountId;
  const session = state.session;
  const tooOld = session !== undefined && request.maxAgeSeconds !== null && ctx.clock() - session.authTime > request.maxAgeSeconds * 1000;
  // prompt=select_account: the sign-in page is where a constituent picks the account (signing in
  // as someone else replaces the session), so it is shown as for prompt=login.
  const signInAsked = prompt.has('login') || prompt.has('select_account');
  if (session === undefined || (!signedInHere && (signInAsked || tooOld))) {
    if (prompt.has('none')) return { kind: 'error', target, error: new LoginRequired('The user must sign in.') };
    return { kind: 'login', interactionId: await interactionFor(ctx, request, state, null) };
  }

  if (state.consented !== true && (await mustAskConsent(ctx, client, request, session))) {
    if (prompt.has('none')) return { kind: 'error', target, error: new ConsentRequired('The user must consent.') };
    return { kind: 'consent', interactionId: await interactionFor(ctx, request, state, session) };
  }

  const interaction = state.interaction;
  // Completing an interaction consumes it with the code, atomically; a sign-in on an existing
  // session (no interaction) is the code's insert alone, which needs no transaction around it.
  const code =
    interaction === null
      ? await issueCode(ctx, ctx.db, client, request, session)
      : await inTransaction(ctx.db, async (trx) => ((await deleteInteraction(trx, ctx.org.id, interaction.id)) ? issueCode(ctx, trx, client, request, session) : undefined));
  // The interaction was completed by a concurrent request (a double submit): this one gets nothing.
  if (code === undefined) return { kind: 'error', target, error: new AccessDenied('This sign-in was already completed.') };
  return { kind: 'code', target, code };
}

/**
 * When the client requires consent and a requested scope was not allowed before; whenever
 * prompt=consent, whatever the client's setting and what was allowed before (OpenID Connect Core
 * §3.1.2.1: the server "SHOULD prompt the End-User for consent before returning information");
 * and at every request of a client whose identity this request cannot prove (isProvenClient).
 */
async function mustAskConsent(ctx: OrgContext, client: Client, request: AuthorizationRequest, session: SsoSession): Promise<boolean> {
  if (request.prompt.includes('consent')) return true;
  if (!isProvenClient(client, request.redirectUri)) return true;
  return client.consentRequired && (await scopesAwaitingConsent(ctx, session.accountId, client.clientId, request.scope)).length > 0;
}

/**
 * Whether a request naming this client can only come back to that client. RFC 8252 §8.6 (and
 * ASVS 5.0 10.7.1): unless the client's identity can be proven, the request "SHOULD be processed
 * as if no previous request had been approved", whatever was remembered and whatever the client's
 * consent setting: any app on the device can send a native app's client_id and receive the code.
 * - A confidential client proves itself at the token endpoint: a code is worthless without its secret.
 * - A public client's loopback redirect (RFC 8252 §7.3: any port, on a host every local program
 *   can listen on) and private-use scheme (§7.1, §8.4: any app can claim one) prove nothing.
 * - A public client's https redirect URI is taken as proof, as §8.6 allows ("claimed https scheme
 *   redirects MAY be accepted … as identity proof"): the code goes only to the host of that
 *   registered URI, which TLS authenticates (and, for a native app, the OS delivers a claimed
 *   https link only to the app the domain names); an impersonator can send the request but never
 *   receives the answer. That is the same assurance a browser-based (SPA) public client gives.
 * - Except on this machine's own hosts (`https://127.0.0.1:8443/cb`, `https://[::1]/cb`,
 *   `https://localhost/…`, isLocalMachineHost): registration takes them, but any local program can
 *   listen there, with a certificate as trusted as the real app's.
 */
function isProvenClient(client: Client, redirectUri: string): boolean {
  if (client.clientType === 'confidential') return true;
  const uri = URL.parse(redirectUri);
  return uri?.protocol === 'https:' && !isLocalMachineHost(uri.hostname);
}

async function interactionFor(ctx: OrgContext, request: AuthorizationRequest, state: DecisionState, session: SsoSession | null): Promise<string> {
  if (state.interaction !== null) return state.interaction.id;
  const id = randomBase64url(16);
  const now = ctx.clock();
  // What the later steps need, its parts bounded in size by request.ts; the client id once, in
  // its own column.
  const { clientId, ...stored } = request;
  await state.pending.pendingSignIns.store(ctx.db, {
    id,
    orgId: ctx.org.id,
    clientId,
    request: stored,
    browserBindingHash: state.bindingHash,
    csrfToken: randomBase64url(24),
    accountId: session?.accountId ?? null,
    authTime: session?.authTime ?? null,
    createdAt: now,
    expiresAt: now + INTERACTION_TTL_MS,
  }, state.pending.ip);
  return id;
}

/** A single-use code bound to client, redirect URI, PKCE challenge and the sign-in behind it. */
async function issueCode(ctx: OrgContext, db: Parameters<typeof insertCode>[0], client: Client, request: AuthorizationRequest, session: SsoSession): Promise<string> {
  const now = ctx.clock();
  const code = mintOpaqueCredential(now);
  const ttlSeconds = client.codeTtlSeconds ?? ctx.org.settings.codeTtlSeconds;
  await insertCode(db, {
    id: code.id,
    hash: code.hash,
    orgId: ctx.org.id,
    clientId: client.clientId,
    accountId: session.accountId,
    // Time-ordered like the tokens that will join it: their family index grows at its end.
    familyId: timeOrderedId(now),
    redirectUri: request.redirectUri,
    scope: request.scope.join(' '),
    nonce: request.nonce,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallenge === null ? null : 'S256',
    authTime: session.authTime,
    sessionId: session.id,
    createdAt: now,
    expiresAt: now + ttlSeconds * 1000,
  });
  return code.value;
}

/**
 * What the consent page asks about: with prompt=consent every requested scope; otherwise those
 * not allowed to this client before (all of them, should none be new by now).
 */
export async function scopesToAskAbout(ctx: OrgContext, interaction: Interaction, accountId: string): Promise<readonly string[]> {
  const { scope, prompt } = interaction.request;
  if (prompt.includes('consent')) return scope;
  const awaiting = await scopesAwaitingConsent(ctx, accountId, interaction.client.clientId, scope);
  return awaiting.length > 0 ? awaiting : scope;
}

/** The requested scopes the constituent has not allowed this client before. */
async function scopesAwaitingConsent(ctx: OrgContext, accountId: string, clientId: string, scope: readonly string[]): Promise<string[]> {
  const granted = new Set(splitScope((await findConsentGrant(ctx.db, ctx.org.id, accountId, clientId))?.scope));
  return scope.filter((s) => !granted.has(s));
}

export function targetOf(request: AuthorizationRequest): ResponseTarget {
  return { redirectUri: request.redirectUri, responseMode: request.responseMode, state: request.state };
}

async function isActiveAccount(ctx: OrgContext, accountId: string): Promise<boolean> {
  return (await findConstituent(ctx.db, ctx.org.id, accountId))?.status === 'active';
}
