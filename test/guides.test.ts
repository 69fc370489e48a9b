import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, seedClient, seedOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

const GUIDES = join(import.meta.dirname, '..', 'docs', 'guides');

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
    server = await startTestServer(dialect);
    await seedOrg(server.store.storage.db, 'charity');
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

  it('neon-crm.sh: login URL, code, token with account_id, logout with targetUrl', async () => {
    const client = await clientOf({ consentRequired: false, postLogoutRedirectUris: ['https://app.example.org/goodbye'] });
    const run = await runGuide('neon-crm.sh', { ...base, ...client, TARGET_URL: 'https://app.example.org/goodbye' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Neon CRM flow complete: account 1001');
  });

  it('jadu-connect.sh: state, consent, curl -F token request, single use, refresh, error redirect', async () => {
    const client = await clientOf({ consentRequired: true, codeTtlSeconds: 30 });
    const run = await runGuide('jadu-connect.sh', { ...base, ...client });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Jadu Connect flow complete');
  });

  it('neos.sh: discovery, scopes, consent, the profile endpoint with a Bearer token', async () => {
    const client = await clientOf({ consentRequired: true });
    const run = await runGuide('neos.sh', { ...base, ...client });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Neos flow complete');
  });
});
