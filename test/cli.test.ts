import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/db/migrations/index.ts';
import { getOrganizationBySlug } from '../src/orgs/orgs.ts';
import { listAuditEvents } from '../src/audit/audit.ts';
import { BIN, gatehouse, onlyJson, storeLine, storeOf } from './helpers/cli.ts';
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

    const service = onlyJson(await gatehouse(['client', 'create', '--org', 'acme', '--name', 'Sync', '--grant', 'client_credentials', '--scope', 'sync', '--json'], env));
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
    // The server's root key: rotate never generates one.
    expect((await gatehouse(['keys', 'rotate', '--org', 'acme', '--json'], { ...env, GATEHOUSE_SECRET_KEY: randomBytes(32).toString('base64') })).code).toBe(0);
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
    expect(JSON.parse(duplicate.stderr)).toEqual({ error: 'conflict', message: "an organization with slug 'taken' already exists", ...storeOf(env) });

    const unknownOrg = await gatehouse(['constituent', 'create', '--org', 'nope', '--username', 'x', '--password', 'password1'], env);
    expect(unknownOrg).toMatchObject({ code: 1, stdout: '', stderr: `${storeLine(env)}gatehouse: organization 'nope' does not exist\n` });

    const duplicateLogin = await gatehouse(['constituent', 'create', '--org', 'taken', '--username', 'Bob', '--password', 'password1'], env);
    expect(duplicateLogin.code).toBe(0);
    const again = await gatehouse(['constituent', 'create', '--org', 'taken', '--username', 'bob', '--password', 'password1'], env);
    expect(again).toMatchObject({ code: 1, stderr: `${storeLine(env)}gatehouse: the login name 'bob' is already taken in this organization\n` });
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
    const [store, problem, end] = run.stderr.split('\n');
    expect(`${store}\n`).toBe(storeLine({ DATA_DIR: dataDir }));
    expect(problem).toMatch(/^gatehouse: .*gatehouse\.db is not a valid Gatehouse database .*restore it from a backup/);
    expect(end).toBe('');
  });

  it('explains a data file locked by another process', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    expect((await gatehouse(['migrate'], { DATA_DIR: dataDir })).code).toBe(0);
    const holder = new DatabaseSync(join(dataDir, 'gatehouse.db'));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const run = await gatehouse(['org', 'create', 'x'], { DATA_DIR: dataDir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^gatehouse: store sqlite .*\ngatehouse: .*locked by another process.*\n$/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('explains an unreachable PostgreSQL without printing its password', async () => {
    const run = await gatehouse(['migrate'], { ...env(), DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/gatehouse' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'gatehouse: store postgres postgres://app:***@127.0.0.1:1/gatehouse\n' +
        'gatehouse: cannot reach PostgreSQL at postgres://app:***@127.0.0.1:1/gatehouse (ECONNREFUSED); is the server running and DATABASE_URL right?\n',
    );
  });

  const olderNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path));
  it.runIf(olderNode !== undefined)('runs on the pinned Node 24 when started by an older system node', async () => {
    const run = await gatehouse(['migrate', '--json'], env(), olderNode);
    expect(onlyJson(run)).toEqual({ applied: ALL_MIGRATIONS, store: 'sqlite' });
  });
});

type StartedChild =
  | { readonly child: ChildProcess; readonly info: Record<string, unknown>; readonly exited: Promise<number | null>; stderr(): string }
  | { readonly exitCode: number | null; readonly stderr: string };

/** `gatehouse start --json` on a free port: its JSON line once it listens, or how it exited before. */
async function startChild(env: Record<string, string>): Promise<StartedChild> {
  const child = spawn(process.execPath, [BIN, 'start', '--json'], { env: { PATH: process.env.PATH ?? '', ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = await new Promise<string | undefined>((resolve) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    void exited.then(() => resolve(undefined));
  });
  if (firstLine === undefined) return { exitCode: await exited, stderr };
  return { child, info: JSON.parse(firstLine) as Record<string, unknown>, exited, stderr: () => stderr };
}

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
    const server = await startChild({ ...store.env, DATA_DIR: store.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'gatehouse-start-')) });
    if (!('info' in server)) throw new Error(`start exited early: ${server.stderr}`);
    const { info } = server;
    const health = await fetch(`${String(info.url)}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${String(info.url)}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready' });
    server.child.kill('SIGTERM');
    return { info, exitCode: await server.exited, stderr: server.stderr() };
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
    expect(demo.try_command).toBe(`CLIENT_SECRET=${demo.client.client_secret} npx gatehouse try --issuer ${demo.issuer} --client-id ${demo.client.client_id}`);
    // The logs went to stderr, and none of the printed secrets are in them.
    expect(first.stderr).toContain('"msg":"stopped"');
    for (const secret of [demo.client.client_secret, demo.staff.api_key, demo.constituent.password]) expect(first.stderr).not.toContain(secret);

    const second = await startAndStop();
    expect(second.exitCode).toBe(0);
    expect(second.info).toMatchObject({ demo: null, migrations_applied: [] });
  });

  // Regression (issue 9 item 17): a second server on the same SQLite data directory started
  // without a word. It is refused, naming the directory and the first one's pid; the lock goes
  // with the process, so a server killed with -9 does not block the next start.
  it.runIf(dialect === 'sqlite')('refuses a second server on the same SQLite data directory while the first serves, and not after the first is killed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-lock-'));
    const running: ChildProcess[] = [];
    try {
      const first = await startChild({ DATA_DIR: dataDir });
      if (!('info' in first)) throw new Error(`start exited early: ${first.stderr}`);
      running.push(first.child);
      for (const file of ['gatehouse.lock', 'gatehouse.pid']) expect([file, statSync(join(dataDir, file)).mode & 0o777]).toEqual([file, 0o600]);

      const second = await startChild({ DATA_DIR: dataDir });
      expect(second).toMatchObject({ exitCode: 1 });
      expect(JSON.parse((second as { stderr: string }).stderr)).toEqual({
        error: 'storage',
        message:
          `another Gatehouse server (pid ${first.child.pid}) is serving the data directory ${dataDir}, and one SQLite data directory takes one server at a time: ` +
          'stop that one first, or give this one another DATA_DIR (or use PostgreSQL, DATABASE_URL, for several servers); gatehouse commands work beside the running server',
        store: 'sqlite',
        store_location: join(dataDir, 'gatehouse.db'),
      });
      // The first keeps serving, and the commands keep working beside it.
      expect((await fetch(`${String(first.info.url)}/readyz`)).status).toBe(200);
      expect(onlyJson(await gatehouse(['org', 'create', 'beside', '--json'], { DATA_DIR: dataDir }))).toMatchObject({ slug: 'beside' });

      first.child.kill('SIGKILL');
      expect(await first.exited).toBeNull();
      const third = await startChild({ DATA_DIR: dataDir });
      if (!('info' in third)) throw new Error(`start after kill -9 was refused: ${third.stderr}`);
      running.push(third.child);
      expect((await fetch(`${String(third.info.url)}/readyz`)).status).toBe(200);
      expect(readFileSync(join(dataDir, 'gatehouse.pid'), 'utf8')).toBe(`${third.child.pid}\n`);
      third.child.kill('SIGTERM');
      expect(await third.exited).toBe(0);
      // A clean stop takes its pid file along.
      expect(existsSync(join(dataDir, 'gatehouse.pid'))).toBe(false);
    } finally {
      for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it.runIf(dialect === 'postgres')('lets several servers share one PostgreSQL store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
    const servers = await Promise.all([0, 1].map(() => startChild({ ...store.env, DATA_DIR: dataDir })));
    try {
      for (const server of servers) {
        if (!('info' in server)) throw new Error(`start exited early: ${server.stderr}`);
        expect((await fetch(`${String(server.info.url)}/readyz`)).status).toBe(200);
      }
    } finally {
      for (const server of servers) if ('info' in server) server.child.kill('SIGTERM');
    }
    for (const server of servers) if ('info' in server) expect(await server.exited).toBe(0);
  });
});

// Regression (issue 9 item 17): a command run without the server's DATA_DIR created and used an
// empty ./data/gatehouse.db, and said only "organization 'demo' does not exist". Only `start` and
// `migrate` create a store; every other command names the store and fails, creating nothing.
describe('gatehouse commands on a SQLite store that does not exist', () => {
  const missing = (path: string): string =>
    `there is no Gatehouse database at ${path}: set DATA_DIR to the server's data directory (or DATABASE_URL to its PostgreSQL), ` +
    "or run 'gatehouse migrate' to create a new store there";

  it.each([
    [['org', 'create', 'acme']],
    [['constituent', 'create', '--org', 'demo', '--username', 'x', '--password', 'password1']],
    [['client', 'create', '--org', 'demo', '--name', 'n', '--redirect-uri', 'https://a.example/cb']],
    [['staff', 'create', '--org', 'demo', '--email', 'a@b.co']],
    [['scope', 'set', '--org', 'demo', '--name', 's', '--description', 'd']],
    [['keys', 'rotate', '--org', 'demo']],
    [['keys', 'list', '--org', 'demo']],
    [['purge']],
  ])('%j in an empty DATA_DIR fails naming the database and what to do, and creates nothing', async (args) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-empty-'));
    const path = join(dataDir, 'gatehouse.db');
    expect(await gatehouse(args, { DATA_DIR: dataDir })).toEqual({ code: 1, stdout: '', stderr: `gatehouse: store sqlite ${path}\ngatehouse: ${missing(path)}\n` });
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('without DATA_DIR, looks in ./data and creates neither it nor a database; --json names the store in the error', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gatehouse-cwd-'));
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'org', 'create', 'demo', '--json'], { cwd, env: { PATH: process.env.PATH ?? '' } }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
      );
    });
    const path = join(cwd, 'data', 'gatehouse.db');
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(JSON.parse(run.stderr)).toEqual({ error: 'storage', message: missing(path), store: 'sqlite', store_location: path });
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('migrate creates the store, and then the command works and names it', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'gatehouse-new-')), 'data');
    expect(onlyJson(await gatehouse(['migrate', '--json'], { DATA_DIR: dataDir }))).toEqual({ applied: ALL_MIGRATIONS, store: 'sqlite' });
    const run = await gatehouse(['org', 'create', 'acme'], { DATA_DIR: dataDir });
    expect(run).toMatchObject({ code: 0, stderr: `gatehouse: store sqlite ${join(dataDir, 'gatehouse.db')}\n` });
    expect(run.stdout).toContain('acme');
  });
});

describe.each(DIALECTS)('gatehouse commands on a %s store without a Gatehouse schema', (dialect) => {
  let store: TestStore;
  let env: Record<string, string>;
  beforeAll(async () => {
    store = await createTestStore(dialect, { migrate: false });
    env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-unmigrated-')), ...store.env };
    // A SQLite file that exists but was never set up (created by hand, or by another program).
    if (dialect === 'sqlite') new DatabaseSync(join(env.DATA_DIR!, 'gatehouse.db')).close();
  });
  afterAll(async () => {
    await store?.dispose();
  });

  // Regression (issue 9 review): pg reads a password from the query string too, and every run
  // printed DATABASE_URL with only the user info's password hidden.
  it.runIf(dialect === 'postgres')('name the store without a password given in the query string', async () => {
    const withSecrets = { ...env, DATABASE_URL: `${env.DATABASE_URL!.replace('postgres://postgres@', 'postgres://postgres:s3cret@')}&password=s3cret&sslpassword=s3cret` };
    const shown = `${env.DATABASE_URL!.replace('postgres://postgres@', 'postgres://postgres:***@')}`;
    const json = await gatehouse(['org', 'create', 'acme', '--json'], withSecrets);
    expect(json.stderr).not.toContain('s3cret');
    expect(JSON.parse(json.stderr)).toMatchObject({ error: 'storage', store: 'postgres', store_location: shown });
    expect(JSON.parse(json.stderr).message).toContain(`PostgreSQL at ${shown} `);
    const text = await gatehouse(['org', 'create', 'acme'], withSecrets);
    expect(text.stderr.startsWith(`gatehouse: store postgres ${shown}\n`)).toBe(true);
    expect(text.stderr).not.toContain('s3cret');
  });

  it('are refused, naming the store, and leave it as it was; migrate sets it up', async () => {
    const run = await gatehouse(['org', 'create', 'acme', '--json'], env);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    const { store: dialectName, store_location } = storeOf(env);
    expect(JSON.parse(run.stderr)).toEqual({
      error: 'storage',
      message: expect.stringMatching(/ holds no Gatehouse store: point DATA_DIR or DATABASE_URL at the server's, or run 'gatehouse migrate' to create one there$/),
      store: dialectName,
      store_location,
    });
    expect(JSON.parse(run.stderr).message).toContain(dialect === 'sqlite' ? `the SQLite database at ${store_location} ` : `PostgreSQL at ${store_location} (schema ${store.storage.schema}) `);
    expect(await store.storage.db.introspection.getTables()).toEqual([]);

    expect(onlyJson(await gatehouse(['migrate', '--json'], env))).toEqual({ applied: ALL_MIGRATIONS, store: dialect });
    expect(onlyJson(await gatehouse(['org', 'create', 'acme', '--json'], env))).toMatchObject({ slug: 'acme' });
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

    // Logs are buffered (a write per 64 KiB or per second): these lines were still in the buffer at SIGTERM.
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
