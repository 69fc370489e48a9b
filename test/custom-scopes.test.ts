import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConstituent, setConstituentAttributes } from '../src/accounts/constituents.ts';
import { systemClock } from '../src/lib/clock.ts';
import { InvalidInputError } from '../src/lib/errors.ts';
import { setCustomScope } from '../src/orgs/custom-scopes.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { TestBrowser } from './helpers/browser.ts';
import { seedClient, VERIFIER, CHALLENGE } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';


/** Neos: `profile`, `email` and the org's own `patreon` scope, released at the profile endpoint after consent. */
describe.each(DIALECTS)('custom scopes on %s', (dialect) => {
  let server: TestServer;
  let issuer: string;
  let client: { clientId: string; clientSecret: string | null };
  let orgId: string;
  let ownerKey: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const db = server.store.storage.db;
    const org = await createOrganization(db, systemClock, { slug: 'neos', name: 'Neos' });
    await setCustomScope(db, systemClock, org.id, 'patreon', { description: 'Your Patreon membership', attributes: ['patreon_tier', 'patreon_since'] });
    await createConstituent(db, systemClock, org.id, { username: 'frooxius', password: 'correct horse battery', attributes: { patreon_tier: 'gold', internal_note: 'never released' } });
    client = await seedClient(db, org.id, { scope: 'openid profile email patreon' });
    issuer = `${server.url}/o/neos`;
    orgId = org.id;
    ownerKey = (await createStaffUser(db, systemClock, org.id, { email: 'owner@neos.example', role: 'owner', withApiKey: true })).apiKey!;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function profileWith(scope: string): Promise<{ profile: Record<string, unknown>; consentPage: string }> {
    const browser = new TestBrowser();
    const params = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: 'https://app.example.org/callback', scope, code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    let consentPage = '';
    const first = await browser.follow(`${issuer}/authorize?${params}`, server.url);
    const afterLogin = await browser.submit(await first.response.text(), server.url, { username: 'frooxius', password: 'correct horse battery' });
    let callback = afterLogin.url;
    // Consent is remembered: a scope set allowed before goes straight back to the app.
    if (callback.startsWith(server.url)) {
      consentPage = await afterLogin.response.text();
      callback = (await browser.submit(consentPage, server.url, { decision: 'allow' })).url;
    }
    const code = new URL(callback).searchParams.get('code')!;
    const tokens = (await (
      await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'https://app.example.org/callback', code_verifier: VERIFIER }),
      })
    ).json()) as { access_token: string };
    const profile = (await (await fetch(`${issuer}/profile`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    return { profile, consentPage };
  }

  it('releases the attributes of a granted custom scope, and only those', async () => {
    const { profile, consentPage } = await profileWith('openid profile patreon');
    expect(consentPage).toContain('Your Patreon membership');
    expect(profile).toMatchObject({ preferred_username: 'frooxius', patreon_tier: 'gold' });
    expect(profile).not.toHaveProperty('internal_note');
    expect(profile).not.toHaveProperty('patreon_since');
  });

  it('releases nothing custom without the scope', async () => {
    const { profile } = await profileWith('openid profile');
    expect(profile).not.toHaveProperty('patreon_tier');
  });

  it('advertises the custom scope in discovery', async () => {
    const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { scopes_supported: string[]; claims_supported: string[] };
    expect(metadata.scopes_supported).toContain('patreon');
    expect(metadata.claims_supported).toContain('patreon_tier');
  });

  it('refuses to redefine OpenID scopes or standard claims', async () => {
    const db = server.store.storage.db;
    const org = await createOrganization(db, systemClock, { slug: `guard-${dialect}` });
    await expect(setCustomScope(db, systemClock, org.id, 'email', { description: 'x', attributes: [] })).rejects.toThrowError(InvalidInputError);
    await expect(setCustomScope(db, systemClock, org.id, 'club', { description: 'x', attributes: ['sub'] })).rejects.toThrowError(InvalidInputError);
    await expect(setCustomScope(db, systemClock, org.id, 'club', { description: 'x', attributes: ['Bad-Name'] })).rejects.toThrowError(InvalidInputError);
    const created = await createConstituent(db, systemClock, org.id, { username: 'x' });
    await expect(setConstituentAttributes(db, systemClock, org.id, created.accountId, { email: 'spoof@example.org' })).rejects.toThrowError(InvalidInputError);
    const updated = await setConstituentAttributes(db, systemClock, org.id, created.accountId, { tier: 'silver' });
    expect(updated.attributes).toEqual({ tier: 'silver' });
    expect((await setConstituentAttributes(db, systemClock, org.id, created.accountId, { tier: null })).attributes).toEqual({});
  });

  describe('through the management API', () => {
    async function api(method: string, path: string, body?: unknown) {
      const response = await fetch(`${server.url}/api/v2${path}`, {
        method,
        headers: { authorization: `Basic ${Buffer.from(`${orgId}:${ownerKey}`).toString('base64')}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
    }
    const advertised = async () => ((await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { scopes_supported: string[] }).scopes_supported;

    it('defines, lists, redefines and removes a scope, with an audit event for each change', async () => {
      const created = await api('PUT', '/scopes/volunteer', { description: 'Your volunteer record', attributes: ['volunteer_hours', 'volunteer_hours'] });
      expect(created).toEqual({ status: 201, json: { name: 'volunteer', description: 'Your volunteer record', attributes: ['volunteer_hours'] } });
      expect(await advertised()).toContain('volunteer');
      const updated = await api('PUT', '/scopes/volunteer', { description: 'Your volunteering' });
      expect(updated).toEqual({ status: 200, json: { name: 'volunteer', description: 'Your volunteering', attributes: [] } });
      // The scope set by the domain function directly (as `gatehouse scope set` does) is listed too.
      expect((await api('GET', '/scopes')).json!.data).toEqual([
        { name: 'patreon', description: 'Your Patreon membership', attributes: ['patreon_tier', 'patreon_since'] },
        { name: 'volunteer', description: 'Your volunteering', attributes: [] },
      ]);
      expect((await api('DELETE', '/scopes/volunteer')).status).toBe(204);
      expect((await api('DELETE', '/scopes/volunteer')).status).toBe(404);
      expect(await advertised()).not.toContain('volunteer');
      const actions = (await api('GET', '/audit?target_id=volunteer')).json!.data.map((e: { action: string }) => e.action);
      expect(actions).toEqual(['scope.deleted', 'scope.updated', 'scope.created']);
    });

    it('refuses the OpenID Connect scopes with 400 naming the field, and names bad fields', async () => {
      for (const name of ['openid', 'profile', 'email', 'offline_access']) {
        const refused = await api('PUT', `/scopes/${name}`, { description: 'Mine now' });
        expect(refused.status).toBe(400);
        expect(refused.json!.error.fields).toEqual([{ field: 'name', message: `'${name}' is defined by OpenID Connect and cannot be redefined` }]);
        expect((await api('DELETE', `/scopes/${name}`)).json!.error.fields[0].field).toBe('name');
      }
      expect((await api('PUT', '/scopes/club', { description: 'Club', attributes: ['sub'] })).json!.error.fields[0].field).toBe('attributes');
      expect((await api('PUT', '/scopes/club', { description: '   ' })).json!.error.fields[0].field).toBe('description');
      const unknown = await api('PUT', '/scopes/club', { description: 'Club', colour: 'red' });
      expect(unknown.json!.error.fields).toEqual([{ field: 'colour', message: 'is not a known field' }]);
      expect((await api('PUT', '/scopes/bad%22name', { description: 'Club' })).json!.error.fields[0].field).toBe('name');
      expect((await api('GET', '/scopes')).json!.data.map((s: { name: string }) => s.name)).toEqual(['patreon']);
    });
  });
});
