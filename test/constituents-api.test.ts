import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSO_COOKIE } from '../src/http/cookies.ts';
import { systemClock } from '../src/lib/clock.ts';
import { hashSecret } from '../src/lib/secrets.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { TestBrowser } from './helpers/browser.ts';
import { CHALLENGE, PASSWORD, REDIRECT_URI, seedClient, seedOrg, VERIFIER, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

interface TestClient {
  readonly clientId: string;
  readonly clientSecret: string | null;
}

const NEW_PASSWORD = 'a different horse, battery and staple';

describe.each(DIALECTS)('constituents API on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let orgId: string;
  let otherOrgId: string;
  let issuer: string;
  let app: TestClient;
  let secondApp: TestClient;
  const keys = { owner: '', support: '', readOnly: '', otherOwner: '' };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const db = server.store.storage.db;
    seeded = await seedOrg(db, 'acme');
    orgId = seeded.org.id;
    otherOrgId = (await createOrganization(db, systemClock, { slug: 'other' })).id;
    keys.owner = (await createStaffUser(db, systemClock, orgId, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;
    keys.support = (await createStaffUser(db, systemClock, orgId, { email: 'support@acme.example', role: 'support', withApiKey: true })).apiKey!;
    keys.readOnly = (await createStaffUser(db, systemClock, orgId, { email: 'viewer@acme.example', role: 'read_only', withApiKey: true })).apiKey!;
    keys.otherOwner = (await createStaffUser(db, systemClock, otherOrgId, { email: 'owner@other.example', role: 'owner', withApiKey: true })).apiKey!;
    app = await seedClient(db, orgId, { name: 'Test App' });
    secondApp = await seedClient(db, orgId, { name: 'Second App' });
    issuer = `${server.url}/o/acme`;
  });
  afterAll(async () => {
    await server?.close();
  });

  const basic = (org: string, key: string) => `Basic ${Buffer.from(`${org}:${key}`).toString('base64')}`;

  async function api(method: string, path: string, options: { key?: string; org?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: basic(options.org ?? orgId, options.key ?? keys.owner),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
  }

  async function create(body: Record<string, unknown>): Promise<string> {
    const created = await api('POST', '/constituents', { body });
    expect(created.status).toBe(201);
    return created.json!.account_id as string;
  }

  /**
   * Goes through authorization as a person would: signs in when asked, allows consent. Returns the
   * code, or undefined when the sign-in page refused the credentials.
   */
  async function authorize(browser: TestBrowser, client: TestClient, username: string, password: string): Promise<string | undefined> {
    const params = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'openid profile', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    let step = await browser.follow(`${issuer}/authorize?${params}`, server.url);
    let signedIn = false;
    for (let pages = 0; pages < 4; pages++) {
      if (!step.url.startsWith(server.url)) return new URL(step.url).searchParams.get('code')!;
      const html = await step.response.text();
      if (html.includes('autocomplete="current-password"')) {
        if (signedIn) return undefined;
        signedIn = true;
        step = await browser.submit(html, server.url, { username, password });
      } else if (html.includes('name="decision"')) {
        step = await browser.submit(html, server.url, { decision: 'allow' });
      } else {
        throw new Error(`unexpected page (${step.response.status}) at ${step.url}: ${html.slice(0, 300)}`);
      }
    }
    throw new Error('too many pages');
  }

  /** True when this browser is asked to sign in on its next authorization (no live SSO session). */
  async function asksToSignIn(browser: TestBrowser, client: TestClient): Promise<boolean> {
    const params = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'openid profile', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    const step = await browser.follow(`${issuer}/authorize?${params}`, server.url);
    return step.url.startsWith(server.url) && (await step.response.text()).includes('autocomplete="current-password"');
  }

  const clientAuth = (client: TestClient) => `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret ?? '')}`).toString('base64')}`;

  async function token(client: TestClient, body: Record<string, string>): Promise<{ status: number; json: Record<string, any> }> {
    const response = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: clientAuth(client) }, body: new URLSearchParams(body).toString() });
    return { status: response.status, json: (await response.json()) as Record<string, any> };
  }
  const redeem = (client: TestClient, code: string) => token(client, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: VERIFIER });
  const refresh = (client: TestClient, refreshToken: string) => token(client, { grant_type: 'refresh_token', refresh_token: refreshToken });

  async function tokensFor(client: TestClient, username: string, password: string, browser = new TestBrowser()): Promise<{ access_token: string; refresh_token: string }> {
    const code = await authorize(browser, client, username, password);
    expect(code).toBeDefined();
    const redeemed = await redeem(client, code!);
    expect(redeemed.status).toBe(200);
    return redeemed.json as { access_token: string; refresh_token: string };
  }

  async function userinfoStatus(accessToken: string): Promise<number> {
    return (await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  }

  async function auditOf(action: string): Promise<Array<Record<string, any>>> {
    const audit = await api('GET', `/audit?action=${action}`);
    expect(audit.status).toBe(200);
    return audit.json!.data as Array<Record<string, any>>;
  }

  describe('search', () => {
    let ids: Record<string, string>;

    beforeAll(async () => {
      ids = {
        ann: await create({ username: 'Srch-Ann', email: 'ann@srch.example', attributes: { tier: 'gold', age: 42, vip: true } }),
        bob: await create({ username: 'srch-bob', email: 'Bob@Srch.example', attributes: { tier: 'silver', age: 7, vip: false } }),
        cy: await create({ username: 'srch-cy', attributes: { tier: 'gold' } }),
        dee: await create({ username: 'srch_dee', email: 'dee@srch.example' }),
      };
      expect((await api('POST', `/constituents/${ids.cy}/disable`)).status).toBe(200);
    });

    async function found(query: string): Promise<string[]> {
      const response = await api('GET', `/constituents?${query}`);
      expect(response.status).toBe(200);
      return (response.json!.data as Array<{ account_id: string }>).map((c) => c.account_id);
    }

    it('finds by exact login name and exact email, case-insensitively', async () => {
      expect(await found('login_name=SRCH-ANN')).toEqual([ids.ann]);
      expect(await found('login_name=srch-an')).toEqual([]);
      expect(await found(`email=${encodeURIComponent('BOB@srch.EXAMPLE')}`)).toEqual([ids.bob]);
      const [ann] = (await api('GET', '/constituents?login_name=srch-ann')).json!.data;
      expect(ann).toEqual({
        account_id: ids.ann,
        username: 'Srch-Ann',
        email: 'ann@srch.example',
        email_verified: false,
        name: null,
        picture_url: null,
        attributes: { tier: 'gold', age: 42, vip: true },
        status: 'active',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
    });

    it('finds by a prefix of the login name or the email, taking % and _ literally', async () => {
      expect(await found('q=SRCH')).toEqual([ids.ann, ids.bob, ids.cy, ids.dee]);
      expect(await found('q=srch-')).toEqual([ids.ann, ids.bob, ids.cy]);
      expect(await found('q=srch_')).toEqual([ids.dee]);
      expect(await found('q=srch%25')).toEqual([]);
      expect(await found(`q=${encodeURIComponent('bob@')}`)).toEqual([ids.bob]);
    });

    it('finds by status and by a custom attribute, combining filters', async () => {
      expect(await found('q=srch&status=disabled')).toEqual([ids.cy]);
      expect(await found('q=srch&status=active')).toEqual([ids.ann, ids.bob, ids.dee]);
      expect(await found('attribute=tier:gold')).toEqual([ids.ann, ids.cy]);
      expect(await found('attribute=tier:gold&status=active')).toEqual([ids.ann]);
      expect(await found('attribute=tier:GOLD')).toEqual([]);
      expect(await found('attribute=age:42')).toEqual([ids.ann]);
      expect(await found('attribute=vip:true')).toEqual([ids.ann]);
      expect(await found('attribute=vip:false')).toEqual([ids.bob]);
      expect(await found('attribute=nothing:gold')).toEqual([]);
    });

    it('pages in creation order with opaque cursors, and every page of the org adds up to the whole', async () => {
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const response: { status: number; json?: Record<string, any> } = await api('GET', `/constituents?q=srch&limit=1${cursor === null ? '' : `&cursor=${cursor}`}`);
        expect(response.status).toBe(200);
        pages.push((response.json!.data as Array<{ account_id: string }>).map((c) => c.account_id));
        cursor = response.json!.next_cursor as string | null;
      } while (cursor !== null && pages.length < 10);
      expect(pages).toEqual([[ids.ann], [ids.bob], [ids.cy], [ids.dee]]);

      const all = await found('limit=200');
      const paged: string[] = [];
      let next: string | null = null;
      do {
        const response: { json?: Record<string, any> } = await api('GET', `/constituents?limit=2${next === null ? '' : `&cursor=${next}`}`);
        paged.push(...(response.json!.data as Array<{ account_id: string }>).map((c) => c.account_id));
        next = response.json!.next_cursor as string | null;
      } while (next !== null);
      expect(paged).toEqual(all);
      expect(new Set(all).size).toBe(all.length);
    });

    it('refuses a forged cursor, a malformed attribute filter and unknown parameters with 400', async () => {
      const forged = await api('GET', '/constituents?cursor=garbage');
      expect(forged.status).toBe(400);
      expect(forged.json!.error.fields).toEqual([{ field: 'cursor', message: 'is not a cursor returned by this API' }]);
      const attribute = await api('GET', '/constituents?attribute=tier');
      expect(attribute.status).toBe(400);
      expect(attribute.json!.error.fields[0].field).toBe('attribute');
      const badName = await api('GET', `/constituents?attribute=${encodeURIComponent("x'):1")}`);
      expect(badName.status).toBe(400);
      const unknown = await api('GET', '/constituents?colour=red');
      expect(unknown.status).toBe(400);
      expect(unknown.json!.error.fields).toEqual([{ field: 'colour', message: 'is not a known field' }]);
      expect((await api('GET', '/constituents?limit=201')).status).toBe(400);
    });
  });

  describe('create and change', () => {
    it('creates a constituent (201, with its ETag), keeping attribute types', async () => {
      const created = await api('POST', '/constituents', {
        body: { username: 'Carol', password: PASSWORD, email: 'carol@example.org', name: 'Carol Example', attributes: { tier: 'gold', level: 3, member: true, flag: false } },
      });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ username: 'Carol', email: 'carol@example.org', email_verified: false, name: 'Carol Example', status: 'active', attributes: { tier: 'gold', level: 3, member: true, flag: false } });
      expect(created.headers.get('etag')).toMatch(/^"v\d+"$/);
      expect(JSON.stringify(created.json)).not.toContain('argon2');
      const read = await api('GET', `/constituents/${created.json!.account_id}`);
      expect(read.json).toEqual(created.json);
      expect(read.headers.get('etag')).toBe(created.headers.get('etag'));
      const [event] = await auditOf('constituent.created');
      expect(event).toMatchObject({ target: { type: 'constituent', id: created.json!.account_id }, details: { has_password: true } });
      expect(await authorize(new TestBrowser(), app, 'carol', PASSWORD)).toBeDefined();
    });

    it('refuses a taken login name (in any case) or email with 409, naming the field', async () => {
      const username = await api('POST', '/constituents', { body: { username: 'ALICE' } });
      expect(username.status).toBe(409);
      expect(username.json!.error).toMatchObject({ code: 'conflict', fields: [{ field: 'username' }] });
      const email = await api('POST', '/constituents', { body: { username: 'alice2', email: 'Alice@Example.org' } });
      expect(email.status).toBe(409);
      expect(email.json!.error.fields[0].field).toBe('email');
    });

    it('names each bad or unknown field with 400', async () => {
      const badEmail = await api('POST', '/constituents', { body: { username: 'newbie', email: 'not-an-email' } });
      expect(badEmail.status).toBe(400);
      expect(badEmail.json!.error.fields).toEqual([{ field: 'email', message: "'not-an-email' is not an email address" }]);
      const unknown = await api('POST', '/constituents', { body: { username: 'newbie', colour: 'red' } });
      expect(unknown.status).toBe(400);
      expect(unknown.json!.error.fields).toEqual([{ field: 'colour', message: 'is not a known field' }]);
      const missing = await api('POST', '/constituents', { body: {} });
      expect(missing.json!.error.fields).toEqual([{ field: 'username', message: 'is required' }]);
      const password = await api('POST', '/constituents', { body: { username: 'newbie', password: 'short' } });
      expect(password.json!.error.fields).toEqual([{ field: 'password', message: 'must be at least 8 characters' }]);
      const attribute = await api('POST', '/constituents', { body: { username: 'newbie', attributes: { tier: { nested: 1 } } } });
      expect(attribute.status).toBe(400);
      expect(attribute.json!.error.fields[0].field).toBe('attributes');
      expect((await api('GET', '/constituents?login_name=newbie')).json!.data).toEqual([]);
    });

    // Security review of issue 9 item 12: an unknown field hid the domain's bad fields, and with a
    // well-formed body the password's rule (checked first, as it is hashed first) hid the others.
    it('names every bad field of a new or changed constituent at once, unknown ones with them', async () => {
      const count = async () => (await api('GET', '/constituents?limit=200')).json!.data.length as number;
      const before = await count();
      const created = await api('POST', '/constituents', { body: { bogus: 1, username: 'bob', email: 'not-an-email' } });
      expect(created.status).toBe(400);
      expect(created.json!.error).toEqual({
        code: 'validation_failed',
        message: 'The request has invalid fields.',
        fields: [
          { field: 'bogus', message: 'is not a known field' },
          { field: 'email', message: "'not-an-email' is not an email address" },
        ],
      });
      const all = await api('POST', '/constituents', { body: { bogus: 1, username: ' bob', email: 'not-an-email', name: '', password: 'short', attributes: { Tier: 'gold' } } });
      expect(all.json!.error.fields).toEqual([
        { field: 'bogus', message: 'is not a known field' },
        { field: 'username', message: 'must not start or end with white space' },
        { field: 'password', message: 'must be at least 8 characters' },
        { field: 'email', message: "'not-an-email' is not an email address" },
        { field: 'name', message: 'must be 1 to 200 characters' },
        { field: 'attributes', message: "'Tier' is not a valid attribute name: use lowercase letters, digits and _ (starting with a letter, up to 64)" },
      ]);
      const wellFormed = await api('POST', '/constituents', { body: { username: '', password: 'short', email: 'x' } });
      expect(wellFormed.json!.error.fields).toEqual([
        { field: 'username', message: 'must be 1 to 128 characters' },
        { field: 'password', message: 'must be at least 8 characters' },
        { field: 'email', message: "'x' is not an email address" },
      ]);
      expect(await count()).toBe(before);

      const accountId = (await api('POST', '/constituents', { body: { username: 'fields-check' } })).json!.account_id as string;
      const changed = await api('PATCH', `/constituents/${accountId}`, { body: { bogus: 1, username: '', email: 'not-an-email', picture_url: 'http://pics.example/d.png', attributes: { sub: 'x' } } });
      expect(changed.json!.error.fields).toEqual([
        { field: 'bogus', message: 'is not a known field' },
        { field: 'username', message: 'must be 1 to 128 characters' },
        { field: 'email', message: "'not-an-email' is not an email address" },
        { field: 'picture_url', message: 'must be an https URL without credentials' },
        { field: 'attributes', message: "'sub' is a standard claim and cannot be a custom attribute" },
      ]);
      const wellFormedChange = await api('PATCH', `/constituents/${accountId}`, { body: { name: ' ', attributes: { sub: 'x' } } });
      expect(wellFormedChange.json!.error.fields).toEqual([
        { field: 'name', message: 'must be 1 to 200 characters' },
        { field: 'attributes', message: "'sub' is a standard claim and cannot be a custom attribute" },
      ]);
      const password = await api('POST', `/constituents/${accountId}/password`, { body: { bogus: 1, password: 'short' } });
      expect(password.json!.error.fields).toEqual([
        { field: 'bogus', message: 'is not a known field' },
        { field: 'password', message: 'must be at least 8 characters' },
      ]);
      expect((await api('GET', `/constituents/${accountId}`)).json).toMatchObject({ username: 'fields-check', email: null, name: null, attributes: {} });
    });

    it('changes the profile under If-Match, and refuses a stale ETag with 412', async () => {
      const id = await create({ username: 'Hana', email: 'hana@example.org', attributes: { tier: 'gold', keep: 1 } });
      expect((await api('PATCH', `/constituents/${id}`, { body: { email_verified: true } })).json!.email_verified).toBe(true);
      const read = await api('GET', `/constituents/${id}`);
      const etag = read.headers.get('etag')!;
      const changed = await api('PATCH', `/constituents/${id}`, {
        body: { username: 'Hana-Maria', email: 'HANA.M@example.org', name: 'Hana Maria', picture_url: 'https://img.example.org/hana.png', attributes: { tier: null, level: 2 } },
        headers: { 'if-match': etag },
      });
      expect(changed.status).toBe(200);
      expect(changed.json).toMatchObject({
        username: 'Hana-Maria',
        email: 'HANA.M@example.org',
        // A new address is not verified, whatever the old one was.
        email_verified: false,
        name: 'Hana Maria',
        picture_url: 'https://img.example.org/hana.png',
        attributes: { keep: 1, level: 2 },
      });
      expect(changed.json!.attributes).not.toHaveProperty('tier');
      expect(changed.headers.get('etag')).not.toBe(etag);
      const stale = await api('PATCH', `/constituents/${id}`, { body: { name: 'Lost update' }, headers: { 'if-match': etag } });
      expect(stale.status).toBe(412);
      expect(stale.json!.error.code).toBe('version_mismatch');
      expect((await api('GET', `/constituents/${id}`)).json!.name).toBe('Hana Maria');
      expect(await found('login_name=hana-maria')).toEqual([id]);

      // Only the login name's case: still the same login, no conflict with itself.
      expect((await api('PATCH', `/constituents/${id}`, { body: { username: 'HANA-MARIA', email: null, name: null } })).json).toMatchObject({ username: 'HANA-MARIA', email: null, name: null });
      const [event] = await auditOf('constituent.updated');
      expect(event).toMatchObject({ target: { type: 'constituent', id }, details: { fields: 'username,email,name' } });
    });

    it('refuses a taken login name or email (409), a non-https picture and a malformed If-Match (400)', async () => {
      const id = await create({ username: 'Ivo' });
      expect((await api('PATCH', `/constituents/${id}`, { body: { username: 'Alice' } })).json!.error).toMatchObject({ code: 'conflict', fields: [{ field: 'username' }] });
      expect((await api('PATCH', `/constituents/${id}`, { body: { email: 'ALICE@example.org' } })).json!.error).toMatchObject({ code: 'conflict', fields: [{ field: 'email' }] });
      const picture = await api('PATCH', `/constituents/${id}`, { body: { picture_url: 'http://img.example.org/ivo.png' } });
      expect(picture.status).toBe(400);
      expect(picture.json!.error.fields[0].field).toBe('picture_url');
      expect((await api('PATCH', `/constituents/${id}`, { body: { name: 'x' }, headers: { 'if-match': 'yesterday' } })).status).toBe(400);
      expect((await api('PATCH', `/constituents/${id}`, { body: { status: 'disabled' } })).status).toBe(400);
      expect((await api('GET', `/constituents/${id}`)).json).toMatchObject({ username: 'Ivo', picture_url: null, status: 'active' });
    });

    async function found(query: string): Promise<string[]> {
      return ((await api('GET', `/constituents?${query}`)).json!.data as Array<{ account_id: string }>).map((c) => c.account_id);
    }
  });

  describe('disabling, passwords, grants and sessions', () => {
    it('disabling revokes the tokens held (userinfo 401, refresh invalid_grant, unredeemed codes fail) and sign-in fails; enabling lets it sign in again', async () => {
      const id = await create({ username: 'dora', password: PASSWORD });
      const tokens = await tokensFor(app, 'dora', PASSWORD);
      expect(await userinfoStatus(tokens.access_token)).toBe(200);
      // A second browser's session, and a code it has not redeemed yet.
      const browser = new TestBrowser();
      const unredeemed = await authorize(browser, secondApp, 'dora', PASSWORD);

      const disabled = await api('POST', `/constituents/${id}/disable`, { key: keys.support });
      expect(disabled.status).toBe(200);
      expect(disabled.json!.status).toBe('disabled');
      expect(await userinfoStatus(tokens.access_token)).toBe(401);
      expect((await refresh(app, tokens.refresh_token)).json.error).toBe('invalid_grant');
      expect((await redeem(secondApp, unredeemed!)).json.error).toBe('invalid_grant');
      expect((await api('GET', `/constituents/${id}/sessions`)).json!.data).toEqual([]);
      expect(await asksToSignIn(browser, app)).toBe(true);
      expect(await authorize(new TestBrowser(), app, 'dora', PASSWORD)).toBeUndefined();
      const [event] = await auditOf('constituent.disabled');
      expect(event).toMatchObject({ target: { type: 'constituent', id }, details: { sessions_ended: 2, families_revoked: 1 } });

      expect((await api('POST', `/constituents/${id}/enable`)).json!.status).toBe('active');
      expect(await userinfoStatus(tokens.access_token)).toBe(401);
      expect(await authorize(new TestBrowser(), app, 'dora', PASSWORD)).toBeDefined();
    });

    it('setting a password ends the SSO sessions: the old password fails, the new one works', async () => {
      const id = await create({ username: 'erin', password: PASSWORD });
      const browser = new TestBrowser();
      expect(await authorize(browser, app, 'erin', PASSWORD)).toBeDefined();
      expect(await asksToSignIn(browser, app)).toBe(false);

      const weak = await api('POST', `/constituents/${id}/password`, { body: { password: 'short' } });
      expect(weak.json!.error.fields).toEqual([{ field: 'password', message: 'must be at least 8 characters' }]);
      const set = await api('POST', `/constituents/${id}/password`, { body: { password: NEW_PASSWORD } });
      expect(set.status).toBe(200);
      expect(await asksToSignIn(browser, app)).toBe(true);
      expect(await authorize(new TestBrowser(), app, 'erin', PASSWORD)).toBeUndefined();
      expect(await authorize(new TestBrowser(), app, 'erin', NEW_PASSWORD)).toBeDefined();

      const events = await api('GET', `/audit?action=constituent.password_set&target_id=${id}`);
      expect(events.json!.data).toHaveLength(1);
      expect(events.json!.data[0].details).toEqual({ sessions_ended: 1 });
      expect(JSON.stringify(events.json)).not.toContain(NEW_PASSWORD);
    });

    it('a password set on an account created without one lets it sign in', async () => {
      const id = await create({ username: 'noor' });
      expect(await authorize(new TestBrowser(), app, 'noor', NEW_PASSWORD)).toBeUndefined();
      expect((await api('POST', `/constituents/${id}/password`, { body: { password: NEW_PASSWORD } })).status).toBe(200);
      expect(await authorize(new TestBrowser(), app, 'noor', NEW_PASSWORD)).toBeDefined();
    });

    it('lists the clients allowed with their live authorizations, and revoking one revokes only that client\'s tokens', async () => {
      const id = await create({ username: 'fay', password: PASSWORD });
      const browser = new TestBrowser();
      const first = await tokensFor(app, 'fay', PASSWORD, browser);
      const second = await tokensFor(secondApp, 'fay', PASSWORD, browser);

      const grants = await api('GET', `/constituents/${id}/grants`, { key: keys.readOnly });
      expect(grants.status).toBe(200);
      expect(grants.json!.data).toEqual([
        { client_id: app.clientId, client_name: 'Test App', scope: 'openid profile', created_at: expect.any(String), updated_at: expect.any(String), token_families: [expect.objectContaining({ scope: 'openid profile' })] },
        { client_id: secondApp.clientId, client_name: 'Second App', scope: 'openid profile', created_at: expect.any(String), updated_at: expect.any(String), token_families: [expect.objectContaining({ scope: 'openid profile' })] },
      ]);

      expect((await api('DELETE', `/constituents/${id}/grants/${encodeURIComponent(app.clientId)}`, { key: keys.support })).status).toBe(204);
      expect((await refresh(app, first.refresh_token)).json.error).toBe('invalid_grant');
      expect(await userinfoStatus(first.access_token)).toBe(401);
      expect((await refresh(secondApp, second.refresh_token)).status).toBe(200);
      const after = await api('GET', `/constituents/${id}/grants`);
      expect(after.json!.data.map((g: { client_id: string }) => g.client_id)).toEqual([secondApp.clientId]);
      expect((await api('DELETE', `/constituents/${id}/grants/${encodeURIComponent(app.clientId)}`)).status).toBe(404);
      const [event] = await auditOf('grant.revoked');
      expect(event).toMatchObject({ target: { type: 'constituent', id }, details: { client_id: app.clientId, families_revoked: 1 } });

      // The consent is forgotten: the next authorization asks again.
      const params = new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'openid profile', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
      const step = await browser.follow(`${issuer}/authorize?${params}`, server.url);
      expect(await step.response.text()).toContain('name="decision"');
    });

    it('lists live SSO sessions by a reference that is no cookie, and ends them all', async () => {
      const id = await create({ username: 'gus', password: PASSWORD });
      const browsers = [new TestBrowser(), new TestBrowser()];
      for (const browser of browsers) expect(await authorize(browser, app, 'gus', PASSWORD)).toBeDefined();

      const sessions = await api('GET', `/constituents/${id}/sessions`, { key: keys.readOnly });
      expect(sessions.status).toBe(200);
      expect(sessions.json!.data).toHaveLength(2);
      const cookies = browsers.map((b) => b.cookie(SSO_COOKIE)!);
      for (const session of sessions.json!.data as Array<Record<string, string>>) {
        expect(Object.keys(session).sort()).toEqual(['auth_time', 'created_at', 'expires_at', 'id']);
        expect(session.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
        expect(cookies).not.toContain(session.id);
        expect(cookies.map(hashSecret)).not.toContain(session.id);
        expect(Date.parse(session.expires_at!)).toBeGreaterThan(Date.now());
      }
      const again = await api('GET', `/constituents/${id}/sessions`);
      expect(again.json!.data.map((s: { id: string }) => s.id)).toEqual(sessions.json!.data.map((s: { id: string }) => s.id));

      expect((await api('DELETE', `/constituents/${id}/sessions`, { key: keys.support })).status).toBe(204);
      expect((await api('GET', `/constituents/${id}/sessions`)).json!.data).toEqual([]);
      for (const browser of browsers) expect(await asksToSignIn(browser, app)).toBe(true);
      const [event] = await auditOf('constituent.sessions_ended');
      expect(event).toMatchObject({ target: { type: 'constituent', id }, details: { sessions_ended: 2 } });
    });

    it('ends one SSO session by its reference, leaving the others; an unknown or ended one is a 404', async () => {
      const id = await create({ username: 'hal', password: PASSWORD });
      const browsers = [new TestBrowser(), new TestBrowser()];
      for (const browser of browsers) expect(await authorize(browser, app, 'hal', PASSWORD)).toBeDefined();
      const listed = (await api('GET', `/constituents/${id}/sessions`)).json!.data as Array<{ id: string }>;
      expect(listed).toHaveLength(2);
      // The browser whose session is listed first (its cookie's stored hash starts with the reference).
      const ended = browsers.findIndex((b) => hashSecret(b.cookie(SSO_COOKIE)!).startsWith(listed[0]!.id));
      expect(ended).not.toBe(-1);
      expect((await api('DELETE', `/constituents/${id}/sessions/${listed[0]!.id}`, { key: keys.support })).status).toBe(204);
      expect((await api('GET', `/constituents/${id}/sessions`)).json!.data.map((s: { id: string }) => s.id)).toEqual([listed[1]!.id]);
      expect(await asksToSignIn(browsers[ended]!, app)).toBe(true);
      expect(await asksToSignIn(browsers[1 - ended]!, app)).toBe(false);
      expect((await api('DELETE', `/constituents/${id}/sessions/${listed[0]!.id}`)).status).toBe(404);
      expect((await api('DELETE', `/constituents/${id}/sessions/AAAAAAAAAAAAAAAA`)).status).toBe(404);
      // Another constituent's session is not this one's to end.
      expect((await api('DELETE', `/constituents/${seeded.constituent.accountId}/sessions/${listed[1]!.id}`)).status).toBe(404);
      expect((await api('DELETE', `/constituents/${id}/sessions/${listed[1]!.id}`, { key: keys.readOnly })).status).toBe(403);
      const [event] = await auditOf('constituent.session_ended');
      expect(event).toMatchObject({ target: { type: 'constituent', id }, details: { session_id: listed[0]!.id } });
    });
  });

  describe('tenancy and permissions', () => {
    it('keeps organizations apart: a key of another org gets 404 for this org\'s account', async () => {
      const alice = seeded.constituent.accountId;
      const other = { org: otherOrgId, key: keys.otherOwner };
      expect((await api('GET', `/constituents/${alice}`, other)).status).toBe(404);
      expect((await api('PATCH', `/constituents/${alice}`, { ...other, body: { name: 'Mallory' } })).status).toBe(404);
      expect((await api('POST', `/constituents/${alice}/disable`, other)).status).toBe(404);
      expect((await api('POST', `/constituents/${alice}/password`, { ...other, body: { password: NEW_PASSWORD } })).status).toBe(404);
      expect((await api('GET', `/constituents/${alice}/grants`, other)).status).toBe(404);
      expect((await api('DELETE', `/constituents/${alice}/grants/${encodeURIComponent(app.clientId)}`, other)).status).toBe(404);
      expect((await api('GET', `/constituents/${alice}/sessions`, other)).status).toBe(404);
      expect((await api('DELETE', `/constituents/${alice}/sessions`, other)).status).toBe(404);
      expect((await api('GET', '/constituents?q=alice', other)).json!.data).toEqual([]);

      // Account numbers are per org: the other org's first account has alice's number, and is its own.
      const zoe = await api('POST', '/constituents', { ...other, body: { username: 'zoe' } });
      expect(zoe.json!.account_id).toBe(alice);
      expect((await api('GET', `/constituents/${alice}`, other)).json!.username).toBe('zoe');
      expect((await api('GET', `/constituents/${alice}`)).json).toMatchObject({ username: 'alice', name: 'Alice Example', status: 'active' });
      expect(await authorize(new TestBrowser(), app, 'alice', PASSWORD)).toBeDefined();
    });

    it('answers 404 for an unknown account', async () => {
      expect((await api('GET', '/constituents/999999')).json!.error.code).toBe('not_found');
      expect((await api('POST', '/constituents/999999/enable')).status).toBe(404);
    });

    it('lets read_only read but not change; support may change', async () => {
      const id = await create({ username: 'jo' });
      const readOnly = { key: keys.readOnly };
      expect((await api('GET', '/constituents', readOnly)).status).toBe(200);
      expect((await api('GET', `/constituents/${id}`, readOnly)).status).toBe(200);
      const patch = await api('PATCH', `/constituents/${id}`, { ...readOnly, body: { name: 'Jo' } });
      expect(patch.status).toBe(403);
      expect(patch.json!.error.code).toBe('forbidden');
      expect((await api('POST', `/constituents/${id}/disable`, readOnly)).status).toBe(403);
      expect((await api('POST', '/constituents', { ...readOnly, body: { username: 'sneaky' } })).status).toBe(403);
      expect((await api('PATCH', `/constituents/${id}`, { key: keys.support, body: { name: 'Jo' } })).json!.name).toBe('Jo');
    });
  });
});
