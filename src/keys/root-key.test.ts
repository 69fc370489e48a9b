import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateRootKey, loadRootKey, RootKeyError } from './root-key.ts';

const freshDir = () => mkdtempSync(join(tmpdir(), 'gatehouse-key-'));

describe('loadOrCreateRootKey', () => {
  it('prefers GATEHOUSE_SECRET_KEY and writes nothing', () => {
    const dataDir = freshDir();
    const key = Buffer.alloc(32, 1);
    expect(loadOrCreateRootKey({ secretKey: key, dataDir })).toEqual({ key, source: 'environment' });
    expect(() => statSync(join(dataDir, 'secret.key'))).toThrow();
  });

  it('generates a 0600 key file on first use and reads the same key afterwards', () => {
    const dataDir = join(freshDir(), 'nested');
    const first = loadOrCreateRootKey({ secretKey: undefined, dataDir });
    expect(first.source).toBe('generated');
    expect(first.key).toHaveLength(32);
    expect(statSync(first.path!).mode & 0o777).toBe(0o600);
    const second = loadOrCreateRootKey({ secretKey: undefined, dataDir });
    expect(second).toMatchObject({ source: 'file', path: first.path });
    expect(second.key.equals(first.key)).toBe(true);
    expect(readFileSync(first.path!, 'utf8')).not.toContain(' ');
  });

  it('refuses a damaged key file instead of replacing it', () => {
    const dataDir = freshDir();
    writeFileSync(join(dataDir, 'secret.key'), 'garbage');
    expect(() => loadOrCreateRootKey({ secretKey: undefined, dataDir })).toThrowError(RootKeyError);
    expect(readFileSync(join(dataDir, 'secret.key'), 'utf8')).toBe('garbage');
  });
});

describe('loadRootKey (for commands beside a server: never generates one)', () => {
  it('reads GATEHOUSE_SECRET_KEY, else DATA_DIR/secret.key', () => {
    const dataDir = freshDir();
    const key = Buffer.alloc(32, 2);
    expect(loadRootKey({ secretKey: key, dataDir })).toEqual({ key, source: 'environment' });
    const generated = loadOrCreateRootKey({ secretKey: undefined, dataDir });
    expect(loadRootKey({ secretKey: undefined, dataDir })).toEqual({ key: generated.key, source: 'file', path: generated.path });
  });

  it('refuses, naming both places, where neither holds a key, and creates nothing', () => {
    const dataDir = join(freshDir(), 'missing');
    expect(() => loadRootKey({ secretKey: undefined, dataDir })).toThrowError(
      new RootKeyError(
        `no root key: GATEHOUSE_SECRET_KEY is not set and there is no ${join(dataDir, 'secret.key')} (DATA_DIR/secret.key); run with the server's GATEHOUSE_SECRET_KEY or DATA_DIR (only 'gatehouse start' creates a root key)`,
      ),
    );
    expect(() => statSync(dataDir)).toThrow();
  });
});
