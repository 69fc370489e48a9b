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

  // Regression (issue 9 item 6): claims were looked up per scope in a plain object, so a granted
  // scope named after a property of Object.prototype (`constructor`, `toString`) found that
  // property and userinfo answered 500.
  describe('scopes named after properties of Object.prototype', () => {
    const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
    const REDIRECT = 'https://app.example.org/callback';
    let protoOrgId: string;
    let protoIssuer: string;

    // An org of their own, its scope defined before any request, so no cached copy of it is stale.
    beforeAll(async () => {
      const db = server.store.storage.db;
      protoOrgId = (await createOrganization(db, systemClock, { slug: 'protos', name: 'Protos' })).id;
      protoIssuer = `${server.url}/o/protos`;
      await setCustomScope(db, systemClock, protoOrgId, 'constructor', { description: 'Builder tier', attributes: ['patreon_tier'] });
      await createConstituent(db, systemClock, protoOrgId, { username: 'frooxius', password: 'correct horse battery', attributes: { patreon_tier: 'gold' } });
    });

    async function tokensFor(clientOf: { clientId: string; clientSecret: string | null }, scope: string): Promise<{ access_token: string; refresh_token: string }> {
      const browser = new TestBrowser();
      const params = new URLSearchParams({ response_type: 'code', client_id: clientOf.clientId, redirect_uri: REDIRECT, scope, code_challenge: CHALLENGE, code_challenge_method: 'S256' });
      const first = await browser.follow(`${protoIssuer}/authorize?${params}`, server.url);
      let step = await browser.submit(await first.response.text(), server.url, { username: 'frooxius', password: 'correct horse battery' });
      if (step.url.startsWith(server.url)) step = await browser.submit(await step.response.text(), server.url, { decision: 'allow' });
      const code = new URL(step.url).searchParams.get('code');
      expect(code).toBeTruthy();
      const response = await fetch(`${protoIssuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientOf.clientId}:${clientOf.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, code_verifier: VERIFIER }),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { access_token: string; refresh_token: string };
    }

    it('userinfo answers 200 with the claims of the scopes the org defined, for a token granted them all', async () => {
      const db = server.store.storage.db;
      const named = await seedClient(db, protoOrgId, { scope: `openid profile ${NAMES.join(' ')}` });
      const tokens = await tokensFor(named, `openid ${NAMES.join(' ')}`);
      const response = await fetch(`${protoIssuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(response.status).toBe(200);
      const claims = (await response.json()) as Record<string, unknown>;
      expect(claims).toEqual({ sub: expect.any(String), patreon_tier: 'gold' });
      // The token endpoint keeps them too: a refresh down to one of them works.
      const refreshed = await fetch(`${protoIssuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${named.clientId}:${named.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'openid toString' }),
      });
      expect(refreshed.status).toBe(200);
      const narrowed = (await refreshed.json()) as { access_token: string; scope: string };
      expect(narrowed.scope).toBe('openid toString');
      const narrowClaims = await fetch(`${protoIssuer}/userinfo`, { headers: { authorization: `Bearer ${narrowed.access_token}` } });
      expect(narrowClaims.status).toBe(200);
      expect(await narrowClaims.json()).toEqual({ sub: expect.any(String) });
    });

    it('a client that may not ask for them gets invalid_scope at authorize and token, never a 500', async () => {
      const other = await seedClient(server.store.storage.db, protoOrgId, { scope: 'openid profile' });
      for (const name of NAMES) {
        const params = new URLSearchParams({ response_type: 'code', client_id: other.clientId, redirect_uri: REDIRECT, scope: `openid ${name}`, state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
        const authorize = await new TestBrowser().request(`${protoIssuer}/authorize?${params}`);
        expect(authorize.status).toBe(303);
        expect(new URL(authorize.headers.get('location')!).searchParams.get('error')).toBe('invalid_scope');
      }
      const service = await seedClient(server.store.storage.db, protoOrgId, { redirectUris: [], postLogoutRedirectUris: [], grantTypes: ['client_credentials'], scope: 'reports:read', consentRequired: false });
      for (const name of NAMES) {
        const response = await fetch(`${protoIssuer}/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`${service.clientId}:${service.clientSecret}`).toString('base64')}` },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: name }),
        });
        expect(response.status).toBe(400);
        expect(((await response.json()) as { error: string }).error).toBe('invalid_scope');
      }
    });

    it('__proto__ cannot be defined as a custom scope; constructor and toString can', async () => {
      const db = server.store.storage.db;
      await expect(setCustomScope(db, systemClock, protoOrgId, '__proto__', { description: 'x', attributes: [] })).rejects.toThrowError(InvalidInputError);
      expect((await setCustomScope(db, systemClock, protoOrgId, 'toString', { description: 'Strings', attributes: [] })).created).toBe(true);
    });
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
        expect(refused.json!.error.fields).toEqual([{ field: 'name', message: 'is a scope defined by OpenID Connect, which cannot be redefined' }]);
        expect((await api('DELETE', `/scopes/${name}`)).json!.error.fields[0].field).toBe('name');
      }
      expect((await api('PUT', '/scopes/club', { description: 'Club', attributes: ['sub'] })).json!.error.fields[0].field).toBe('attributes');
      expect((await api('PUT', '/scopes/club', { description: '   ' })).json!.error.fields[0].field).toBe('description');
      const unknown = await api('PUT', '/scopes/club', { description: 'Club', colour: 'red' });
      expect(unknown.json!.error.fields).toEqual([{ field: 'colour', message: 'is not a known field' }]);
      expect((await api('PUT', '/scopes/bad%22name', { description: 'Club' })).json!.error.fields[0].field).toBe('name');
      expect((await api('GET', '/scopes')).json!.data.map((s: { name: string }) => s.name)).toEqual(['patreon']);
    });

    // Security review of issue 9 item 12: an unknown field hid the domain's bad fields, and a
    // well-formed body named its first bad field only.
    it('names every bad field at once, the path\'s name and the body\'s, unknown ones with them', async () => {
      const bad = await api('PUT', '/scopes/openid', { bogus: 1, description: ' ', attributes: ['sub'] });
      expect(bad.status).toBe(400);
      expect(bad.json!.error).toEqual({
        code: 'validation_failed',
        message: 'The request has invalid fields.',
        fields: [
          { field: 'bogus', message: 'is not a known field' },
          { field: 'name', message: 'is a scope defined by OpenID Connect, which cannot be redefined' },
          { field: 'description', message: 'must be 1 to 200 characters' },
          { field: 'attributes', message: "'sub' is a standard claim and cannot be a custom attribute" },
        ],
      });
      const wellFormed = await api('PUT', '/scopes/openid', { description: ' ', attributes: ['Tier'] });
      expect(wellFormed.json!.error.fields).toEqual([
        { field: 'name', message: 'is a scope defined by OpenID Connect, which cannot be redefined' },
        { field: 'description', message: 'must be 1 to 200 characters' },
        { field: 'attributes', message: "'Tier' is not a valid attribute name: use lowercase letters, digits and _ (starting with a letter, up to 64)" },
      ]);
      expect((await api('GET', '/scopes')).json!.data.map((s: { name: string }) => s.name)).toEqual(['patreon']);
    });
  });
});
