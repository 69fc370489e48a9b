import type { ClientAuthNetworks } from './client.ts';

/**
 * A client's usual places: the networks it authenticated from recently, kept on its row
 * (`clients.auth_networks`) so that every server process sees them and a restart keeps them.
 * From one of them, failed client authentication by others never locks the client out
 * (oauth/client-auth.ts): anyone may send wrong secrets for a client id, which is public, but not
 * from where the client itself runs. A network is named by a keyed pseudonym of its key
 * (lib/client-network.ts: an IPv4 address, an IPv6 /64), never by an address.
 *
 * Written at a success from a network not in the list, or whose entry is older than
 * AUTH_NETWORK_REFRESH_MS: at most about one write per client and network a day, never otherwise
 * (the token endpoint is a hot path). The repository reads and writes the list
 * (clients.repository.ts); these are its rules.
 */

/** A network is the client's usual place this long after its last recorded success from there. */
export const AUTH_NETWORK_TTL_MS = 30 * 24 * 3600 * 1000;
/** A success from a network whose entry is older than this writes it again. */
export const AUTH_NETWORK_REFRESH_MS = 24 * 3600 * 1000;
/** Networks kept per client, the least recently seen dropped first. */
export const MAX_AUTH_NETWORKS = 16;

/** True when the client succeeded from `network` within AUTH_NETWORK_TTL_MS. */
export function isUsualAuthNetwork(networks: ClientAuthNetworks, network: string, now: number): boolean {
  const time = networks.lastSeen.get(network);
  return time !== undefined && now - time < AUTH_NETWORK_TTL_MS;
}

/** True when a success from `network` now should be written: it is not in the list, or its entry is older than AUTH_NETWORK_REFRESH_MS. */
export function authNetworkNeedsRecording(networks: ClientAuthNetworks, network: string, now: number): boolean {
  const time = networks.lastSeen.get(network);
  return time === undefined || now - time >= AUTH_NETWORK_REFRESH_MS;
}

/** The list once the client succeeded from `network` now: expired entries dropped, the newest MAX_AUTH_NETWORKS kept, most recent first. */
export function withAuthNetwork(networks: ClientAuthNetworks, network: string, now: number): Map<string, number> {
  const entries = [...networks.lastSeen].filter(([other, time]) => other !== network && now - time < AUTH_NETWORK_TTL_MS);
  entries.sort((a, b) => b[1] - a[1]);
  return new Map([[network, now], ...entries.slice(0, MAX_AUTH_NETWORKS - 1)]);
}
