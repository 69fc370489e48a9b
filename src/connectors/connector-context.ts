import type { Db } from '../db/database.ts';
import type { Sealer } from '../keys/sealing.ts';
import type { Clock } from '../lib/clock.ts';
import type { OperationContext } from '../staff/actor.ts';
import { createOutboundClient, type OutboundClient } from '../outbound/outbound-client.ts';
import { createUpstreamClient, type UpstreamClient } from './upstream/upstream-client.ts';
import { createVault, type Vault } from './vault/vault.ts';

/** What the hub's staff operations need beyond any other's: the vault that seals their secrets. */
export interface ConnectorOperationContext extends OperationContext {
  readonly vault: Vault;
  /** http as well as https for URL config values: only with OUTBOUND_ALLOW_PRIVATE_NETWORK (development, tests). */
  readonly allowHttpUrls: boolean;
}

/** What the app gives the hub's routes: one vault per process, and where the org's pages are. */
export interface ConnectorServices {
  readonly vault: Vault;
  /** PUBLIC_URL: the redirect URI an app connector shows is under it. */
  readonly publicUrl: string;
  readonly allowHttpUrls: boolean;
  /** The process's OAuth client of the providers (refresh, client credentials), over its outbound client. */
  readonly upstream: UpstreamClient;
  /** The process's outbound client, which the upstream client calls through too: the API proxy's calls. */
  readonly outbound: OutboundClient;
}

/**
 * What one server process holds for the hub, once: the vault (its data keys cached), the outbound
 * client and the OAuth client of the providers over it (its discovery cached). The app's routes,
 * the background refresh and the webhook delivery of a process share them.
 */
export interface HubProcessServices {
  readonly vault: Vault;
  readonly outbound: OutboundClient;
  readonly upstream: UpstreamClient;
}

export function createHubProcessServices(db: Db, sealer: Sealer, clock: Clock, options: { readonly allowPrivateNetwork: boolean }): HubProcessServices {
  const outbound = createOutboundClient({ allowPrivateNetwork: options.allowPrivateNetwork });
  return {
    vault: createVault(db, sealer, clock),
    outbound,
    upstream: createUpstreamClient({ outbound, allowHttp: options.allowPrivateNetwork, clock }),
  };
}
