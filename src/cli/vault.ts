import { rotateVaultKey } from '../connectors/vault-admin.ts';
import { createVault, DataKeyUnavailableError } from '../connectors/vault/vault.ts';
import { loadRootKey, RootKeyError } from '../keys/root-key.ts';
import { createSealer } from '../keys/sealing.ts';
import { CLI_OPERATOR } from '../staff/actor.ts';
import { orgBySlug, requiredString, withStorage, type Command } from './command.ts';

export const vaultRotate: Command = {
  name: 'vault rotate',
  summary: "Give an organization's connector secrets a new data key and seal them all again under it (waits 60 s for running servers, then checks again)",
  synopsis: 'vault rotate --org <slug> [--skip-wait] [--json]',
  options: { org: { type: 'string' }, 'skip-wait': { type: 'boolean' } },
  async run({ values, config, clock }) {
    const slug = requiredString(values, 'org');
    // Only when no server runs on the store: none can be sealing under the retired key.
    const skipWait = values['skip-wait'] === true;
    const rotation = await withStorage(config, async (storage) => {
      // The server's root key, found, never generated: a data key sealed with another could never be opened.
      const sealer = createSealer(loadRootKey(config).key);
      const org = await orgBySlug(storage, slug);
      const vault = createVault(storage.db, sealer, clock);
      try {
        return await rotateVaultKey({ db: storage.db, clock, org, actor: CLI_OPERATOR, vault, allowHttpUrls: false }, skipWait ? { settleMs: 0 } : {});
      } catch (error) {
        if (!(error instanceof DataKeyUnavailableError)) throw error;
        throw new RootKeyError(`the configured root key (id ${sealer.keyId}) cannot open the vault of '${slug}' (${error.message}); run with the server's GATEHOUSE_SECRET_KEY or DATA_DIR`);
      }
    });
    const columns = rotation.columns.map((column) => ({
      column: column.column,
      resealed: column.resealed,
      changed_meanwhile: column.changedMeanwhile,
      unopenable: column.unopenable.map((value) => ({ id: value.id, failure: value.failure })),
    }));
    const lines = columns.map(
      (column) =>
        `  ${column.column.padEnd(38)} ${column.resealed} re-sealed, ${column.changed_meanwhile} changed meanwhile` +
        (column.unopenable.length === 0 ? '' : `, ${column.unopenable.length} not opening (left as they are: ${column.unopenable.map((value) => `${value.id} ${value.failure}`).join(', ')})`) +
        '\n',
    );
    const retired = rotation.retiredKeyId === null ? '' : `  retired key: ${rotation.retiredKeyId} (still opens)\n`;
    return {
      json: { key_id: rotation.keyId, retired_key_id: rotation.retiredKeyId, settled: rotation.settled, columns },
      text: `Rotated the vault data key of ${slug}\n  new key:     ${rotation.keyId}\n${retired}${lines.join('')}`,
    };
  },
};
