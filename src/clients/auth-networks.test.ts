import { describe, expect, it } from 'vitest';
import { AUTH_NETWORK_REFRESH_MS, AUTH_NETWORK_TTL_MS, authNetworkNeedsRecording, isUsualAuthNetwork, MAX_AUTH_NETWORKS, withAuthNetwork } from './auth-networks.ts';
import { authNetworksText, parseAuthNetworks } from './clients.repository.ts';

describe("a client's usual networks", () => {
  const stored = (entries: ReadonlyArray<readonly [string, number]>) => parseAuthNetworks(authNetworksText(new Map(entries)));

  it('are stored as a JSON list of network pseudonyms and times, and read back', () => {
    expect(authNetworksText(new Map([['n1', 5]]))).toBe('[{"network":"n1","last_seen_ms":5}]');
    const networks = stored([['n1', 5], ['n2', 7]]);
    expect([...networks.lastSeen]).toEqual([['n1', 5], ['n2', 7]]);
    expect(networks.stored).toBe('[{"network":"n1","last_seen_ms":5},{"network":"n2","last_seen_ms":7}]');
  });

  it('read nothing from a malformed value, and skip malformed entries', () => {
    for (const text of ['', 'nope', '{}', 'null', '[1,null,{"network":3,"last_seen_ms":1},{"network":"n","last_seen_ms":"1"}]']) {
      expect(parseAuthNetworks(text).lastSeen.size).toBe(0);
    }
    expect(parseAuthNetworks('[null,{"network":"n","last_seen_ms":1}]').lastSeen).toEqual(new Map([['n', 1]]));
  });

  it(`are the client's usual places for ${AUTH_NETWORK_TTL_MS / 86_400_000} days after its last success`, () => {
    const networks = stored([['n1', 1000]]);
    expect(isUsualAuthNetwork(networks, 'n1', 1000 + AUTH_NETWORK_TTL_MS - 1)).toBe(true);
    expect(isUsualAuthNetwork(networks, 'n1', 1000 + AUTH_NETWORK_TTL_MS)).toBe(false);
    expect(isUsualAuthNetwork(networks, 'n2', 1000)).toBe(false);
  });

  it('are written again at a success only when new, or written more than a day ago', () => {
    const networks = stored([['n1', 1000]]);
    expect(authNetworkNeedsRecording(networks, 'n1', 1000 + AUTH_NETWORK_REFRESH_MS - 1)).toBe(false);
    expect(authNetworkNeedsRecording(networks, 'n1', 1000 + AUTH_NETWORK_REFRESH_MS)).toBe(true);
    expect(authNetworkNeedsRecording(networks, 'n2', 1000)).toBe(true);
  });

  it(`keep the ${MAX_AUTH_NETWORKS} most recently seen, newest first, dropping expired ones`, () => {
    const now = AUTH_NETWORK_TTL_MS * 2;
    const many = stored(Array.from({ length: MAX_AUTH_NETWORKS }, (_, i) => [`n${i}`, now - 1000 * (i + 1)] as const));
    const added = withAuthNetwork(many, 'new', now);
    expect(added.size).toBe(MAX_AUTH_NETWORKS);
    expect([...added.keys()]).toEqual(['new', ...Array.from({ length: MAX_AUTH_NETWORKS - 1 }, (_, i) => `n${i}`)]);
    // A network seen again moves to the front, without a duplicate.
    expect([...withAuthNetwork(many, 'n5', now).keys()].slice(0, 2)).toEqual(['n5', 'n0']);
    expect(withAuthNetwork(many, 'n5', now).size).toBe(MAX_AUTH_NETWORKS);
    const old = stored([['gone', now - AUTH_NETWORK_TTL_MS], ['kept', now - 1]]);
    expect([...withAuthNetwork(old, 'new', now)]).toEqual([['new', now], ['kept', now - 1]]);
  });
});
