import { setTimeout as sleepFor } from 'node:timers/promises';
import { recordOperation, requirePermission } from '../staff/actor.ts';
import * as accountConnectors from './account-connectors.repository.ts';
import * as appConnectors from './app-connectors.repository.ts';
import * as connectAttempts from './connect/connect-attempts.repository.ts';
import type { ConnectorOperationContext } from './connector-context.ts';
import type { Executor } from '../db/database.ts';
import { resealColumn, type ResealReport, type SealedColumn } from './vault/reseal.ts';
import { DEFAULT_ACTIVE_KEY_TTL_MS, type UnopenableValue } from './vault/vault.ts';

/** The pause between two batches of a re-seal pass, so that the store keeps serving the server's requests: 50 ms. */
export const DEFAULT_RESEAL_PAUSE_MS = 50;

export interface VaultRotationOptions {
  /** Values per batch (DEFAULT_RESEAL_BATCH_SIZE, 200). */
  readonly batchSize?: number;
  /** See DEFAULT_RESEAL_PAUSE_MS. */
  readonly pauseMs?: number;
  /**
   * How long after the rotation the second pass starts: the active key's time in memory of other
   * processes (DEFAULT_ACTIVE_KEY_TTL_MS, 60 s), after which none seals under the retired key. 0
   * makes one pass only: right when no server runs on the store.
   */
  readonly settleMs?: number;
  /** Waits; replaced in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One column's outcome over both passes. */
export interface ColumnRotation {
  readonly column: string;
  /** Values this rotation sealed again under the new key. */
  readonly resealed: number;
  /** Values another writer replaced between a pass's read and its write (that writer's value stands). */
  readonly changedMeanwhile: number;
  /** Values that did not open, left as they were (as the last pass found them). */
  readonly unopenable: readonly UnopenableValue[];
}

export interface VaultRotation {
  readonly keyId: string;
  readonly retiredKeyId: string | null;
  /** Whether a second pass ran after the other processes' active-key time in memory. */
  readonly settled: boolean;
  readonly columns: readonly ColumnRotation[];
}

/** Every vault column of an organization, each through its owner repository's pair. */
export function sealedColumns(db: Executor): readonly SealedColumn[] {
  const accountConnectorColumn = (column: accountConnectors.AccountConnectorSealedColumn): SealedColumn => ({
    name: `account_connectors.${column}`,
    listAfter: (orgId, afterId, limit) => accountConnectors.listSealedAccountConnectorValues(db, column, orgId, afterId, limit),
    replaceIfUnchanged: (orgId, value) => accountConnectors.replaceSealedAccountConnectorValue(db, column, orgId, value),
  });
  return [
    {
      name: 'app_connectors.client_secret',
      listAfter: (orgId, afterId, limit) => appConnectors.listSealedClientSecrets(db, orgId, afterId, limit),
      replaceIfUnchanged: (orgId, value) => appConnectors.replaceSealedClientSecret(db, orgId, value),
    },
    accountConnectorColumn('secret_properties'),
    accountConnectorColumn('credentials'),
    {
      name: 'connector_auth_attempts.code_verifier',
      listAfter: (orgId, afterId, limit) => connectAttempts.listSealedCodeVerifiers(db, orgId, afterId, limit),
      replaceIfUnchanged: (orgId, value) => connectAttempts.replaceSealedCodeVerifier(db, orgId, value),
    },
  ];
}

/**
 * Gives the organization's vault a new data key and seals every value again under it (a staff
 * operation: `org:write`), audited as `vault.rotated`. Nothing is locked: each value is written
 * back only if unchanged, in batches with a pause between them.
 *
 * Other processes keep sealing under the retired key for up to their active key's time in memory
 * (60 s); those values still open. Running the command again would not catch them, as it rotates
 * again and opens a new such window; so this operation closes its own: a first pass at once (nearly
 * everything), then, once that time has passed since the rotation, a second pass, which finds only
 * what was sealed meanwhile.
 */
export async function rotateVaultKey(ctx: ConnectorOperationContext, options: VaultRotationOptions = {}): Promise<VaultRotation> {
  requirePermission(ctx.actor, 'org:write');
  const settleMs = options.settleMs ?? DEFAULT_ACTIVE_KEY_TTL_MS;
  const pauseMs = options.pauseMs ?? DEFAULT_RESEAL_PAUSE_MS;
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms));
  const columns = sealedColumns(ctx.db).map((column) => pacedColumn(column, pauseMs, sleep));

  const rotation = await ctx.vault.rotateDataKey(ctx.org.id);
  // Taken once committed: a process may have read the old key just before, and keeps it this long after.
  const rotatedAt = ctx.clock();
  const pass = async () => {
    const reports: ResealReport[] = [];
    for (const column of columns) reports.push(await resealColumn(ctx.vault, ctx.org.id, column, { batchSize: options.batchSize }));
    return reports;
  };
  let reports = (await pass()).map(columnRotation);
  const settled = settleMs > 0;
  if (settled) {
    await sleep(Math.max(0, rotatedAt + settleMs - ctx.clock()));
    reports = (await pass()).map((second, i) => combined(reports[i]!, columnRotation(second)));
  }

  // After the rotation and passes, which cannot share one transaction with it: a failure here
  // leaves the values re-sealed and the event missing, and the caller reports it.
  const total = (count: (column: ColumnRotation) => number) => reports.reduce((sum, column) => sum + count(column), 0);
  await recordOperation(ctx.db, ctx, {
    action: 'vault.rotated',
    target: { type: 'vault_data_key', id: rotation.keyId },
    details: {
      retired_key_id: rotation.retiredKeyId,
      resealed: total((c) => c.resealed),
      changed_meanwhile: total((c) => c.changedMeanwhile),
      unopenable: total((c) => c.unopenable.length),
      settled,
    },
  });
  return { keyId: rotation.keyId, retiredKeyId: rotation.retiredKeyId, settled, columns: reports };
}

/** The column, read with a pause before every batch but the first. */
function pacedColumn(column: SealedColumn, pauseMs: number, sleep: (ms: number) => Promise<void>): SealedColumn {
  return {
    name: column.name,
    async listAfter(orgId, afterId, limit) {
      if (afterId !== null && pauseMs > 0) await sleep(pauseMs);
      return column.listAfter(orgId, afterId, limit);
    },
    replaceIfUnchanged: (orgId, value) => column.replaceIfUnchanged(orgId, value),
  };
}

function columnRotation(report: ResealReport): ColumnRotation {
  return { column: report.column, resealed: report.resealed, changedMeanwhile: report.changedMeanwhile, unopenable: report.unopenable };
}

function combined(first: ColumnRotation, second: ColumnRotation): ColumnRotation {
  return { column: first.column, resealed: first.resealed + second.resealed, changedMeanwhile: first.changedMeanwhile + second.changedMeanwhile, unopenable: second.unopenable };
}
