import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKey } from '../src/config/config.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { createSigningKeyService } from '../src/keys/signing-keys.ts';
import { gatehouse, onlyJson, storeLine, storeOf } from './helpers/cli.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';





interface ListedKey {
  readonly kid: string;
  readonly alg: string;
  readonly status: string;
  readonly created_at: string;
  readonly publish_until: string | null;
}

describe.each(DIALECTS)('gatehouse keys on %s', (dialect) => {
  const secretKey = randomBytes(32).toString('base64');
  let store: TestStore;
  let env: Record<string, string>;
  beforeAll(async () => {
    store = await createTestStore(dialect);
    env = {
      ...store.env,
      PUBLIC_URL: 'https://id.example.org',
      GATEHOUSE_SECRET_KEY: secretKey,
      DATA_DIR: store.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'gatehouse-keys-')),
    };
    for (const slug of ['acme', 'race', 'bare']) expect((await gatehouse(['org', 'create', slug, '--json'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await store?.dispose();
  });
  const list = async (slug: string) => (onlyJson(await gatehouse(['keys', 'list', '--org', slug, '--json'], env)).keys as ListedKey[]);

  it('rotate, printing one JSON object each time, and list the keys without key material', async () => {
    expect(await list('acme')).toEqual([]);

    const first = onlyJson(await gatehouse(['keys', 'rotate', '--org', 'acme', '--json'], env));
    expect(first).toEqual({ kid: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/), retired_kid: null, alg: 'ES256' });
    const second = onlyJson(await gatehouse(['keys', 'rotate', '--org', 'acme', '--json'], env));
    expect(second).toEqual({ kid: expect.any(String), retired_kid: first.kid, alg: 'ES256' });
    const rsa = onlyJson(await gatehouse(['keys', 'rotate', '--org', 'acme', '--alg', 'RS256', '--json'], env));
    expect(rsa).toEqual({ kid: expect.any(String), retired_kid: null, alg: 'RS256' });

    const keys = await list('acme');
    expect(keys.map((k) => [k.kid, k.alg, k.status])).toEqual([
      [rsa.kid, 'RS256', 'active'],
      [second.kid, 'ES256', 'active'],
      [first.kid, 'ES256', 'retired'],
    ]);
    for (const key of keys) expect(Object.keys(key).sort()).toEqual(['alg', 'created_at', 'kid', 'publish_until', 'status']);
    expect(keys[0]!.publish_until).toBeNull();
    // Retired: published for the org's longest token lifetime (3600 s by default) plus the 60 s signing-key cache.
    const retired = keys[2]!;
    expect(Date.parse(retired.publish_until!) - Date.parse(keys[1]!.created_at)).toBe((3600 + 60) * 1000);
  });

  it('seal keys the running server can open and sign with', async () => {
    const rotated = onlyJson(await gatehouse(['keys', 'rotate', '--org', 'bare', '--json'], env));
    const orgId = (await store.storage.db.selectFrom('organizations').select('id').where('slug', '=', 'bare').executeTakeFirstOrThrow()).id;
    const service = createSigningKeyService(store.storage.db, createSealer(decodeKey(secretKey)!), Date.now);
    const keys = await service.forOrg(orgId);
    const jwt = await keys.sign({ sub: '1001' }, { alg: 'ES256' });
    expect(JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid).toBe(rotated.kid);
    expect(await keys.verify(jwt)).toEqual({ sub: '1001' });
  });

  it('leave one active key when two processes rotate a fresh org at once', async () => {
    const runs = await Promise.all([0, 1].map(() => gatehouse(['keys', 'rotate', '--org', 'race', '--json'], env)));
    const [a, b] = runs.map(onlyJson) as [Record<string, unknown>, Record<string, unknown>];
    const [created, rotated] = a.retired_kid === null ? [a, b] : [b, a];
    expect(created.retired_kid).toBeNull();
    expect(rotated.retired_kid).toBe(created.kid);
    expect((await list('race')).filter((k) => k.status === 'active').map((k) => k.kid)).toEqual([rotated.kid]);
  });

  it('fail with one line and nothing on stdout', async () => {
    const unknownOrg = await gatehouse(['keys', 'rotate', '--org', 'nope', '--json'], env);
    expect(unknownOrg).toMatchObject({ code: 1, stdout: '' });
    expect(JSON.parse(unknownOrg.stderr)).toEqual({ error: 'not_found', message: "organization 'nope' does not exist", ...storeOf(env) });

    const badAlg = await gatehouse(['keys', 'rotate', '--org', 'acme', '--alg', 'HS256'], env);
    expect(badAlg).toMatchObject({ code: 2, stdout: '' });
    expect(badAlg.stderr).toContain('--alg must be one of ES256, RS256');

    const noOrg = await gatehouse(['keys', 'list', '--json'], env);
    expect(noOrg).toMatchObject({ code: 2, stdout: '' });
    expect(JSON.parse(noOrg.stderr)).toMatchObject({ error: 'usage', message: '--org is required' });
  });

  // Regression (issue 9 review): rotate generated a root key where it found none: with PostgreSQL
  // and no DATA_DIR it wrote ./data/secret.key, then failed; beside a server using
  // GATEHOUSE_SECRET_KEY it wrote a second key into DATA_DIR, which that server never reads, and a
  // signing key sealed with it could never be opened. Only start generates a root key.
  it('refuse to rotate without the server\'s root key, creating none, and refuse keys another root key sealed', async () => {
    const { GATEHOUSE_SECRET_KEY: _, ...withoutKey } = env;
    const dataDir = dialect === 'sqlite' ? env.DATA_DIR! : mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));
    const elsewhere = { ...withoutKey, DATA_DIR: dataDir };
    const keyFile = join(dataDir, 'secret.key');
    expect(existsSync(keyFile)).toBe(false);

    const none = await gatehouse(['keys', 'rotate', '--org', 'acme', '--json'], elsewhere);
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(JSON.parse(none.stderr)).toEqual({
      error: 'storage',
      message: `no root key: GATEHOUSE_SECRET_KEY is not set and there is no ${keyFile} (DATA_DIR/secret.key); run with the server's GATEHOUSE_SECRET_KEY or DATA_DIR (only 'gatehouse start' creates a root key)`,
      ...storeOf(elsewhere),
    });
    expect(existsSync(keyFile)).toBe(false);
    expect((await list('acme')).filter((k) => k.status === 'active')).toHaveLength(2);

    // A root key file that is not the one that sealed the org's keys.
    writeFileSync(keyFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    const mismatch = await gatehouse(['keys', 'rotate', '--org', 'acme'], elsewhere);
    expect(mismatch.code).toBe(1);
    const [store, refusal] = mismatch.stderr.split(/(?<=\n)/) as [string, string];
    expect(store).toBe(storeLine(elsewhere));
    expect(refusal).toMatch(/^gatehouse: the configured root key \(id [\w-]{8}\) cannot open the signing keys of 'acme' .*\n$/);
    expect((await list('acme')).filter((k) => k.status === 'active')).toHaveLength(2);
  });

  it('print readable text without --json', async () => {
    const run = await gatehouse(['keys', 'list', '--org', 'acme'], env);
    expect(run).toMatchObject({ code: 0, stderr: storeLine(env) });
    expect(run.stdout).toMatch(/^Signing keys of acme, newest first\n/);
    expect(run.stdout).toContain('retired  created');
    const rotated = await gatehouse(['keys', 'rotate', '--org', 'acme', '--alg', 'RS256'], env);
    expect(rotated.stdout).toMatch(/^Rotated the RS256 signing key of acme\n  new kid: +\S+\n  retired kid: \S+ \(published for another 3660 s\)\n$/);
  });
});
