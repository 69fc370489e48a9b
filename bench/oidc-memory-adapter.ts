import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * An unbounded in-memory adapter for oidc-provider: Maps, lazy expiry, and a Set of member keys
 * per grant.
 *
 * oidc-provider's bundled MemoryAdapter is an LRU of 1000 entries (later ones evict the codes
 * and tokens a benchmark prepares ahead), and it re-scans every member of a grant on every save
 * (`Math.max(...members)`), so a grant that keeps issuing tokens gets slower with each one. This
 * adapter does neither: it is the cheapest storage oidc-provider can have, which makes the
 * comparison conservative for Gatehouse (which writes to a durable store).
 */
interface Entry {
  readonly payload: AdapterPayload;
  /** ms since the epoch, or Infinity. */
  readonly expiresAt: number;
}

const entries = new Map<string, Entry>();
const grantMembers = new Map<string, Set<string>>();
const sessionByUid = new Map<string, string>();
const byUserCode = new Map<string, string>();

/** Grant-bound models: revoking a grant removes every one of them issued under it. */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'ClientCredentials']);

export class BenchMemoryAdapter implements Adapter {
  readonly #model: string;

  constructor(model: string) {
    this.#model = model;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    const key = this.#key(id);
    entries.set(key, { payload, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity });
    if (this.#model === 'Session' && typeof payload.uid === 'string') sessionByUid.set(payload.uid, id);
    if (typeof payload.userCode === 'string') byUserCode.set(payload.userCode, id);
    if (GRANTABLE.has(this.#model) && typeof payload.grantId === 'string') {
      let members = grantMembers.get(payload.grantId);
      if (members === undefined) grantMembers.set(payload.grantId, (members = new Set()));
      members.add(key);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return live(this.#key(id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = sessionByUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = byUserCode.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const entry = entries.get(this.#key(id));
    if (entry !== undefined) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    const key = this.#key(id);
    const payload = entries.get(key)?.payload;
    entries.delete(key);
    if (payload?.grantId !== undefined) grantMembers.get(payload.grantId)?.delete(key);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of grantMembers.get(grantId) ?? []) entries.delete(key);
    grantMembers.delete(grantId);
  }
}

function live(key: string): AdapterPayload | undefined {
  const entry = entries.get(key);
  if (entry === undefined) return undefined;
  if (entry.expiresAt <= Date.now()) {
    entries.delete(key);
    return undefined;
  }
  return entry.payload;
}
