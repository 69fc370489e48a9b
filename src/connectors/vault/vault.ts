import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import { retriedTransaction } from '../../db/transaction.ts';
import { createSealer, UnsealError, type Sealer } from '../../keys/sealing.ts';
import type { Clock } from '../../lib/clock.ts';
import { randomBase32 } from '../../lib/random.ts';
import { BoundedCache } from './bounded-cache.ts';
import type { DataKeyInfo, ResealedValue, SealedValue, StoredDataKey } from './data-key.ts';
import { DataKeyUnavailableError, VaultOpenError, type VaultOpenFailure } from './vault-errors.ts';
import * as repository from './vault.repository.ts';

// The value types live in the leaf data-key.ts and the errors in vault-errors.ts; the rest of
// Gatehouse imports them from here.
export { DataKeyUnavailableError, VaultOpenError, type VaultOpenFailure };
export type { DataKeyInfo, ResealedValue, SealedValue };

/**
 * How long `seal` keeps using an organization's active key from memory: 60 s. A rotation made by
 * another process (`gatehouse vault rotate`) is picked up within that time; meanwhile this process
 * seals under the retired key, which still opens, and a re-seal pass started later than this after
 * the rotation finds every such value.
 */
export const DEFAULT_ACTIVE_KEY_TTL_MS = 60_000;

/** How many decrypted data keys (and organizations' active keys) a process keeps in memory: 1,000. */
export const DEFAULT_CACHED_DATA_KEYS = 1_000;

export interface VaultOptions {
  /** See DEFAULT_ACTIVE_KEY_TTL_MS (60_000). */
  readonly activeKeyTtlMs?: number;
  /** See DEFAULT_CACHED_DATA_KEYS (1_000). */
  readonly cachedDataKeys?: number;
}

export interface Vault {
  /**
   * Seals `plaintext` for the organization under its active data key (created on first use), bound
   * to `aad`: the owning row and field, such as `app_connector:<id>:client_secret`. Returns
   * `v1.<data key id>.<iv>.<ciphertext>.<tag>`. The organization's first seal in a process reads
   * the store (and the very first writes it): seal before the transaction that stores the value,
   * never inside it (on SQLite, a query waits for the open transaction it would run beside).
   */
  seal(orgId: string, plaintext: string, aad: string): Promise<string>;
  /**
   * Opens a value that `seal` made for this organization and `aad`. With its data key in memory,
   * one AES-GCM decryption and no query. Throws VaultOpenError (`malformed`, `unknown_key`,
   * `rejected`) for a value that is not this organization's and row's as sealed, and
   * DataKeyUnavailableError when the configured root key does not open the data key.
   */
  open(orgId: string, ciphertext: string, aad: string): Promise<string>;
  /**
   * Retires the organization's active data key and makes a new one that seals from now on (in this
   * process at once, in others within their active key's time in memory). The retired key still
   * opens what it sealed: `reseal` moves those values to the new key.
   */
  rotateDataKey(orgId: string): Promise<DataKeyRotation>;
  /**
   * Seals each value again under the organization's active key, as read from the store now. Values
   * already under it are counted, not returned; values that do not open are listed with the reason,
   * not thrown, so that one damaged row does not stop a rotation.
   */
  reseal(orgId: string, batch: readonly SealedValue[]): Promise<ResealBatch>;
  /** The organization's data keys, newest first, without key material. */
  listDataKeys(orgId: string): Promise<DataKeyInfo[]>;
}

export interface DataKeyRotation {
  /** The key that seals from now on. */
  readonly keyId: string;
  /** The key it replaced; null when the organization had none (or a concurrent rotation retired it). */
  readonly retiredKeyId: string | null;
}

export interface ResealBatch {
  readonly resealed: readonly ResealedValue[];
  /** How many values of the batch were already sealed under the active key. */
  readonly alreadyCurrent: number;
  readonly unopenable: readonly UnopenableValue[];
}

export interface UnopenableValue {
  readonly id: string;
  readonly failure: VaultOpenFailure;
}

/** A data key, decrypted, ready to seal and open. */
interface LoadedKey {
  readonly id: string;
  readonly sealer: Sealer;
}

const DATA_KEY_ID = /^dk_[a-z2-7]{16}$/;

/** Binds a value to its organization as well as to its place, so that it opens for no other organization whatever its key. */
export function vaultAssociatedData(orgId: string, aad: string): string {
  return `vault:${orgId}:${aad}`;
}

/** Binds a sealed data key to its organization and id: copied into another row, it fails to open. */
export function dataKeyAssociatedData(orgId: string, keyId: string): string {
  return `vault_data_key:${orgId}:${keyId}`;
}

/** The id of the data key that sealed `ciphertext`, read from the value itself. */
export function dataKeyIdOf(ciphertext: string): string {
  const parts = ciphertext.split('.');
  if (parts.length !== 5 || parts[0] !== 'v1' || !DATA_KEY_ID.test(parts[1]!)) {
    throw new VaultOpenError('malformed', 'not a vault value (v1.<data key id>.<iv>.<ciphertext>.<tag>)');
  }
  return parts[1]!;
}

/**
 * One per process. Data keys are decrypted once and kept (up to `cachedDataKeys`); a key this
 * process has not seen, such as one another process created, is read from the store when first met.
 */
export function createVault(db: Db, rootSealer: Sealer, clock: Clock, options: VaultOptions = {}): Vault {
  const activeKeyTtlMs = options.activeKeyTtlMs ?? DEFAULT_ACTIVE_KEY_TTL_MS;
  const capacity = options.cachedDataKeys ?? DEFAULT_CACHED_DATA_KEYS;
  // Promises, so that concurrent first uses of a key share one read; a failed one forgets itself.
  const keys = new BoundedCache<Promise<LoadedKey>>(capacity);
  const activeKeys = new BoundedCache<{ readonly loadedAt: number; readonly key: Promise<LoadedKey> }>(capacity);

  function cachedKey(orgId: string, keyId: string, load: () => Promise<LoadedKey>): Promise<LoadedKey> {
    const slot = `${orgId}/${keyId}`;
    const cached = keys.get(slot);
    if (cached !== undefined) return cached;
    const loading = load();
    keys.set(slot, loading);
    loading.catch(() => keys.deleteIf(slot, loading));
    return loading;
  }

  function unseal(stored: StoredDataKey): LoadedKey {
    let key: Buffer;
    try {
      key = rootSealer.open(stored.sealedKey, dataKeyAssociatedData(stored.orgId, stored.id));
    } catch (error) {
      if (error instanceof UnsealError) throw new DataKeyUnavailableError(stored.orgId, stored.id, error.message);
      throw error;
    }
    if (key.length !== 32) throw new DataKeyUnavailableError(stored.orgId, stored.id, 'it is not a 32-byte key');
    return { id: stored.id, sealer: createSealer(key, { keyId: stored.id }) };
  }

  const loadedFrom = (stored: StoredDataKey): Promise<LoadedKey> => cachedKey(stored.orgId, stored.id, async () => unseal(stored));

  /** A key of the organization by id: from memory, else from the store. */
  function dataKey(orgId: string, keyId: string): Promise<LoadedKey> {
    return cachedKey(orgId, keyId, async () => {
      const stored = await repository.findKey(db, orgId, keyId);
      if (stored === undefined) {
        throw new VaultOpenError('unknown_key', `organization ${orgId} has no data key ${keyId}: the value was sealed for another organization, or its key was deleted`);
      }
      return unseal(stored);
    });
  }

  async function createFirstKey(orgId: string): Promise<StoredDataKey> {
    const candidate = newDataKey(rootSealer, orgId, clock());
    if (await repository.insertActiveKeyUnlessOneExists(db, candidate)) return candidate;
    // Another process created the organization's key between our read and our insert: theirs it is.
    const winner = await repository.findActiveKey(db, orgId);
    if (winner === undefined) throw new Error(`organization ${orgId} has no active data key, and none could be created`);
    return winner;
  }

  /** The key that seals for the organization: from memory while younger than activeKeyTtlMs (unless `fresh`), else from the store, created if it has none. */
  function activeKey(orgId: string, { fresh = false }: { readonly fresh?: boolean } = {}): Promise<LoadedKey> {
    const entry = activeKeys.get(orgId);
    const age = entry === undefined ? Infinity : clock() - entry.loadedAt;
    if (entry !== undefined && !fresh && age >= 0 && age < activeKeyTtlMs) return entry.key;
    const loading = {
      loadedAt: clock(),
      key: (async () => loadedFrom((await repository.findActiveKey(db, orgId)) ?? (await createFirstKey(orgId))))(),
    };
    activeKeys.set(orgId, loading);
    loading.key.catch(() => activeKeys.deleteIf(orgId, loading));
    return loading.key;
  }

  function openWith(key: LoadedKey, orgId: string, ciphertext: string, aad: string): Buffer {
    try {
      return key.sealer.open(ciphertext, vaultAssociatedData(orgId, aad));
    } catch (error) {
      if (!(error instanceof UnsealError)) throw error;
      throw new VaultOpenError('rejected', `a value sealed under data key ${key.id} of organization ${orgId} was altered, or belongs to another row`);
    }
  }

  return {
    async seal(orgId, plaintext, aad) {
      return (await activeKey(orgId)).sealer.seal(plaintext, vaultAssociatedData(orgId, aad));
    },

    async open(orgId, ciphertext, aad) {
      const plaintext = openWith(await dataKey(orgId, dataKeyIdOf(ciphertext)), orgId, ciphertext, aad);
      try {
        return plaintext.toString('utf8');
      } finally {
        plaintext.fill(0);
      }
    },

    async rotateDataKey(orgId) {
      const current = await repository.findActiveKey(db, orgId);
      // Fails (DataKeyUnavailableError) before anything is written when the configured root key is
      // not the one that sealed the organization's keys: its keys would then need two root keys.
      if (current !== undefined) await loadedFrom(current);
      const now = clock();
      const successor = newDataKey(rootSealer, orgId, now);
      const { retiredKeyId, inserted } = await retriedTransaction(db, async (trx) => {
        const retired = await repository.retireActiveKey(trx, orgId, now);
        return { retiredKeyId: retired, inserted: await repository.insertActiveKeyUnlessOneExists(trx, successor) };
      });
      activeKeys.delete(orgId);
      // Not inserted: a concurrent rotation retired the same key and committed its successor first.
      return { keyId: inserted ? successor.id : (await activeKey(orgId)).id, retiredKeyId };
    },

    async reseal(orgId, batch) {
      // Read from the store: the rotation this pass follows may have run in another process.
      const target = await activeKey(orgId, { fresh: true });
      const resealed: ResealedValue[] = [];
      const unopenable: UnopenableValue[] = [];
      let alreadyCurrent = 0;
      for (const value of batch) {
        try {
          const keyId = dataKeyIdOf(value.ciphertext);
          if (keyId === target.id) {
            alreadyCurrent++;
            continue;
          }
          const plaintext = openWith(await dataKey(orgId, keyId), orgId, value.ciphertext, value.aad);
          try {
            resealed.push({ id: value.id, previous: value.ciphertext, ciphertext: target.sealer.seal(plaintext, vaultAssociatedData(orgId, value.aad)) });
          } finally {
            plaintext.fill(0);
          }
        } catch (error) {
          if (!(error instanceof VaultOpenError)) throw error;
          unopenable.push({ id: value.id, failure: error.failure });
        }
      }
      return { resealed, alreadyCurrent, unopenable };
    },

    listDataKeys(orgId) {
      return repository.listDataKeys(db, orgId);
    },
  };
}

/** A fresh 256-bit data key under a new id, sealed under the root key to its organization and id. */
function newDataKey(rootSealer: Sealer, orgId: string, now: number): StoredDataKey {
  const key = randomBytes(32);
  const id = `dk_${randomBase32(16)}`;
  try {
    return { orgId, id, sealedKey: rootSealer.seal(key, dataKeyAssociatedData(orgId, id)), createdAt: now, retiredAt: null };
  } finally {
    key.fill(0);
  }
}
