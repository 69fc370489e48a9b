import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePassword } from '../src/accounts/passwords.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { BIN } from './helpers/cli.ts';
import { PASSWORD, seedClient, seedOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

const GUIDES = join(import.meta.dirname, '..', 'docs', 'guides');
const STAFF_PASSWORD = 'staff passphrase 4 tests';

function runGuide(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [join(GUIDES, script)], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

/** The seed documents' flows, as the curl scripts in docs/guides run them: the guides cannot rot. */
describe.each(DIALECTS)('docs/guides run against a live server on %s', (dialect) => {
  let server: TestServer;
  let base: Record<string, string>;

  beforeAll(async () => {
    // connectors.sh's provider is an org of this server, reached over loopback http.
    server = await startTestServer(dialect, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' } });
    const { org } = await seedOrg(server.store.storage.db, 'charity');
    await createStaffUser(server.store.storage.db, systemClock, org.id, { email: 'staff@charity.example', role: 'support', password: await preparePassword(STAFF_PASSWORD) });
    base = { ISSUER: `${server.url}/o/charity`, USERNAME: 'alice', PASSWORD, REDIRECT_URI: 'https://app.example.org/callback' };
  });
  afterAll(async () => {
    await server?.close();
  });

  async function clientOf(overrides: Parameters<typeof seedClient>[2]) {
    const org = (await server.store.storage.db.selectFrom('organizations').select('id').where('slug', '=', 'charity').executeTakeFirstOrThrow()).id;
    const client = await seedClient(server.store.storage.db, org, overrides);
    return { CLIENT_ID: client.clientId, CLIENT_SECRET: client.clientSecret! };
  }

  it('neon-crm.sh: login URL, code, token with account_id, logout with targetUrl, a staff browser refused', async () => {
    const client = await clientOf({ consentRequired: false, postLogoutRedirectUris: ['https://app.example.org/goodbye'] });
    const run = await runGuide('neon-crm.sh', { ...base, ...client, TARGET_URL: 'https://app.example.org/goodbye', STAFF_EMAIL: 'staff@charity.example', STAFF_PASSWORD });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ok: a silent request (prompt=none) gets login_required');
    expect(run.stdout).toContain('Neon CRM flow complete: account 1001');
  });

  it('jadu-connect.sh: state, consent, curl -F token request, single use, refresh, error redirect', async () => {
    const client = await clientOf({ consentRequired: true, codeTtlSeconds: 30 });
    const run = await runGuide('jadu-connect.sh', { ...base, ...client });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Jadu Connect flow complete');
  });

  // Regression (issue 9 item 19): the guide created bob without an email, then checked his email
  // claim, and never asked for the patreon scope it set up. The script now runs the guide's
  // `gatehouse` commands too, on an organization the server has not cached yet.
  it('neos.sh: a custom scope and its attribute, discovery, consent, the profile endpoint with a Bearer token', async () => {
    await seedOrg(server.store.storage.db, 'events');
    const run = await runGuide('neos.sh', {
      ...server.store.env,
      GATEHOUSE: `${process.execPath} ${BIN}`,
      ISSUER: `${server.url}/o/events`,
      ORG: 'events',
      REDIRECT_URI: 'https://events.example/cb',
      PASSWORD: 'a long passphrase',
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("ok: an access token for scope 'openid profile email patreon'");
    expect(run.stdout).toContain('ok: the profile has the email (email scope)');
    expect(run.stdout).toContain('ok: the profile has the Patreon tier (patreon scope)');
    expect(run.stdout).toContain('Neos flow complete');
  });

  // Issue 11: the seed's three steps and the AuthValue import, against a provider that is a second
  // organization of this server (the catalogue's gatehouse entry, over loopback http).
  it('connectors.sh: sign-in token with a client_credentials Bearer, the connect URL through the provider org, 303 to targetOrigin, credentials, callbackMessage page, AuthValue', async () => {
    const run = await runGuide('connectors.sh', {
      ...server.store.env,
      GATEHOUSE: `${process.execPath} ${BIN}`,
      PUBLIC_URL: server.url,
      PARTNER_ORG: 'partner',
      PROVIDER_ORG: 'identity',
      TARGET_ORIGIN: 'https://partner.example',
      PASSWORD: 'a long passphrase',
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ok: the hub ends with a 303 to targetOrigin');
    expect(run.stdout).toContain('ok: the sign-in token was single use (the same URL again: 403)');
    expect(run.stdout).toContain("ok: its script posts to that origin, never '*'");
    expect(run.stdout).toContain('ok: naming the field (auth_value.Expires)');
    expect(run.stdout).toMatch(/Connector flow complete: account connector \S+ authenticated\n$/);
  });
});

// The partner page's snippet is shown in connectors.md and served, as a file, by
// test/connect-browser.test.ts to Chromium: the copy in the guide must be that file's.
it('connectors.md shows connectors-partner-page.html as it is (the page the browser test runs)', () => {
  const page = readFileSync(join(GUIDES, 'connectors-partner-page.html'), 'utf8').split('\n');
  const from = page.findIndex((line) => line.includes('<button id="connect"'));
  const to = page.findIndex((line) => line.includes('</script>'));
  expect(from).toBeGreaterThan(0);
  expect(to).toBeGreaterThan(from);
  const snippet = page.slice(from, to + 1).map((line) => line.replace(/^ {2}/, '')).join('\n');
  expect(readFileSync(join(GUIDES, 'connectors.md'), 'utf8')).toContain(`\`\`\`html\n${snippet}\n\`\`\``);
});
