import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeKey, type Config } from '../config/config.ts';

export const ROOT_KEY_FILE = 'secret.key';

export type RootKeySource = 'environment' | 'file' | 'generated';

export interface RootKey {
  readonly key: Buffer;
  readonly source: RootKeySource;
  /** Where the key was read from or written to, when it is a file. */
  readonly path?: string;
}

export class RootKeyError extends Error {}

/**
 * The root key that encrypts stored key material. From `GATEHOUSE_SECRET_KEY` when set; else from
 * `DATA_DIR/secret.key`, generated (32 random bytes, mode 0600) when absent. The caller warns
 * loudly when the key did not come from the environment: a key beside the data it protects only
 * protects against leaks of the database alone.
 */
export function loadOrCreateRootKey(config: Pick<Config, 'secretKey' | 'dataDir'>): RootKey {
  const found = findRootKey(config);
  if (found !== undefined) return found;
  const path = join(config.dataDir, ROOT_KEY_FILE);
  const key = randomBytes(32);
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    // 'wx' fails if another process created the file meanwhile; we then read theirs.
    writeFileSync(path, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateRootKey(config);
    throw new RootKeyError(`cannot write the root key ${path}: ${(error as Error).message}; check that DATA_DIR is writable`);
  }
  return { key, source: 'generated', path };
}

/**
 * The root key where loadOrCreateRootKey finds it, never generated: for a command that works
 * beside a server (`gatehouse keys rotate`), which must seal with the server's own key. A key it
 * generated would be one the server does not have (it reads GATEHOUSE_SECRET_KEY, or another
 * DATA_DIR), and signing keys sealed with it could never be opened. Only `start` generates one.
 * RootKeyError naming both places when neither holds a key.
 */
export function loadRootKey(config: Pick<Config, 'secretKey' | 'dataDir'>): RootKey {
  const found = findRootKey(config);
  if (found !== undefined) return found;
  throw new RootKeyError(
    `no root key: GATEHOUSE_SECRET_KEY is not set and there is no ${join(config.dataDir, ROOT_KEY_FILE)} (DATA_DIR/${ROOT_KEY_FILE}); ` +
      "run with the server's GATEHOUSE_SECRET_KEY or DATA_DIR (only 'gatehouse start' creates a root key)",
  );
}

/** From `GATEHOUSE_SECRET_KEY`, else `DATA_DIR/secret.key` (made 0600 if it was not); undefined when neither holds one. */
function findRootKey(config: Pick<Config, 'secretKey' | 'dataDir'>): RootKey | undefined {
  if (config.secretKey !== undefined) return { key: config.secretKey, source: 'environment' };
  const path = join(config.dataDir, ROOT_KEY_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RootKeyError(`cannot read the root key ${path}: ${(error as Error).message}`);
  }
  const key = decodeKey(text.trim());
  if (key?.length !== 32) {
    throw new RootKeyError(`${path} does not hold a 32-byte key; restore it from backup (without it, stored keys cannot be decrypted)`);
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return { key, source: 'file', path };
}
