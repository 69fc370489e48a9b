import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { TestBrowser } from './helpers/browser.ts';
import { CHALLENGE, REDIRECT_URI, seedClient, seedOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

/** Branding set through PATCH /api/v2/org reaches the hosted pages of that org, and their CSP. */
describe.each(DIALECTS)('org branding on %s', (dialect) => {
  let server: TestServer;
  let auth: string;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const db = server.store.storage.db;
    const { org } = await seedOrg(db, 'riverside');
    clientId = (await seedClient(db, org.id)).clientId;
    const owner = await createStaffUser(db, systemClock, org.id, { email: 'owner@riverside.example', role: 'owner', withApiKey: true });
    auth = `Basic ${Buffer.from(`riverside:${owner.apiKey}`).toString('base64')}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function patchOrg(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/api/v2/org`, { method: 'PATCH', headers: { authorization: auth, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, etag: response.headers.get('etag'), json: (await response.json()) as Record<string, any> };
  }

  async function signInPage(): Promise<{ html: string; csp: string }> {
    const params = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    const { response } = await new TestBrowser().follow(`${server.url}/o/riverside/authorize?${params}`, server.url);
    return { html: await response.text(), csp: response.headers.get('content-security-policy')! };
  }

  it('stores the logo and colours, shows them on the sign-in page, and lets the CSP load exactly that logo origin', async () => {
    const etag = (await fetch(`${server.url}/api/v2/org`, { headers: { authorization: auth } })).headers.get('etag')!;
    const changed = await patchOrg({ logo_url: 'https://cdn.riverside.example/logo.svg', primary_color: '#0A7A3B', accent_color: '#7c2d12' }, { 'if-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.json.settings).toMatchObject({ logo_url: 'https://cdn.riverside.example/logo.svg', primary_color: '#0a7a3b', accent_color: '#7c2d12' });
    expect((await patchOrg({ primary_color: '#000000' }, { 'if-match': etag })).status).toBe(412);

    const page = await signInPage();
    expect(page.html).toContain('<img src="https://cdn.riverside.example/logo.svg" alt="riverside Org" referrerpolicy="no-referrer">');
    expect(page.html).toContain('--primary:#0a7a3b;--on-primary:#ffffff;--accent:#7c2d12;');
    expect(page.csp).toContain('img-src https://cdn.riverside.example;');
    expect(page.csp).toContain("frame-ancestors 'none'");
    expect(page.csp).not.toMatch(/img-src[^;]*(https:|data:)[;\s]/);

    // The logout and error pages of the org carry the branding too.
    const logout = await fetch(`${server.url}/o/riverside/logout`);
    expect(await logout.text()).toContain('alt="riverside Org"');
    expect(logout.headers.get('content-security-policy')).toContain('img-src https://cdn.riverside.example;');
    const expired = await fetch(`${server.url}/o/riverside/login?interaction=nope`);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain('alt="riverside Org"');

    // The login widget's button takes the primary colour too (issue 9 item 20).
    const widget = await (await fetch(`${server.url}/o/riverside/widget.js`)).text();
    expect(widget).toContain('var BACKGROUND = "#0a7a3b";\n  var TEXT_COLOR = "#ffffff";');

    // null clears: the name comes back, and no image may load.
    const cleared = await patchOrg({ logo_url: null, primary_color: null, accent_color: null });
    expect(cleared.json.settings).toMatchObject({ logo_url: null, primary_color: null, accent_color: null });
    const plain = await signInPage();
    expect(plain.html).toContain('<span class="brand-name">riverside Org</span>');
    expect(plain.html).toContain('--primary:#1d4ed8;');
    expect(plain.csp).not.toContain('img-src');
    expect(await (await fetch(`${server.url}/o/riverside/widget.js`)).text()).toContain('var BACKGROUND = "#1d4ed8";\n  var TEXT_COLOR = "#ffffff";');
  });

  it('names every bad branding field at once, and changes nothing', async () => {
    const before = (await fetch(`${server.url}/api/v2/org`, { headers: { authorization: auth } })).headers.get('etag');
    for (const logo of ['javascript:alert(1)', 'data:image/svg+xml,<svg/>', 'http://cdn.riverside.example/logo.png', 'https://u:p@cdn.riverside.example/l.png', '/logo.png']) {
      const bad = await patchOrg({ logo_url: logo, primary_color: 'red', accent_color: '#12345', code_ttl_seconds: 0 });
      expect(bad.status).toBe(400);
      expect(bad.json.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['accent_color', 'code_ttl_seconds', 'logo_url', 'primary_color']);
    }
    const one = await patchOrg({ primary_color: '#fff' });
    expect(one.json.error.fields).toEqual([{ field: 'primary_color', message: 'must be a colour written #rrggbb, or null' }]);
    const typed = await patchOrg({ logo_url: 42 });
    expect(typed.status).toBe(400);
    expect(typed.json.error.fields[0].field).toBe('logo_url');
    expect((await fetch(`${server.url}/api/v2/org`, { headers: { authorization: auth } })).headers.get('etag')).toBe(before);
  });

  // Security review of issue 9 item 12: an unknown field hid the domain's bad fields.
  it('names the domain\'s bad fields beside an unknown one', async () => {
    const before = (await fetch(`${server.url}/api/v2/org`, { headers: { authorization: auth } })).headers.get('etag');
    const bad = await patchOrg({ bogus: 1, name: ' ', logo_url: 'http://cdn.riverside.example/logo.png', primary_color: 'red', sso_session_ttl_seconds: 60, self_registration: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toEqual({
      code: 'validation_failed',
      message: 'The request has invalid fields.',
      fields: [
        { field: 'bogus', message: 'is not a known field' },
        { field: 'self_registration', message: 'must be one of closed, open' },
        { field: 'sso_session_ttl_seconds', message: 'must be a whole number of seconds from 300 to 2592000' },
        { field: 'name', message: 'must be 1 to 200 characters' },
        { field: 'logo_url', message: 'must be an https URL on a host name (at most 2048 characters), or null' },
        { field: 'primary_color', message: 'must be a colour written #rrggbb, or null' },
      ],
    });
    expect((await fetch(`${server.url}/api/v2/org`, { headers: { authorization: auth } })).headers.get('etag')).toBe(before);
  });

  it('still changes the token lifetimes and the consent default, as before', async () => {
    const changed = await patchOrg({ access_token_ttl_seconds: 900, refresh_token_ttl_seconds: 86_400, id_token_ttl_seconds: 600, consent_required_by_default: false });
    expect(changed.json.settings).toMatchObject({ access_token_ttl_seconds: 900, refresh_token_ttl_seconds: 86_400, id_token_ttl_seconds: 600, consent_required_by_default: false });
  });
});
