import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../src/lib/free-port.ts';
import { BIN, gatehouse } from './helpers/cli.ts';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { PASSWORD, seedClient, seedOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

interface TryRun {
  /** The authorization URL try printed, once it listens. */
  readonly url: string;
  /** The exit status and output, once it is done. */
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs `gatehouse try` in a child process and waits for the authorization URL it prints. */
async function startTry(args: readonly string[], env: Record<string, string>): Promise<TryRun> {
  const child = spawn(process.execPath, [BIN, 'try', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr }).on('line', (line) => line.startsWith('http') && resolve(line));
    void done.then((run) => reject(new Error(`try exited before printing a URL: ${run.stderr}`)));
  });
  return { url, done };
}

// Regression (issue 9 item 18): the first start printed an authorization URL whose redirect
// (http://localhost:8080/callback) landed on a dead page, and the token request was shown
// nowhere. `gatehouse try` listens on the redirect URI and completes the flow.
describe.each(DIALECTS)('gatehouse try on %s', (dialect) => {
  let server: TestServer;
  let client: { clientId: string; clientSecret: string | null };
  /** A client nobody has consented to yet: its consent page appears, to be denied. */
  let unconsented: { clientId: string; clientSecret: string | null };
  let redirectUri: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const { org } = await seedOrg(server.store.storage.db, 'acme');
    // An ephemeral loopback port, registered exactly (a confidential client's URIs match exactly).
    redirectUri = `http://127.0.0.1:${await findFreePort('127.0.0.1')}/callback`;
    client = await seedClient(server.store.storage.db, org.id, { redirectUris: [redirectUri], consentRequired: true });
    unconsented = await seedClient(server.store.storage.db, org.id, { redirectUris: [redirectUri], consentRequired: true });
    // try reads the server's environment: PUBLIC_URL names the issuer. It opens no store.
    env = { PUBLIC_URL: server.url };
  });
  afterAll(async () => {
    await server?.close();
  });

  const credentials = (): string[] => ['--org', 'acme', '--client-id', client.clientId, '--client-secret', client.clientSecret!, '--redirect-uri', redirectUri];

  it('prints a code-flow URL with PKCE S256, state and nonce, takes the browser back, and prints verified tokens and userinfo', async () => {
    // The secret in the environment, as the first start's banner shows it (not in `ps`).
    const run = await startTry(['--org', 'acme', '--client-id', client.clientId, '--redirect-uri', redirectUri, '--json'], { ...env, CLIENT_SECRET: client.clientSecret! });
    const url = new URL(run.url);
    expect(url.origin + url.pathname).toBe(`${server.url}/o/acme/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge_method: 'S256',
      state: expect.stringMatching(/^[\w-]{22}$/),
      nonce: expect.stringMatching(/^[\w-]{22}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
    });

    // The person signs in and consents; the browser is sent to try's listener.
    const callback = await signInThroughPages(new TestBrowser(), run.url, server.url, { username: 'alice', password: PASSWORD });
    expect(callback.startsWith(`${redirectUri}?`)).toBe(true);
    const landing = await fetch(callback);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('signed in');

    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    // stderr had only the prompt; stdout is one JSON object.
    expect(stderr).toBe(`gatehouse try: listening on ${redirectUri}\ngatehouse try: open this URL in a browser and sign in:\n${run.url}\n`);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const result = JSON.parse(stdout) as Record<string, any>;
    expect(result).toMatchObject({ issuer: `${server.url}/o/acme`, client_id: client.clientId, redirect_uri: redirectUri });
    expect(result.tokens).toMatchObject({ token_type: 'Bearer', scope: 'openid profile email', expires_in: 3600, account_id: '1001' });
    expect(result.id_token_claims).toMatchObject({ iss: `${server.url}/o/acme`, aud: client.clientId, sub: '1001', nonce: url.searchParams.get('nonce') });
    expect(result.userinfo).toEqual({ sub: '1001', preferred_username: 'alice', name: 'Alice Example', updated_at: expect.any(Number), email: 'alice@example.org', email_verified: false });

    // The printed access token is a real one.
    const userinfo = await fetch(`${server.url}/o/acme/userinfo`, { headers: { authorization: `Bearer ${result.tokens.access_token}` } });
    expect(userinfo.status).toBe(200);
  });

  it('prints readable text without --json', async () => {
    const run = await startTry(credentials(), env);
    const callback = await signInThroughPages(new TestBrowser(), run.url, server.url, { username: 'alice', password: PASSWORD });
    await fetch(callback);
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Signed in through http:\/\/127\.0\.0\.1:\d+\/o\/acme\.\n\nToken response \(POST http:\/\/127\.0\.0\.1:\d+\/o\/acme\/token: /);
    expect(stdout).toContain('  token_type:     Bearer\n');
    expect(stdout).toContain('ID token claims (signature checked with');
    expect(stdout).toContain('"preferred_username": "alice"');
  });

  it('fails naming the error when the person denies consent', async () => {
    const denied = await startTry(['--org', 'acme', '--client-id', unconsented.clientId, '--client-secret', unconsented.clientSecret!, '--redirect-uri', redirectUri, '--json'], env);
    const callback = await signInThroughPages(new TestBrowser(), denied.url, server.url, { username: 'alice', password: PASSWORD, consent: 'deny' });
    await fetch(callback);
    const deniedRun = await denied.done;
    expect(deniedRun).toMatchObject({ code: 1, stdout: '' });
    expect(JSON.parse(deniedRun.stderr.split('\n').at(-2)!)).toEqual({ error: 'authorization_failed', message: expect.stringMatching(/^the sign-in ended with access_denied/) });

  });

  // Regression (issue 9 review): the first request to the callback path ended the run, so any
  // page or local process could end it with another state before the person signed in.
  it('answers a redirect with another state with a 400 and keeps waiting for the sign-in', async () => {
    const run = await startTry([...credentials(), '--json'], env);
    const forged = await fetch(`${redirectUri}?code=stolen&state=other&iss=${encodeURIComponent(`${server.url}/o/acme`)}`);
    expect(forged.status).toBe(400);
    const callback = await signInThroughPages(new TestBrowser(), run.url, server.url, { username: 'alice', password: PASSWORD });
    expect((await fetch(callback)).status).toBe(200);
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stderr).toContain('\ngatehouse try: refused a request to the redirect URI: the redirect carried another state than the request sent');
    expect(JSON.parse(stdout)).toMatchObject({ client_id: client.clientId, id_token_claims: { sub: '1001' } });
  });

  it('fails with invalid_client on a wrong secret, after the browser came back', async () => {
    const run = await startTry(['--org', 'acme', '--client-id', client.clientId, '--client-secret', 'gsec_wrong', '--redirect-uri', redirectUri, '--json'], env);
    await fetch(await signInThroughPages(new TestBrowser(), run.url, server.url, { username: 'alice', password: PASSWORD }));
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    expect(JSON.parse(stderr.split('\n').at(-2)!)).toMatchObject({ error: 'token_failed', message: expect.stringContaining('401 invalid_client') });
  });

  it('refuses a redirect URI that is not loopback, one in use, and a missing secret, before any sign-in', async () => {
    const notLoopback = await gatehouse(['try', ...credentials().slice(0, -1), 'https://app.example.org/callback'], env);
    expect(notLoopback.code).toBe(2);
    expect(notLoopback.stderr).toContain('--redirect-uri must be an http URI on 127.0.0.1, [::1] or localhost');
    const busy = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => busy.once('listening', resolve));
    try {
      const taken = `http://127.0.0.1:${(busy.address() as AddressInfo).port}/callback`;
      const run = await gatehouse(['try', ...credentials().slice(0, -1), taken, '--json'], env);
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(JSON.parse(run.stderr)).toEqual({ error: 'listen', message: expect.stringMatching(/^cannot listen on 127\.0\.0\.1:\d+ for the redirect URI \(EADDRINUSE\)/) });
    } finally {
      busy.close();
    }
    const noSecret = await gatehouse(['try', '--org', 'acme', '--client-id', client.clientId], env);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('CLIENT_SECRET in the environment (or --client-secret) is required');
  });
});
