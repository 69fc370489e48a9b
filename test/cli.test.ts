import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/db/migrations/index.ts';
import { getOrganizationBySlug } from '../src/orgs/orgs.ts';
import { listAuditEvents } from '../src/staff/audit.ts';
import { BIN, gatehouse, onlyJson } from './helpers/cli.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

/** Every migration, in order: a fresh store applies them all. */
const ALL_MIGRATIONS = Object.keys(migrations);

describe.each(DIALECTS)('gatehouse CLI on %s', (dialect) => {
  let store: TestStore;
  let env: Record<string, string>;
  beforeAll(async () => {
    store = await createTestStore(dialect);
    env = { ...store.env, PUBLIC_URL: 'https://id.example.org', DATA_DIR: store.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'gatehouse-cli-')) };
  });
  afterAll(async () => {
    await store?.dispose();
  });

  it('creates an org, a constituent, clients and a staff user, printing one JSON object each', async () => {
    const org = onlyJson(await gatehouse(['org', 'create', 'acme', '--name', 'Acme Charity', '--json'], env));
    expect(Object.keys(org).sort()).toEqual(['id', 'issuer', 'name', 'slug']);
    expect(org).toMatchObject({ slug: 'acme', name: 'Acme Charity', issuer: 'https://id.example.org/o/acme' });

    const constituent = onlyJson(
      await gatehouse(['constituent', 'create', '--org', 'acme', '--username', 'alice', '--password', 'correct horse', '--email', 'alice@example.org', '--name', 'Alice', '--json'], env),
    );
    expect(constituent).toEqual({ account_id: '1001', username: 'alice' });

    const client = onlyJson(
      await gatehouse(
        ['client', 'create', '--org', 'acme', '--name', 'Portal', '--redirect-uri', 'https://portal.example.org/cb', '--redirect-uri', 'http://127.0.0.1:8080/cb',
          '--post-logout-redirect-uri', 'https://portal.example.org/', '--no-consent', '--scope', 'openid profile', '--code-ttl', '30', '--json'],
        env,
      ),
    );
    expect(Object.keys(client).sort()).toEqual(['client_id', 'client_secret']);
    expect(client.client_secret).toMatch(/^gsec_/);

    const publicClient = onlyJson(await gatehouse(['client', 'create', '--org', 'acme', '--name', 'Phone', '--redirect-uri', 'com.example.app:/cb', '--public', '--json'], env));
    expect(publicClient.client_secret).toBeNull();

    const service = onlyJson(await gatehouse(['client', 'create', '--org', 'acme', '--name', 'Sync', '--grant', 'client_credentials', '--json'], env));
    expect(service.client_secret).toMatch(/^gsec_/);

    const staff = onlyJson(await gatehouse(['staff', 'create', '--org', 'acme', '--email', 'ops@example.org', '--role', 'developer', '--api-key', '--json'], env));
    expect(staff.user_id).toMatch(/^stf_/);
    expect(staff.api_key).toMatch(/^gkey_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    const noKey = onlyJson(await gatehouse(['staff', 'create', '--org', 'acme', '--email', 'viewer@example.org', '--json'], env));
    expect(noKey.api_key).toBeNull();
  });

  // Regression: the CLI changed organizations (staff, clients, …) without a trace in the audit log.
  it('records what it changes in the audit log, with the actor cli', async () => {
    onlyJson(await gatehouse(['scope', 'set', '--org', 'acme', '--name', 'membership', '--description', 'Your membership', '--json'], env));
    // The root key is generated in DATA_DIR: the warning on stderr is expected.
    expect((await gatehouse(['keys', 'rotate', '--org', 'acme', '--json'], env)).code).toBe(0);
    const org = await getOrganizationBySlug(store.storage.db, 'acme');
    const { events } = await listAuditEvents(store.storage.db, org.id, { limit: 100 });
    expect(events.map((e) => e.action).reverse()).toEqual([
      'org.created',
      'constituent.created',
      'client.created',
      'client.created',
      'client.created',
      'staff.created',
      'staff.created',
      'scope.created',
      'signing_key.rotated',
    ]);
    for (const event of events) expect(event).toMatchObject({ actor: { type: 'cli', id: null }, ip: null });
    const staff = events.find((e) => e.action === 'staff.created' && e.details.api_key === true)!;
    expect(staff).toMatchObject({ target: { type: 'staff_user' }, details: { role: 'developer', api_key: true } });
    expect(JSON.stringify(events)).not.toMatch(/gkey_|gsec_/);
  });

  it('reports the migration state as JSON', async () => {
    expect(onlyJson(await gatehouse(['migrate', '--json'], env))).toEqual({ applied: [], store: dialect });
  });

  it('fails with a one-line error on stderr and nothing on stdout', async () => {
    await gatehouse(['org', 'create', 'taken', '--json'], env);
    const duplicate = await gatehouse(['org', 'create', 'taken', '--json'], env);
    expect(duplicate).toMatchObject({ code: 1, stdout: '' });
    expect(JSON.parse(duplicate.stderr)).toEqual({ error: 'conflict', message: "an organization with slug 'taken' already exists" });

    const unknownOrg = await gatehouse(['constituent', 'create', '--org', 'nope', '--username', 'x', '--password', 'password1'], env);
    expect(unknownOrg).toMatchObject({ code: 1, stdout: '', stderr: "gatehouse: organization 'nope' does not exist\n" });

    const duplicateLogin = await gatehouse(['constituent', 'create', '--org', 'taken', '--username', 'Bob', '--password', 'password1'], env);
    expect(duplicateLogin.code).toBe(0);
    const again = await gatehouse(['constituent', 'create', '--org', 'taken', '--username', 'bob', '--password', 'password1'], env);
    expect(again).toMatchObject({ code: 1, stderr: "gatehouse: the login name 'bob' is already taken in this organization\n" });
  });
});

describe('gatehouse CLI usage', () => {
  const env = () => ({ DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-cli-')) });

  it.each([
    [['constituent', 'create', '--org', 'x', '--password', 'password1'], '--username is required'],
    [['client', 'create', '--org', 'x', '--name', 'n', '--redirect-uri', 'https://a/cb', '--bogus'], "Unknown option '--bogus'"],
    [['client', 'create', '--org', 'x', '--name', 'n', '--code-ttl', 'soon'], '--code-ttl must be a whole number'],
    [['org', 'create'], 'missing <slug>'],
    [['org', 'create', 'a', 'b'], "unexpected argument 'b'"],
    [['staff', 'create', '--org', 'x', '--email', 'a@b.co', '--no-api-key'], "unknown option '--no-api-key'"],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ])('%j exits 2 naming the problem, with the usage', async (args, problem) => {
    const run = await gatehouse(args, env());
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(problem);
    expect(run.stderr).toContain('usage: gatehouse');
  });

  it('prints usage for --help and exits 0', async () => {
    const run = await gatehouse(['client', 'create', '--help'], env());
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('usage: gatehouse client create --org <slug>');
  });

  it('names a bad configuration variable', async () => {
    const run = await gatehouse(['migrate', '--json'], { ...env(), PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stderr)).toEqual({ error: 'invalid_config', message: "PORT: 'eighty' is not a port number (0-65535)" });
  });

  it('explains a corrupt data file in one line, without a stack trace', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    writeFileSync(join(dataDir, 'gatehouse.db'), 'not a database, just text. '.repeat(200));
    const run = await gatehouse(['org', 'create', 'x'], { DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^gatehouse: .*gatehouse\.db is not a valid Gatehouse database .*restore it from a backup.*\n$/);
    expect(run.stderr.split('\n')).toHaveLength(2);
  });

  it('explains a data file locked by another process', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    expect((await gatehouse(['migrate'], { DATA_DIR: dataDir })).code).toBe(0);
    const holder = new DatabaseSync(join(dataDir, 'gatehouse.db'));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const run = await gatehouse(['org', 'create', 'x'], { DATA_DIR: dataDir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^gatehouse: .*locked by another process.*\n$/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('explains an unreachable PostgreSQL without printing its password', async () => {
    const run = await gatehouse(['migrate'], { ...env(), DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/gatehouse' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('gatehouse: cannot reach PostgreSQL at postgres://app:***@127.0.0.1:1/gatehouse (ECONNREFUSED); is the server running and DATABASE_URL right?\n');
  });

  const olderNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path));
  it.runIf(olderNode !== undefined)('runs on the pinned Node 24 when started by an older system node', async () => {
    const run = await gatehouse(['migrate', '--json'], env(), olderNode);
    expect(onlyJson(run)).toEqual({ applied: ALL_MIGRATIONS, store: 'sqlite' });
  });
});

describe.each(DIALECTS)('gatehouse start on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore(dialect, { migrate: false });
  });
  afterAll(async () => {
    await store?.dispose();
  });

  /** Starts the server, waits for its one JSON line, checks it serves, stops it with SIGTERM. */
  async function startAndStop(): Promise<{ info: Record<string, unknown>; exitCode: number | null; stderr: string }> {
    const child = spawn(process.execPath, [BIN, 'start', '--json'], {
      env: { PATH: process.env.PATH ?? '', ...store.env, DATA_DIR: store.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'gatehouse-start-')), PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', () => reject(new Error(`start exited early: ${stderr}`)));
    });
    const info = JSON.parse(firstLine) as Record<string, unknown>;
    const health = await fetch(`${String(info.url)}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${String(info.url)}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready' });
    child.kill('SIGTERM');
    return { info, exitCode: await exited, stderr };
  }

  it('creates the demo organization on the first start only, and stops cleanly on SIGTERM', async () => {
    const first = await startAndStop();
    expect(first.exitCode).toBe(0);
    expect(first.info).toMatchObject({ store: dialect, migrations_applied: ALL_MIGRATIONS });
    const demo = first.info.demo as Record<string, any>;
    // PORT=0: the issuer names the port actually chosen.
    const port = new URL(String(first.info.url)).port;
    expect(first.info.public_url).toBe(`http://localhost:${port}`);
    expect(demo.issuer).toBe(`http://localhost:${port}/o/demo`);
    expect(demo.client.redirect_uri).toBe('http://localhost:8080/callback');
    expect(demo.client.client_secret).toMatch(/^gsec_/);
    expect(demo.staff.api_key).toMatch(/^gkey_/);
    expect(demo.constituent.account_id).toBe('1001');
    expect(new URL(demo.authorization_url).searchParams.get('client_id')).toBe(demo.client.client_id);
    // The logs went to stderr, and none of the printed secrets are in them.
    expect(first.stderr).toContain('"msg":"stopped"');
    for (const secret of [demo.client.client_secret, demo.staff.api_key, demo.constituent.password]) expect(first.stderr).not.toContain(secret);

    const second = await startAndStop();
    expect(second.exitCode).toBe(0);
    expect(second.info).toMatchObject({ demo: null, migrations_applied: [] });
  });

  it('logs one access line per request on stdout, and has written every line when SIGTERM stops it', async () => {
    const child = spawn(process.execPath, [BIN, 'start'], {
      env: { PATH: process.env.PATH ?? '', ...store.env, DATA_DIR: store.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'gatehouse-start-')), PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const entry = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : undefined;
        if (entry?.msg === 'Gatehouse is listening') resolve(entry);
      });
      child.once('exit', () => reject(new Error(`start exited early: ${stderr}`)));
    });
    const requestIds: Array<string | null> = [];
    for (const path of ['/healthz', '/readyz', '/healthz?code=sekrit-code&keep=1']) {
      const response = await fetch(`${String(listening.url)}${path}`);
      expect(response.status).toBe(200);
      requestIds.push(response.headers.get('x-request-id'));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    // Logs are buffered (a write per 4 KiB or per second): these lines were still in the buffer at SIGTERM.
    const entries = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, any>);
    const access = entries.filter((entry) => entry.msg === 'request completed');
    expect(access.map((entry) => [entry.reqId, entry.req, entry.res])).toEqual([
      [requestIds[0], { method: 'GET', url: '/healthz', remoteAddress: '127.0.0.1' }, { statusCode: 200 }],
      [requestIds[1], { method: 'GET', url: '/readyz', remoteAddress: '127.0.0.1' }, { statusCode: 200 }],
      [requestIds[2], { method: 'GET', url: '/healthz?code=***&keep=1', remoteAddress: '127.0.0.1' }, { statusCode: 200 }],
    ]);
    expect(entries.filter((entry) => entry.msg === 'incoming request')).toEqual([]);
    expect(entries.at(-1)).toMatchObject({ msg: 'stopped' });
    expect(stdout).not.toContain('sekrit');
  });
});
