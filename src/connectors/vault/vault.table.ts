export interface VaultDataKeysTable {
  org_id: string;
  /** `dk_` and 16 base32 characters: unique within the org, written into every value it seals. */
  id: string;
  /** The 32-byte AES-256 key, sealed under the root key with associated data `vault_data_key:<org_id>:<id>`. */
  sealed_key: string;
  created_at: number;
  /**
   * When a rotation stopped this key sealing; null while it is the org's active key. A unique
   * index over org_id where this is null lets an org have one active key at most.
   */
  retired_at: number | null;
}
