// What a vault data key is, for the vault (vault.ts) and its repository alike: types only,
// importing nothing of the vault, so that neither imports the other for them.

/** A per-organization data key as stored: the key itself only sealed under the root key. */
export interface StoredDataKey {
  readonly orgId: string;
  readonly id: string;
  /** The 32-byte key, sealed under the root key with associated data `vault_data_key:<org_id>:<id>`. */
  readonly sealedKey: string;
  readonly createdAt: number;
  /** null while it is the organization's active key (the one that seals). */
  readonly retiredAt: number | null;
}

/** What may be shown about a data key: no key material. */
export interface DataKeyInfo {
  readonly id: string;
  readonly status: 'active' | 'retired';
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

/** A value sealed in the vault, as an owner table holds it: the row's id, the sealed string and the associated data it was sealed with. */
export interface SealedValue {
  readonly id: string;
  readonly ciphertext: string;
  readonly aad: string;
}

/** A value sealed again under the organization's active key, with the ciphertext it replaces. */
export interface ResealedValue {
  readonly id: string;
  readonly previous: string;
  readonly ciphertext: string;
}
