import { setTimeout as sleep } from 'node:timers/promises';
import { inTransaction } from '../db/transaction.ts';
import { NotFoundError } from '../lib/errors.ts';
import { randomBase32 } from '../lib/random.ts';
import { recordOperation } from '../staff/actor.ts';
import { openSecretProperties } from './account-connector-admin.ts';
import * as repository from './account-connectors.repository.ts';
import { AuthorizationRequestError, InvalidTemplateValueError, MissingTemplateValueError } from './catalogue/catalogue-errors.ts';
import type { Provider } from './catalogue/provider.ts';
import { accountConnectorCredentialsAad, appConnectorSecretAad, type AccountConnector, type AppConnector, type Credentials, type RefreshFailure } from './connector.ts';
import type { ConnectorOperationContext } from './connector-context.ts';
import { reconnectLinks } from './connect/connect-deps.ts';
import { credentialsFromJson, credentialsToJson } from './credentials-codec.ts';
import {
  ConnectorCredentialsUnreadableError,
  ConnectorMisconfiguredError,
  ConnectorNeedsReauthError,
  ConnectorNotAuthenticatedError,
  CredentialsUnavailableError,
  VaultUnavailableError,
} from './credentials-errors.ts';
import { retryDelayMs } from './refresh/backoff.ts';
import { classifyRefreshFailure } from './refresh/failure.ts';
import { nextRefreshAt, refreshTokenLapsesAt } from './refresh/schedule.ts';
import type { AppCredentials, UpstreamClient } from './upstream/upstream-client.ts';
import { UpstreamMisconfigured, UpstreamRejected, UpstreamUnavailable } from './upstream/upstream-errors.ts';
import type { UpstreamTokens } from './upstream/upstream-tokens.ts';
import { DataKeyUnavailableError, VaultOpenError } from './vault/vault.ts';
import { publishEvent } from '../webhooks/publish.ts';

// An expiring token renewed exactly once, whatever the number of requests and processes: the
// race is settled in the database by a lease on the connector's row (migration 0013). The
// request whose conditional UPDATE takes it calls the provider outside any transaction (a
// transaction held over a network call would pin a connection and a lock for up to the outbound
// timeout), then stores the new tokens with one write conditional on the version it read, which
// also frees the lease. With rotating refresh tokens a second refresh would present a spent
// token, which providers with reuse detection answer by revoking the grant: hence "once".
// The others poll the version and hand out what the winner stored. The background refresh
// (refresh/scheduler.ts) takes the same lease and stores its outcome with the same code: a
// lease it cannot take is simply skipped. Each outcome is classified (refresh/failure.ts):
// success (next refresh scheduled, failures in a row cleared), grant gone (needs_reauth at
// once), or a failure to retry later (backoff, status unchanged: docs/decisions/0013).

export interface RefreshSettings {
  readonly refreshMarginMs: number;
  readonly leaseMs: number;
  readonly waitMs: number;
}

export interface RefreshContext extends ConnectorOperationContext {
  readonly upstream: UpstreamClient;
  /** PUBLIC_URL: connector.needs_reauth tells the org's backend where to reconnect. */
  readonly publicUrl: string;
}

export interface RefreshTarget {
  readonly connector: AccountConnector;
  readonly app: AppConnector;
  readonly provider: Provider;
}

/** Retry-After for a failure the provider gave no time for: a few seconds, the time a brief outage or a slow refresh takes. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * Whether the token may be handed out as it is: it expires later than the margin from now. A
 * token that lives less than twice the margin (a provider with 5-second tokens) gets half its
 * lifetime as margin, counted from when it was stored, or every read would refresh it again.
 */
export function isFresh(connector: Pick<AccountConnector, 'accessExpiresAt' | 'updatedAt'>, now: number, marginMs: number): boolean {
  if (connector.accessExpiresAt === null) return true;
  const margin = Math.min(marginMs, Math.max(0, (connector.accessExpiresAt - connector.updatedAt) / 2));
  return connector.accessExpiresAt - now > margin;
}

export async function openCredentials(ctx: ConnectorOperationContext, connector: AccountConnector): Promise<Credentials> {
  if (connector.sealedCredentials === null) throw new ConnectorNotAuthenticatedError('the account connector holds no credentials');
  let text: string;
  try {
    text = await ctx.vault.open(ctx.org.id, connector.sealedCredentials, accountConnectorCredentialsAad(connector.id));
  } catch (error) {
    // Not a bare 500: say what is wrong and who can fix it (the messages name ids, never a secret).
    if (error instanceof VaultOpenError) throw new ConnectorCredentialsUnreadableError(`the stored credentials do not open (${error.failure}); connect the account connector again`, { cause: error });
    if (error instanceof DataKeyUnavailableError) throw new VaultUnavailableError(`${error.message}: the server runs with another root key than the one that sealed them`, { cause: error });
    throw error;
  }
  return credentialsFromJson(text);
}

/**
 * Fresh credentials for a connector whose token expires within the margin (or that must obtain
 * its own): refreshed here if this request takes the lease, else those another request stored.
 */
export async function refreshUnderLease(
  ctx: RefreshContext,
  target: RefreshTarget,
  settings: RefreshSettings,
): Promise<{ readonly credentials: Credentials; readonly refreshedHere: boolean }> {
  const giveUpAt = Date.now() + settings.waitMs;
  let current = target.connector;
  for (;;) {
    const owner = randomBase32(16);
    const now = ctx.clock();
    const taken = await repository.takeRefreshLease(ctx.db, { orgId: ctx.org.id, id: current.id, expectedVersion: current.version }, { owner, expiresAt: now + settings.leaseMs, now });
    if (taken) return { credentials: await credentialsOf(ctx, await refreshHoldingLease(ctx, { ...target, connector: current }, owner), target.provider.id), refreshedHere: true };
    const seen = await waitForChange(ctx, current, giveUpAt);
    if (seen.version === current.version) continue; // the lease came free (released or expired): try to take it
    // Another request stored its outcome: hand out its token while it is valid, margin or not
    // (a provider whose tokens live less than the margin would otherwise be refreshed by every waiter).
    if (seen.status === 'needs_reauth') throw new ConnectorNeedsReauthError('the provider refused the connector\'s grant; connect it again (the connect flow or an AuthValue)');
    if (seen.status !== 'authenticated' || seen.sealedCredentials === null) throw new ConnectorNotAuthenticatedError('the account connector was deauthenticated');
    if (seen.accessExpiresAt === null || seen.accessExpiresAt > ctx.clock()) return { credentials: await openCredentials(ctx, seen), refreshedHere: false };
    current = seen;
  }
}

/** Polls the row with short, jittered sleeps until its version changes (the connector, reread) or the lease is free (the same connector). */
async function waitForChange(ctx: RefreshContext, current: AccountConnector, giveUpAt: number): Promise<AccountConnector> {
  for (let attempt = 0; ; attempt++) {
    const lease = await repository.findRefreshLease(ctx.db, ctx.org.id, current.id);
    if (lease === undefined) throw new NotFoundError('account connector', current.id);
    if (lease.version !== current.version) {
      const seen = await repository.findAccountConnector(ctx.db, ctx.org.id, current.id);
      if (seen === undefined) throw new NotFoundError('account connector', current.id);
      return seen;
    }
    if (lease.owner === null || (lease.expiresAt !== null && lease.expiresAt <= ctx.clock())) return current;
    if (Date.now() >= giveUpAt) throw new CredentialsUnavailableError('another request is refreshing this connector\'s token and has not finished', 1);
    await sleep(Math.min(200, 20 * 2 ** Math.min(attempt, 3)) + Math.random() * 30);
  }
}

/** How a refresh by the lease's holder ended; each already stored, and the lease freed. */
export type RefreshOutcome =
  | { readonly kind: 'refreshed'; readonly credentials: Credentials; readonly connector: AccountConnector }
  /** A staff change replaced the tokens (an import, a reconnect, a deauthentication) during the call: it stands. */
  | { readonly kind: 'superseded'; readonly connector: AccountConnector }
  | { readonly kind: 'needs_reauth'; readonly failure: RefreshFailure; readonly error: unknown }
  | { readonly kind: 'failed'; readonly failure: RefreshFailure; readonly error: unknown };

/** The endpoint's view of an outcome: the credentials, or the error it answers with. */
async function credentialsOf(ctx: RefreshContext, outcome: RefreshOutcome, provider: string): Promise<Credentials> {
  switch (outcome.kind) {
    case 'refreshed':
      return outcome.credentials;
    case 'superseded':
      if (outcome.connector.status !== 'authenticated' || outcome.connector.sealedCredentials === null) throw new ConnectorNotAuthenticatedError('the account connector was changed while its token was refreshed');
      return openCredentials(ctx, outcome.connector);
    case 'needs_reauth':
      throw outcome.error instanceof ConnectorNeedsReauthError
        ? outcome.error
        : new ConnectorNeedsReauthError(`the provider '${provider}' refused the refresh (${outcome.failure.code}); connect the account connector again`, { cause: outcome.error });
    case 'failed':
      throw asCredentialsError(outcome.error, provider);
  }
}

/**
 * The provider call and the write of its outcome, by the lease's holder (the credentials endpoint
 * or the scheduler). Returns the outcome, stored; throws only what is no refresh failure (the
 * store, a bug), after freeing the lease.
 */
export async function refreshHoldingLease(ctx: RefreshContext, target: RefreshTarget, owner: string): Promise<RefreshOutcome> {
  const { connector, provider } = target;
  let tokens: UpstreamTokens;
  try {
    tokens = await obtainTokens(ctx, target);
  } catch (error) {
    const classified = classifyRefreshFailure(error, provider);
    if (classified === null) {
      await repository.releaseRefreshLease(ctx.db, ctx.org.id, connector.id, owner);
      throw error;
    }
    const now = ctx.clock();
    const lapsesAt = provider.authMode === 'oauth2' ? refreshTokenLapsesAt(provider, { refreshExpiresAt: connector.refreshExpiresAt, storedAt: connector.lastRefreshedAt ?? connector.updatedAt }) : null;
    if (classified.kind === 'grant_gone' || (lapsesAt !== null && lapsesAt <= now)) {
      // The limit of retries: a refresh token past its lifetime is gone whatever the provider's outage says.
      const failure = classified.kind === 'grant_gone' ? classified.failure : { code: 'refresh_token_expired', description: `the refresh token lapsed while refreshes failed (last: ${classified.failure.code})` };
      if (await markNeedsReauth(ctx, connector, failure)) return { kind: 'needs_reauth', failure, error };
      return supersededBy(ctx, connector, owner);
    }
    if (await recordFailure(ctx, connector, classified.failure, classified.retryAfterSeconds)) return { kind: 'failed', failure: classified.failure, error };
    return supersededBy(ctx, connector, owner);
  }
  const credentials: Credentials = {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    tokenType: tokens.tokenType,
    accessExpiresAt: tokens.expiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    metadata: tokens.metadata,
  };
  // Sealed first, then one write: the rotated refresh token is stored before anything else can fail.
  const sealed = await ctx.vault.seal(ctx.org.id, credentialsToJson(credentials), accountConnectorCredentialsAad(connector.id));
  const renewable = credentials.refreshToken !== null || provider.authMode === 'oauth2_client_credentials';
  let base = connector;
  for (;;) {
    const now = ctx.clock();
    const next: AccountConnector = {
      ...base,
      status: 'authenticated',
      sealedCredentials: sealed,
      accessExpiresAt: credentials.accessExpiresAt,
      refreshExpiresAt: credentials.refreshExpiresAt,
      nextRefreshAt: nextRefreshAt(provider, { accessExpiresAt: credentials.accessExpiresAt, refreshExpiresAt: credentials.refreshExpiresAt, renewable }, now),
      lastRefreshedAt: now,
      lastRefreshError: null,
      refreshAttempts: 0,
      version: base.version + 1,
      updatedAt: Math.max(now, base.updatedAt + 1),
    };
    // One statement in the usual case; a recovery writes its announcement in the same transaction.
    const stored =
      base.refreshAttempts === 0
        ? await repository.storeRefreshOutcome(ctx.db, next, base.version)
        : await inTransaction(ctx.db, async (trx) => {
            if (!(await repository.storeRefreshOutcome(trx, next, base.version))) return false;
            await publishEvent(trx, { orgId: ctx.org.id, type: 'connector.recovered', data: { ...aboutConnector(next), failed_attempts: base.refreshAttempts }, occurredAt: now });
            return true;
          });
    if (stored) return { kind: 'refreshed', credentials, connector: next };
    // A staff change landed during the call. If it left the tokens alone (a name, a property),
    // ours go over it; if it replaced them (an import, a reconnect, a deauthentication), it wins.
    const seen = await repository.findAccountConnector(ctx.db, ctx.org.id, connector.id);
    if (seen === undefined) throw new NotFoundError('account connector', connector.id);
    if (seen.sealedCredentials !== connector.sealedCredentials || seen.status !== connector.status) return supersededBy(ctx, connector, owner);
    base = seen;
  }
}

async function obtainTokens(ctx: RefreshContext, target: RefreshTarget): Promise<UpstreamTokens> {
  const { connector, app, provider } = target;
  const client = await appCredentials(ctx, connector, app);
  const config = { ...app.config, ...connector.config };
  if (provider.authMode === 'oauth2_client_credentials') {
    return ctx.upstream.clientCredentials({ provider, client, scopes: app.scopes.length > 0 ? app.scopes : undefined, config });
  }
  const held = await openCredentials(ctx, connector);
  if (held.refreshToken === null) throw new ConnectorNeedsReauthError(`the access token expired and the provider '${provider.id}' gave no refresh token; connect the account connector again`);
  return ctx.upstream.refresh({ provider, client, refreshToken: held.refreshToken, refreshExpiresAt: held.refreshExpiresAt, config, metadata: held.metadata });
}

/** The connection's own ClientId / ClientSecret when set (the seed's app per customer), else the app connector's. */
async function appCredentials(ctx: ConnectorOperationContext, connector: AccountConnector, app: AppConnector): Promise<AppCredentials> {
  const secrets = await openSecretProperties(ctx, connector);
  const clientId = connector.properties['ClientId'] ?? app.clientId;
  const clientSecret = secrets['ClientSecret'] ?? (app.sealedClientSecret === null ? null : await ctx.vault.open(ctx.org.id, app.sealedClientSecret, appConnectorSecretAad(app.id)));
  if (clientId === null || clientSecret === null) throw new ConnectorMisconfiguredError('neither the account connector (ClientId, ClientSecret) nor its app connector (client_id, client_secret) holds the app\'s credentials');
  return { clientId, clientSecret };
}

/**
 * The outcome when the connector changed while this holder called the provider: its lease
 * expired and another refreshed (a hung call), or staff replaced the tokens. What is stored stands;
 * the lease is freed if still this holder's.
 */
async function supersededBy(ctx: RefreshContext, connector: AccountConnector, owner: string): Promise<RefreshOutcome> {
  await repository.releaseRefreshLease(ctx.db, ctx.org.id, connector.id, owner);
  const seen = await repository.findAccountConnector(ctx.db, ctx.org.id, connector.id);
  if (seen === undefined) throw new NotFoundError('account connector', connector.id);
  return { kind: 'superseded', connector: seen };
}

/** The grant is gone (refresh/failure.ts): the connector says so at once, unscheduled, and frees the lease in the same write. False when it changed meanwhile. */
async function markNeedsReauth(ctx: RefreshContext, connector: AccountConnector, failure: RefreshFailure): Promise<boolean> {
  const next: AccountConnector = {
    ...connector,
    status: 'needs_reauth',
    nextRefreshAt: null,
    lastRefreshError: failure,
    refreshAttempts: connector.refreshAttempts + 1,
    version: connector.version + 1,
    updatedAt: Math.max(ctx.clock(), connector.updatedAt + 1),
  };
  return inTransaction(ctx.db, async (trx) => {
    if (!(await repository.storeRefreshOutcome(trx, next, connector.version))) return false; // changed meanwhile (reconnected): that state stands
    await recordOperation(trx, ctx, {
      action: 'account_connector.needs_reauth',
      target: { type: 'account_connector', id: connector.id },
      details: { previous_status: connector.status, status: 'needs_reauth', error: failure.code },
    });
    await publishEvent(trx, {
      orgId: ctx.org.id,
      type: 'connector.needs_reauth',
      data: { ...aboutConnector(next), previous_status: connector.status, error: failure.code, error_description: failure.description, reconnect: reconnectLinks(ctx.publicUrl, ctx.org.slug, next) },
      occurredAt: next.updatedAt,
    });
    return true;
  });
}

/**
 * A failure a later attempt may not meet: counted, kept, and the next attempt put off by the
 * backoff (refresh/backoff.ts), the status unchanged; the lease freed in the same write.
 */
async function recordFailure(ctx: RefreshContext, connector: AccountConnector, failure: RefreshFailure, retryAfterSeconds: number | null): Promise<boolean> {
  const now = ctx.clock();
  const attempts = connector.refreshAttempts + 1;
  const next: AccountConnector = {
    ...connector,
    nextRefreshAt: connector.status === 'authenticated' ? now + retryDelayMs(attempts, { retryAfterSeconds }) : connector.nextRefreshAt,
    lastRefreshError: failure,
    refreshAttempts: attempts,
    version: connector.version + 1,
    updatedAt: Math.max(now, connector.updatedAt + 1),
  };
  return inTransaction(ctx.db, async (trx) => {
    if (!(await repository.storeRefreshOutcome(trx, next, connector.version))) return false; // changed meanwhile: that state stands
    // Announced once per streak, at its first failure (docs/decisions/0013): connector.recovered
    // or connector.needs_reauth ends it; the attempt count and next try are on the connector.
    if (attempts === 1) {
      await publishEvent(trx, {
        orgId: ctx.org.id,
        type: 'connector.refresh_failed',
        data: { ...aboutConnector(next), error: failure.code, error_description: failure.description, attempts, next_refresh_at: next.nextRefreshAt === null ? null : new Date(next.nextRefreshAt).toISOString() },
        occurredAt: now,
      });
    }
    return true;
  });
}

/** What every connector event says of its connector (as connector.connected does): ids and its name, nothing secret. */
function aboutConnector(connector: AccountConnector): Record<string, unknown> {
  return { account_connector_id: connector.id, account_id: connector.accountId, app_connector_id: connector.appConnectorId, name: connector.name, status: connector.status };
}

function asCredentialsError(error: unknown, provider: string): unknown {
  if (error instanceof UpstreamUnavailable) return new CredentialsUnavailableError(error.message, error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS, { cause: error });
  if (error instanceof UpstreamMisconfigured) return new ConnectorMisconfiguredError(error.message, { cause: error });
  if (error instanceof UpstreamRejected) return new ConnectorMisconfiguredError(`${error.message}: check the app's client credentials and the connector's config`, { cause: error });
  if (error instanceof MissingTemplateValueError || error instanceof InvalidTemplateValueError || error instanceof AuthorizationRequestError) {
    return new ConnectorMisconfiguredError(`provider '${provider}': ${error.message}`, { cause: error });
  }
  return error;
}
