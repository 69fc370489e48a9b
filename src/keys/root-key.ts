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
  if (config.secretKey !== undefined) return { key: config.secretKey, source: 'environment' };
  const path = join(config.dataDir, ROOT_KEY_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new RootKeyError(`cannot read the root key ${path}: ${(error as Error).message}`);
    }
  }
  if (text !== undefined) {
    const key = decodeKey(text.trim());
    if (key?.length !== 32) {
      throw new RootKeyError(`${path} does not hold a 32-byte key; restore it from backup (without it, stored keys cannot be decrypted)`);
    }
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { key, source: 'file', path };
  }
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
