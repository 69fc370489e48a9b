import { addAccountConnector } from '../../src/connectors/account-connector-admin.ts';
import { createAccount } from '../../src/connectors/account-admin.ts';
import { addAppConnector } from '../../src/connectors/app-connector-admin.ts';
import type { ConnectorOperationContext } from '../../src/connectors/connector-context.ts';
import type { RefreshSchedulerDeps } from '../../src/connectors/refresh/background-refresh-admin.ts';
import { createUpstreamClient } from '../../src/connectors/upstream/upstream-client.ts';
import { createVault } from '../../src/connectors/vault/vault.ts';
import type { Db } from '../../src/db/database.ts';
import { createSealer } from '../../src/keys/sealing.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createOrganization } from '../../src/orgs/orgs.ts';
import type { Organization } from '../../src/orgs/organization.ts';
import { createOutboundClient } from '../../src/outbound/outbound-client.ts';
import { CLI_OPERATOR } from '../../src/staff/actor.ts';
import type { OidcUpstream } from './oidc-upstream.ts';

// The connector hub set up through its use cases (no HTTP) for the background refresh's tests:
// an org, an `openid-connect` app connector on an oidc-provider upstream, an account, and
// connectors holding fresh grants of that upstream, imported as AuthValues. Time is the test's.

/** A clock the test moves by hand. */
export interface TestClock {
  readonly clock: Clock;
  advance(ms: number): void;
  now(): number;
}

export function testClock(start = Date.now()): TestClock {
  let now = start;
  return { clock: () => now, advance: (ms) => void (now += ms), now: () => now };
}

export interface HubFixture {
  readonly org: Organization;
  readonly appConnectorId: string;
  readonly accountId: string;
  /** A use-case context of the CLI's operator over `db`. */
  context(db: Db): ConnectorOperationContext;
  /** An account connector holding a fresh grant of the upstream whose token expires `expiresInMs` from the clock's now. */
  connect(options: { readonly expiresInMs: number }): Promise<{ readonly id: string; readonly refreshToken: string }>;
  /** What one scheduler process has of its own: a vault and an upstream client over `db`. */
  schedulerDeps(db: Db, options?: { readonly timeoutMs?: number }): RefreshSchedulerDeps;
}

export async function createHubFixture(db: Db, upstream: OidcUpstream, options: { readonly rootKey: Buffer; readonly clock: TestClock; readonly slug?: string }): Promise<HubFixture> {
  const { clock, rootKey } = options;
  const org = await createOrganization(db, systemClock, { slug: options.slug ?? 'acme' });
  const sealer = createSealer(rootKey);
  const context = (on: Db): ConnectorOperationContext => ({ db: on, clock: clock.clock, org, actor: CLI_OPERATOR, vault: createVault(on, sealer, clock.clock), allowHttpUrls: true });
  const ctx = context(db);
  const app = await addAppConnector(ctx, {
    provider: 'openid-connect',
    name: 'Upstream',
    clientId: upstream.clients.main.clientId,
    clientSecret: upstream.clients.main.clientSecret,
    scopes: ['openid'],
    config: { issuer: upstream.issuer },
  });
  const account = await createAccount(ctx, { name: 'Customer' });
  return {
    org,
    appConnectorId: app.id,
    accountId: account.id,
    context,
    async connect({ expiresInMs }) {
      const tokens = await upstream.obtainTokens(upstream.clients.main);
      const authValue = JSON.stringify({ AccessToken: tokens.accessToken, RefreshToken: tokens.refreshToken, Expires: new Date(clock.now() + expiresInMs).toISOString() });
      const connector = await addAccountConnector(ctx, account.id, { appConnectorId: app.id, authValue });
      return { id: connector.id, refreshToken: tokens.refreshToken };
    },
    schedulerDeps(on, schedulerOptions = {}) {
      const outbound = createOutboundClient({ allowPrivateNetwork: true, ...(schedulerOptions.timeoutMs === undefined ? {} : { timeoutMs: schedulerOptions.timeoutMs }) });
      return { db: on, clock: clock.clock, vault: createVault(on, sealer, clock.clock), upstream: createUpstreamClient({ outbound, allowHttp: true, clock: clock.clock }), allowHttpUrls: true, publicUrl: 'https://gatehouse.example' };
    },
  };
}
