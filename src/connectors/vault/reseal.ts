import type { ResealedValue, SealedValue } from './data-key.ts';
import type { UnopenableValue, Vault } from './vault.ts';

/**
 * One column of vault values in the table that owns them (app connectors' client secrets, account
 * connectors' tokens, …), as a re-seal pass walks it. Each owner table plugs in these two
 * operations of its repository; the pass needs nothing else of it.
 */
export interface SealedColumn {
  /** Names the column in reports: `app_connectors.client_secret_sealed`. */
  readonly name: string;
  /**
   * The organization's values in rows after `afterId` (from the first row when null), in id order,
   * at most `limit`. Rows holding no value (a connector never authenticated) are left out.
   */
  listAfter(orgId: string, afterId: string | null, limit: number): Promise<readonly SealedValue[]>;
  /**
   * Writes `value.ciphertext` into row `value.id` only if it still holds `value.previous`: one
   * conditional UPDATE (`… WHERE org_id = ? AND id = ? AND <column> = <previous>`). Says whether it
   * wrote. A row changed meanwhile (a refresh stored new tokens) keeps what the server wrote.
   */
  replaceIfUnchanged(orgId: string, value: ResealedValue): Promise<boolean>;
}

export interface ResealReport {
  readonly column: string;
  /** Values read. */
  readonly examined: number;
  /** Values now sealed under the active key by this pass. */
  readonly resealed: number;
  /** Values that were already sealed under the active key. */
  readonly alreadyCurrent: number;
  /**
   * Values another writer replaced between this pass's read and its write. What replaced them was
   * sealed under the key that writer held: the active one, or, for a process that had not yet seen
   * the rotation, the retired one (a second pass finds those).
   */
  readonly changedMeanwhile: number;
  /** Values that did not open (damaged, or sealed for another row): left as they are. */
  readonly unopenable: readonly UnopenableValue[];
}

/** Rows read and written per batch: each batch is a read, one AES-GCM open and seal per value, and one UPDATE per value. */
export const DEFAULT_RESEAL_BATCH_SIZE = 200;

/**
 * Seals every value of one column of the organization again under its active data key, in
 * batches, while the server keeps reading and writing them: nothing is locked, and each write is
 * conditional on the value the pass read, so a concurrent change always wins over the pass.
 */
export async function resealColumn(vault: Vault, orgId: string, column: SealedColumn, options: { readonly batchSize?: number } = {}): Promise<ResealReport> {
  const batchSize = options.batchSize ?? DEFAULT_RESEAL_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError('a re-seal batch holds at least one value');
  let examined = 0;
  let resealed = 0;
  let alreadyCurrent = 0;
  let changedMeanwhile = 0;
  const unopenable: UnopenableValue[] = [];
  let afterId: string | null = null;
  for (;;) {
    const batch = await column.listAfter(orgId, afterId, batchSize);
    if (batch.length === 0) break;
    const outcome = await vault.reseal(orgId, batch);
    for (const value of outcome.resealed) {
      if (await column.replaceIfUnchanged(orgId, value)) resealed++;
      else changedMeanwhile++;
    }
    examined += batch.length;
    alreadyCurrent += outcome.alreadyCurrent;
    unopenable.push(...outcome.unopenable);
    afterId = batch[batch.length - 1]!.id;
    if (batch.length < batchSize) break;
  }
  return { column: column.name, examined, resealed, alreadyCurrent, changedMeanwhile, unopenable };
}
