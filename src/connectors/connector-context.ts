import type { OperationContext } from '../staff/actor.ts';
import type { OutboundClient } from '../outbound/outbound-client.ts';
import type { UpstreamClient } from './upstream/upstream-client.ts';
import type { Vault } from './vault/vault.ts';

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
