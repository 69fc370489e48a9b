import type { Executor } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { randomBase32 } from '../../lib/random.ts';
import type { Organization } from '../../orgs/organization.ts';
import { findOrganizationById } from '../../orgs/orgs.ts';
import type { Actor } from '../../staff/actor.ts';
import * as repository from '../account-connectors.repository.ts';
import * as appConnectors from '../app-connectors.repository.ts';
import { findProvider } from '../catalogue/catalogue.ts';
import type { AccountConnector, AppConnector, RefreshFailure } from '../connector.ts';
import { CREDENTIALS_DEFAULTS } from '../credentials-admin.ts';
import { refreshHoldingLease, type RefreshContext, type RefreshOutcome } from '../credentials-refresh-admin.ts';
import type { UpstreamClient } from '../upstream/upstream-client.ts';
import type { Vault } from '../vault/vault.ts';

// The background refresh (issue 12, docs/decisions/0013), a use case of the server itself (its
// audit actor is `system`): every server process runs one, started
// by main.ts. Each pass reads the due connectors of every organization in small batches through
// the index on next_refresh_at, takes each one's lease (the very lease of the credentials
// endpoint, migration 0013: whoever takes it refreshes, the others skip or wait) and refreshes a
// few at a time. A lease not taken is no failure: another process (or a request) is on it.

export interface RefreshSchedulerDeps {
  readonly db: Executor;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly upstream: UpstreamClient;
  /** http: URLs in connector config (OUTBOUND_ALLOW_PRIVATE_NETWORK). */
  readonly allowHttpUrls: boolean;
  /** PUBLIC_URL, for the reconnect links of connector.needs_reauth. */
  readonly publicUrl: string;
}

export interface RefreshSchedulerSettings {
  /** Connectors read per scan. */
  readonly batchSize: number;
  /** Refreshes in flight at once in this process. */
  readonly concurrency: number;
  /** How long a lease holds against a holder that died; longer than the outbound timeout. */
  readonly leaseMs: number;
  /** Time between passes (each pass drains what is due). */
  readonly intervalMs: number;
}

export const SCHEDULER_DEFAULTS: RefreshSchedulerSettings = Object.freeze({
  batchSize: 50,
  concurrency: 8,
  leaseMs: CREDENTIALS_DEFAULTS.leaseMs,
  intervalMs: 15_000,
});

/** Who acts in the audit events of the background refresh: no person, no key. */
export const REFRESH_SCHEDULER_ACTOR: Actor = Object.freeze({ type: 'system', id: null, staffUserId: null, ip: null, permissions: new Set<never>() });

/** One connector's outcome in a pass, for the log: ids and the failure's code and description, never a token. */
export interface ConnectorRefreshReport {
  readonly orgId: string;
  readonly accountConnectorId: string;
  readonly outcome: RefreshOutcome['kind'] | 'not_leased' | 'error';
  readonly failure?: RefreshFailure;
  readonly error?: unknown;
}

export interface RefreshPassReport {
  readonly refreshed: number;
  readonly failed: number;
  readonly needsReauth: number;
  /** Leases another process or request held or took first, connectors changed meanwhile. */
  readonly skipped: number;
  /** Errors that are no refresh failure (the store): the connector is tried again next pass. */
  readonly errors: number;
}

/**
 * One pass: refreshes every connector due now, batch after batch, until a scan finds none it has
 * not tried in this pass (one it failed on, or whose lease it could not take, waits for the next).
 */
export async function refreshDue(
  deps: RefreshSchedulerDeps,
  settings: RefreshSchedulerSettings = SCHEDULER_DEFAULTS,
  onConnector?: (report: ConnectorRefreshReport) => void,
): Promise<RefreshPassReport> {
  const counts = { refreshed: 0, failed: 0, needsReauth: 0, skipped: 0, errors: 0 };
  const tried = new Set<string>();
  const orgs = new Map<string, Promise<Organization | undefined>>();
  const apps = new Map<string, Promise<AppConnector | undefined>>();
  for (;;) {
    const due = (await repository.listDueForRefresh(deps.db, deps.clock(), settings.batchSize)).filter((connector) => !tried.has(connector.id));
    if (due.length === 0) return counts;
    for (const connector of due) tried.add(connector.id);
    await eachWithConcurrency(due, settings.concurrency, async (connector) => {
      const report = await refreshOne(deps, settings, connector, {
        org: () => cached(orgs, connector.orgId, () => findOrganizationById(deps.db, connector.orgId)),
        app: () => cached(apps, `${connector.orgId}/${connector.appConnectorId}`, () => appConnectors.findAppConnector(deps.db, connector.orgId, connector.appConnectorId)),
      });
      if (report.outcome === 'refreshed') counts.refreshed += 1;
      else if (report.outcome === 'failed') counts.failed += 1;
      else if (report.outcome === 'needs_reauth') counts.needsReauth += 1;
      else if (report.outcome === 'error') counts.errors += 1;
      else counts.skipped += 1;
      onConnector?.(report);
    });
  }
}

async function refreshOne(
  deps: RefreshSchedulerDeps,
  settings: RefreshSchedulerSettings,
  connector: AccountConnector,
  load: { readonly org: () => Promise<Organization | undefined>; readonly app: () => Promise<AppConnector | undefined> },
): Promise<ConnectorRefreshReport> {
  const about = { orgId: connector.orgId, accountConnectorId: connector.id };
  try {
    const [org, app] = await Promise.all([load.org(), load.app()]);
    const provider = app === undefined ? undefined : findProvider(app.provider);
    if (org === undefined || app === undefined) return { ...about, outcome: 'superseded' }; // deleted meanwhile
    const owner = randomBase32(16);
    const now = deps.clock();
    const taken = await repository.takeRefreshLease(deps.db, { orgId: connector.orgId, id: connector.id, expectedVersion: connector.version }, { owner, expiresAt: now + settings.leaseMs, now });
    if (!taken) return { ...about, outcome: 'not_leased' };
    if (provider === undefined || provider.oauth === null) {
      // A provider removed from the catalogue, or no longer OAuth: nothing to refresh; unscheduled, kept as it is.
      await repository.storeRefreshOutcome(deps.db, { ...connector, nextRefreshAt: null, version: connector.version + 1, updatedAt: Math.max(now, connector.updatedAt + 1) }, connector.version);
      return { ...about, outcome: 'superseded' };
    }
    const ctx: RefreshContext = { db: deps.db, clock: deps.clock, org, actor: REFRESH_SCHEDULER_ACTOR, vault: deps.vault, upstream: deps.upstream, allowHttpUrls: deps.allowHttpUrls, publicUrl: deps.publicUrl };
    const outcome = await refreshHoldingLease(ctx, { connector, app, provider }, owner);
    return { ...about, outcome: outcome.kind, ...(outcome.kind === 'failed' || outcome.kind === 'needs_reauth' ? { failure: outcome.failure } : {}) };
  } catch (error) {
    return { ...about, outcome: 'error', error };
  }
}

function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (value === undefined) {
    value = load();
    cache.set(key, value);
  }
  return value;
}

async function eachWithConcurrency<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

export interface RefreshSchedulerReports {
  /** After each pass that did something. */
  readonly pass?: (report: RefreshPassReport) => void;
  /** Each connector's failure, needs_reauth or error: what to log (ids, codes; never a secret). */
  readonly connector?: (report: ConnectorRefreshReport) => void;
  /** A pass that failed as a whole (the store unreachable); the next is tried at the next interval. */
  readonly failed?: (error: unknown) => void;
}

/**
 * Runs refreshDue every `intervalMs` (never two passes at once) until stopped. Started by main.ts
 * in every server process, never by buildApp: an app built for a test or a CLI command refreshes
 * nothing behind its back.
 */
export function startRefreshScheduler(
  deps: RefreshSchedulerDeps,
  reports: RefreshSchedulerReports = {},
  settings: RefreshSchedulerSettings = SCHEDULER_DEFAULTS,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const pass = (): void => {
    if (running !== undefined || stopped) return;
    running = refreshDue(deps, settings, (report) => {
      if (report.outcome !== 'refreshed' && report.outcome !== 'not_leased' && report.outcome !== 'superseded') reports.connector?.(report);
    })
      .then((report) => {
        if (report.refreshed + report.failed + report.needsReauth + report.errors > 0) reports.pass?.(report);
      }, reports.failed)
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(pass, settings.intervalMs);
  // The schedule never keeps the process alive by itself.
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
