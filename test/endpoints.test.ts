import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConstituent } from '../src/accounts/constituents.ts';
import { changeClientStatus } from '../src/clients/client-admin.ts';
import { CLI_OPERATOR } from '../src/staff/actor.ts';
import { CLIENT_CACHE_TTL_MS } from '../src/oauth/org-resolver.ts';
import { systemClock } from '../src/lib/clock.ts';
import { mintOpaqueCredential } from '../src/oauth/credentials/credentials.ts';
import { insertGrantCredentials } from '../src/oauth/credentials/credentials.repository.ts';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { PASSWORD, seedClient, seedOrg, type SeededOrg, REDIRECT_URI, VERIFIER, CHALLENGE } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';


describe.each(DIALECTS)('userinfo, introspection, revocation, logout, JWKS and widget on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let app: { clientId: string; clientSecret: string | null };
  let spa: { clientId: string; clientSecret: string | null };
  let issuer: string;
  /** Added to the real time: moved forward only to let ID tokens expire, and put back after. */
  let skew = 0;

  beforeAll(async () => {
    server = await startTestServer(dialect, { clock: () => Date.now() + skew });
    seeded = await seedOrg(server.store.storage.db, 'acme');
    app = await seedClient(server.store.storage.db, seeded.org.id, { consentRequired: false, postLogoutRedirectUris: ['https://app.example.org/signed-out'] });
    spa = await seedClient(server.store.storage.db, seeded.org.id, { clientType: 'public', redirectUris: ['https://spa.example.org/cb'], postLogoutRedirectUris: [], consentRequired: false });
    await createConstituent(server.store.storage.db, systemClock, seeded.org.id, { username: 'mallory', password: PASSWORD });
    issuer = `${server.url}/o/acme`;
  });
  afterAll(async () => {
    await server?.close();
  });

  const basic = (c: { clientId: string; clientSecret: string | null }) => `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret ?? ''}`).toString('base64')}`;

  async function signedIn(scope = 'openid profile', username = 'alice', client = app): Promise<{ browser: TestBrowser; tokens: Record<string, string> }> {
    const browser = new TestBrowser();
    const params = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope, code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    const callback = await signInThroughPages(browser, `${issuer}/authorize?${params}`, server.url, { username, password: PASSWORD });
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: new URL(callback).searchParams.get('code')!, redirect_uri: REDIRECT_URI, code_verifier: VERIFIER }).toString(),
    });
    return { browser, tokens: (await response.json()) as Record<string, string> };
  }

  const form = (body: Record<string, string>, authorization?: string) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization === undefined ? {} : { authorization }) },
    body: new URLSearchParams(body).toString(),
  });

  describe('userinfo', () => {
    it('accepts the token in the header (GET, POST) and in a form body, and at /profile (Neos)', async () => {
      const { tokens } = await signedIn();
      const bearer = { authorization: `Bearer ${tokens.access_token}` };
      for (const response of [
        await fetch(`${issuer}/userinfo`, { headers: bearer }),
        await fetch(`${issuer}/userinfo`, { method: 'POST', headers: bearer }),
        await fetch(`${issuer}/userinfo`, form({ access_token: tokens.access_token! })),
        await fetch(`${issuer}/profile`, { headers: bearer }),
      ]) {
        expect(response.status).toBe(200);
        expect(((await response.json()) as { sub: string }).sub).toBe(seeded.constituent.accountId);
      }
    });

    // RFC 6750 §3.1: no bearer credentials (none, or another scheme) get a bare challenge and no
    // error information; a malformed Bearer header is invalid_request (400); a bad token invalid_token.
    it('answers a missing token with a bare Bearer challenge, a malformed one with invalid_request, a bad one with invalid_token', async () => {
      for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Negotiate abc' }, { authorization: 'Bearerabc' }]) {
        const missing = await fetch(`${issuer}/userinfo`, { headers });
        expect(missing.status).toBe(401);
        expect(missing.headers.get('www-authenticate')).toBe(`Bearer realm="${issuer}"`);
        expect(await missing.text()).toBe('');
      }
      for (const authorization of ['Bearer ', 'Bearer a b', 'Bearer <script>']) {
        const response = await fetch(`${issuer}/userinfo`, { headers: { authorization } });
        expect(response.status).toBe(400);
        expect(response.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer realm="${issuer}", error="invalid_request"`));
        expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
      }
      for (const authorization of ['Bearer forged-token', `Bearer ${'x'.repeat(10_000)}`]) {
        const response = await fetch(`${issuer}/userinfo`, { headers: { authorization } });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
        expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
      }
    });

    // OpenID Connect Core §5.3: only the access token of an OpenID Connect request; RFC 6750 §3.1.
    it('refuses a token granted without openid with 403 insufficient_scope, at /userinfo and /profile', async () => {
      const { tokens } = await signedIn('email');
      expect(tokens.scope).toBe('email');
      const bearer = { authorization: `Bearer ${tokens.access_token}` };
      for (const response of [
        await fetch(`${issuer}/userinfo`, { headers: bearer }),
        await fetch(`${issuer}/userinfo`, form({ access_token: tokens.access_token! })),
        await fetch(`${issuer}/profile`, { headers: bearer }),
      ]) {
        expect(response.status).toBe(403);
        expect(response.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer realm="${issuer}", error="insufficient_scope", .*, scope="openid"$`));
        expect(await response.json()).toEqual({ error: 'insufficient_scope', error_description: expect.any(String) });
      }
    });

    it('refuses a token sent twice, and a token in the query string', async () => {
      const { tokens } = await signedIn();
      const twice = await fetch(`${issuer}/userinfo`, { ...form({ access_token: tokens.access_token! }), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${tokens.access_token}` } });
      expect(twice.status).toBe(400);
      expect(((await twice.json()) as { error: string }).error).toBe('invalid_request');
      const query = await fetch(`${issuer}/userinfo?access_token=${tokens.access_token}`);
      expect(query.status).toBe(401);
    });
    // Suspending a client revokes its tokens in one transaction, but another process may go on
    // minting for it until its client cache expires: such a token must not outlive the suspension.
    it('refuses a token of a client suspended since it was issued, even one the suspension did not revoke', async () => {
      const db = server.store.storage.db;
      const client = await seedClient(db, seeded.org.id, { consentRequired: false });
      const token = mintOpaqueCredential(Date.now());
      await insertGrantCredentials(db, { access: { id: token.id, hash: token.hash, orgId: seeded.org.id, clientId: client.clientId, familyId: null, accountId: seeded.constituent.accountId, scope: 'openid', createdAt: Date.now(), expiresAt: Date.now() + 3600_000 } });
      const bearer = { authorization: `Bearer ${token.value}` };
      expect((await fetch(`${issuer}/userinfo`, { headers: bearer })).status).toBe(200);
      await db.updateTable('clients').set({ status: 'suspended' }).where('id', '=', client.clientId).execute();
      skew = 2100; // past the server's client cache
      try {
        const refused = await fetch(`${issuer}/userinfo`, { headers: bearer });
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
      } finally {
        skew = 0;
      }
    });
  });

  describe('introspection and revocation', () => {
    it('refuse unauthenticated and public clients at introspection', async () => {
      const { tokens } = await signedIn();
      const anonymous = await fetch(`${issuer}/introspect`, form({ token: tokens.access_token! }));
      expect(anonymous.status).toBe(401);
      const publicClient = await fetch(`${issuer}/introspect`, form({ token: tokens.access_token!, client_id: spa.clientId }));
      expect(publicClient.status).toBe(401);
      const noToken = await fetch(`${issuer}/introspect`, form({}, basic(app)));
      expect(((await noToken.json()) as { error: string }).error).toBe('invalid_request');
    });

    it('show a client nothing of another client\'s tokens', async () => {
      const { tokens } = await signedIn();
      const other = await seedClient(server.store.storage.db, seeded.org.id, { consentRequired: false });
      const response = await fetch(`${issuer}/introspect`, form({ token: tokens.access_token! }, basic(other)));
      expect(await response.json()).toEqual({ active: false });
      // Nor can it revoke them.
      expect((await fetch(`${issuer}/revoke`, form({ token: tokens.refresh_token! }, basic(other)))).status).toBe(200);
      const still = await fetch(`${issuer}/introspect`, form({ token: tokens.refresh_token! }, basic(app)));
      expect(((await still.json()) as { active: boolean }).active).toBe(true);
    });

    it('revoking an access token leaves its refresh token usable', async () => {
      const { tokens } = await signedIn();
      expect((await fetch(`${issuer}/revoke`, form({ token: tokens.access_token!, token_type_hint: 'access_token' }, basic(app)))).status).toBe(200);
      expect((await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
      const refreshed = await fetch(`${issuer}/token`, form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, basic(app)));
      expect(refreshed.status).toBe(200);
    });

    it('answers 200 for unknown tokens and invalid_request without a token', async () => {
      expect((await fetch(`${issuer}/revoke`, form({ token: 'unknown' }, basic(app)))).status).toBe(200);
      const missing = await fetch(`${issuer}/revoke`, form({}, basic(app)));
      expect(missing.status).toBe(400);
    });
  });

  describe('logout', () => {
    const SIGNED_OUT = 'https://app.example.org/signed-out';

    /** True while the browser's SSO session is live: an authorization goes straight back to the app. */
    async function stillSignedIn(browser: TestBrowser): Promise<boolean> {
      const params = new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
      const step = await browser.follow(`${issuer}/authorize?${params}`, server.url);
      return step.url.startsWith(REDIRECT_URI);
    }

    /** The confirmation page's form, after checking the page is one. */
    async function confirmationPage(response: Response): Promise<string> {
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain('name="confirm"');
      return html;
    }

    it('Neon\'s targetUrl: asks first, keeps the session until confirmed, then redirects to the registered URI', async () => {
      const { browser } = await signedIn();
      const html = await confirmationPage(await browser.request(`${issuer}/logout?targetUrl=${encodeURIComponent(SIGNED_OUT)}`));
      expect(await stillSignedIn(browser)).toBe(true);
      const done = await browser.submit(html, server.url, {});
      expect(done.url).toBe(SIGNED_OUT);
      expect(await stillSignedIn(browser)).toBe(false);
    });

    // Issue 9 item 20: the confirmation had no way out but signing out.
    it('"Stay signed in" leads to a page of ours, never to the target, and ends nothing', async () => {
      const { browser } = await signedIn();
      const html = await confirmationPage(await browser.request(`${issuer}/logout?targetUrl=${encodeURIComponent(SIGNED_OUT)}`));
      const stay = /<a class="button secondary" href="([^"]+)">Stay signed in<\/a>/.exec(html)?.[1];
      expect(stay).toBe(`${issuer}/logout/cancelled`);
      const page = await browser.request(stay!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<h1>You are still signed in</h1>');
      expect(await stillSignedIn(browser)).toBe(true);
      // Without a session the page says so.
      expect(await (await new TestBrowser().request(stay!)).text()).toContain('<h1>You are signed out</h1>');
    });

    it('Neon\'s targetUrl without a session: nothing to confirm, straight on to the registered URI', async () => {
      const response = await new TestBrowser().request(`${issuer}/logout?targetUrl=${encodeURIComponent(SIGNED_OUT)}`);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(SIGNED_OUT);
    });

    it('a hint naming this session signs out at once and returns with state', async () => {
      const { browser, tokens } = await signedIn();
      const query = new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT, state: 'bye' });
      const response = await browser.request(`${issuer}/logout?${query}`);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`${SIGNED_OUT}?state=bye`);
      expect(await stillSignedIn(browser)).toBe(false);
    });

    it('a refreshed ID token (no sid) of the session\'s account signs out at once', async () => {
      const { browser, tokens } = await signedIn();
      const refreshed = (await (await fetch(`${issuer}/token`, form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, basic(app)))).json()) as Record<string, string>;
      expect(JSON.parse(Buffer.from(refreshed.id_token!.split('.')[1]!, 'base64url').toString())).not.toHaveProperty('sid');
      const response = await browser.request(`${issuer}/logout?id_token_hint=${refreshed.id_token}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('You are signed out');
      expect(await stillSignedIn(browser)).toBe(false);
    });

    it('a hint of another person asks first and keeps the session (logout CSRF with the attacker\'s own ID token)', async () => {
      const { browser: alice } = await signedIn();
      const { tokens: mallory } = await signedIn('openid profile', 'mallory');
      const query = new URLSearchParams({ id_token_hint: mallory.id_token!, post_logout_redirect_uri: SIGNED_OUT, state: 's1' });
      const html = await confirmationPage(await alice.request(`${issuer}/logout?${query}`));
      expect(await stillSignedIn(alice)).toBe(true);
      // Confirmed by the person, it goes on as asked.
      const done = await alice.submit(html, server.url, {});
      expect(done.url).toBe(`${SIGNED_OUT}?state=s1`);
      expect(await stillSignedIn(alice)).toBe(false);
    });

    it('an expired hint still names the session (§2), and is still no proof of anyone else\'s', async () => {
      const { browser: alice, tokens: own } = await signedIn();
      const { tokens: mallory } = await signedIn('openid profile', 'mallory');
      skew = 2 * 3600_000; // past the ID tokens' hour, within the session's eight
      try {
        await confirmationPage(await alice.request(`${issuer}/logout?id_token_hint=${mallory.id_token}`));
        expect(await stillSignedIn(alice)).toBe(true);
        const response = await alice.request(`${issuer}/logout?${new URLSearchParams({ id_token_hint: own.id_token!, post_logout_redirect_uri: SIGNED_OUT })}`);
        expect(response.headers.get('location')).toBe(SIGNED_OUT);
        expect(await stillSignedIn(alice)).toBe(false);
      } finally {
        skew = 0;
      }
    });

    it('a hint of the same person\'s other session asks first and keeps this one', async () => {
      const { browser } = await signedIn();
      const { tokens: elsewhere } = await signedIn();
      await confirmationPage(await browser.request(`${issuer}/logout?id_token_hint=${elsewhere.id_token}`));
      expect(await stillSignedIn(browser)).toBe(true);
    });

    it('an RP\'s POST (cross-site: no cookie) is sent on to the GET, which signs out with the cookie', async () => {
      const { browser, tokens } = await signedIn();
      const body = { id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT, state: 'bye', ignored: 'x' };
      const posted = await fetch(`${issuer}/logout`, { ...form(body), redirect: 'manual' });
      expect(posted.status).toBe(303);
      expect(posted.headers.getSetCookie()).toEqual([]);
      const location = new URL(posted.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(`${issuer}/logout`);
      expect(Object.fromEntries(location.searchParams)).toEqual({ id_token_hint: tokens.id_token, post_logout_redirect_uri: SIGNED_OUT, state: 'bye' });
      // A forged "confirmation" from another site is no confirmation, and leaves the browser's cookies alone.
      const forged = await fetch(`${issuer}/logout`, { ...form({ ...body, confirm: 'yes', csrf_token: 'guessed' }), redirect: 'manual' });
      expect(forged.status).toBe(303);
      expect(forged.headers.get('location')).toBe(location.href);
      expect(forged.headers.getSetCookie()).toEqual([]);
      expect(await stillSignedIn(browser)).toBe(true);
      const followed = await browser.request(location.href);
      expect(followed.status).toBe(303);
      expect(followed.headers.get('location')).toBe(`${SIGNED_OUT}?state=bye`);
      expect(await stillSignedIn(browser)).toBe(false);
    });

    it.each([
      ['a repeated parameter', 'state=a&state=b'],
      ['a NUL byte', 'client_id=%00'],
      ['an unregistered targetUrl', 'targetUrl=https%3A%2F%2Fevil.example%2F'],
      ['a tampered id_token_hint', 'id_token_hint=eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJ4In0.AAAA'],
    ])('a POST with %s gets the error page, never a redirect', async (_name, body) => {
      const response = await fetch(`${issuer}/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('Cannot sign out this way');
    });

    it('a POST body that is not a form gets a 400 page, not a 500', async () => {
      for (const [type, body] of [['application/json', '{"state":1}'], ['text/plain', 'state=x']]) {
        const response = await fetch(`${issuer}/logout`, { method: 'POST', headers: { 'content-type': type! }, body, redirect: 'manual' });
        expect(response.status).toBe(400);
        expect(response.headers.get('location')).toBeNull();
      }
    });

    it.each([
      ['an unregistered targetUrl', 'targetUrl=https%3A%2F%2Fevil.example%2F'],
      ['a post_logout_redirect_uri without a client', 'post_logout_redirect_uri=https%3A%2F%2Fapp.example.org%2Fsigned-out'],
      ['a tampered id_token_hint', 'id_token_hint=eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJ4In0.AAAA'],
    ])('%s gets an error page, never a redirect', async (_name, query) => {
      const response = await new TestBrowser().request(`${issuer}/logout?${query}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    });

    it('refuses an id_token_hint whose signature was altered', async () => {
      const { tokens } = await signedIn();
      const [header, payload, signature] = tokens.id_token!.split('.');
      const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), aud: spa.clientId })).toString('base64url');
      const response = await new TestBrowser().request(`${issuer}/logout?id_token_hint=${header}.${forgedPayload}.${signature}`);
      expect(response.status).toBe(400);
    });

    it('asks for confirmation without an id_token_hint, and signs out after it', async () => {
      const { browser } = await signedIn();
      const html = await confirmationPage(await browser.request(`${issuer}/logout`));
      // A forged confirmation (no CSRF token) signs nobody out: it is sent back to ask.
      const forged = await browser.request(`${issuer}/logout`, { form: { confirm: 'yes' } });
      expect(forged.status).toBe(303);
      expect(forged.headers.get('location')).toBe(`${issuer}/logout`);
      expect(await stillSignedIn(browser)).toBe(true);
      const done = await browser.submit(html, server.url, { confirm: 'yes' });
      expect(done.response.status).toBe(200);
      expect(browser.cookie('gh_session')).toBeUndefined();
      expect(await stillSignedIn(browser)).toBe(false);
    });

    // Regression (issue 9 item 2): a pending, rejected or suspended client's post-logout URI was a
    // logout target, and with registration open anyone can register a client with any URI: an open
    // redirect. RP-Initiated Logout 1.0 §3: no redirection to a URI the OP could not verify.
    describe('logout naming an application that is not active', () => {
      const EVIL = 'https://evil.example/landing';
      const REQUESTED = { name: 'Trusted Bank Portal', postLogoutRedirectUris: [EVIL], consentRequired: false, registration: { source: 'dynamic', requesterName: null, requesterEmail: null, requestReason: null } } as const;

      async function clientThatIs(status: 'pending' | 'rejected' | 'suspended'): Promise<{ clientId: string; clientSecret: string | null }> {
        const db = server.store.storage.db;
        const client = await seedClient(db, seeded.org.id, REQUESTED);
        if (status === 'rejected') await changeClientStatus({ db, clock: systemClock, org: seeded.org, actor: CLI_OPERATOR }, client.clientId, 'reject', { reason: 'Not ours.' });
        if (status === 'suspended') {
          await changeClientStatus({ db, clock: systemClock, org: seeded.org, actor: CLI_OPERATOR }, client.clientId, 'approve');
          await changeClientStatus({ db, clock: systemClock, org: seeded.org, actor: CLI_OPERATOR }, client.clientId, 'suspend');
        }
        return client;
      }

      it.each(['pending', 'rejected', 'suspended'] as const)('a %s client: our page, never its URI, and never its name', async (status) => {
        const { clientId } = await clientThatIs(status);
        for (const query of [{ client_id: clientId, post_logout_redirect_uri: EVIL, state: 's' }, { client_id: clientId, targetUrl: EVIL }] as Array<Record<string, string>>) {
          const anonymous = await new TestBrowser().request(`${issuer}/logout?${new URLSearchParams(query)}`);
          expect(anonymous.status).toBe(200);
          expect(anonymous.headers.get('location')).toBeNull();
          const page = await anonymous.text();
          expect(page).toContain('You are signed out');
          expect(page).not.toContain(REQUESTED.name);

          const { browser } = await signedIn();
          const html = await browser.request(`${issuer}/logout?${new URLSearchParams(query)}`);
          expect(html.status).toBe(200);
          const confirmation = await html.text();
          expect(confirmation).toContain('name="confirm"');
          expect(confirmation).not.toContain(REQUESTED.name);
          const done = await browser.submit(confirmation, server.url, {});
          expect(done.response.status).toBe(200);
          expect(done.url.startsWith(issuer)).toBe(true);
          expect(await done.response.text()).toContain('You are signed out');
          expect(await stillSignedIn(browser)).toBe(false);
        }
        // An RP's POST naming it is sent on to the GET, which does not redirect either.
        const posted = await fetch(`${issuer}/logout`, { ...form({ client_id: clientId, post_logout_redirect_uri: EVIL }), redirect: 'manual' });
        expect(new URL(posted.headers.get('location')!).origin).toBe(server.url);
      });

      it('an id_token_hint whose audience was suspended since: signs the session out, without redirecting', async () => {
        const db = server.store.storage.db;
        const client = await seedClient(db, seeded.org.id, REQUESTED);
        await changeClientStatus({ db, clock: systemClock, org: seeded.org, actor: CLI_OPERATOR }, client.clientId, 'approve');
        const { browser, tokens } = await signedIn('openid profile', 'alice', client);
        await changeClientStatus({ db, clock: systemClock, org: seeded.org, actor: CLI_OPERATOR }, client.clientId, 'suspend');
        skew = CLIENT_CACHE_TTL_MS + 1000; // past this process's cached copy of the active client
        try {
          for (const query of [{ id_token_hint: tokens.id_token!, post_logout_redirect_uri: EVIL, state: 's' }, { id_token_hint: tokens.id_token!, targetUrl: EVIL }] as Array<Record<string, string>>) {
            const response = await browser.request(`${issuer}/logout?${new URLSearchParams(query)}`);
            expect(response.status).toBe(200);
            expect(response.headers.get('location')).toBeNull();
            expect(await response.text()).toContain('You are signed out');
          }
          expect(await stillSignedIn(browser)).toBe(false);
        } finally {
          skew = 0;
        }
      });
    });
  });

  // Regression: PostgreSQL text cannot hold NUL, and a NUL in a parameter reached a query as a 500.
  it('answers NUL bytes in any parameter with a 4xx, never a 500', async () => {
    const binding = { cookie: `gh_browser=${'a'.repeat(43)}` };
    const requests: Array<Promise<Response>> = [
      fetch(`${issuer}/authorize?client_id=%00&response_type=code`),
      fetch(`${issuer}/token`, form({ grant_type: 'client_credentials', client_id: '\u0000' })),
      fetch(`${issuer}/token`, form({ grant_type: 'client_credentials' }, `Basic ${Buffer.from('\u0000:x').toString('base64')}`)),
      fetch(`${issuer}/introspect`, form({ token: 'x', client_id: 'a\u0000' })),
      fetch(`${issuer}/login?interaction=%00`, { headers: binding }),
      fetch(`${issuer}/consent?interaction=a%00`, { headers: binding }),
      fetch(`${issuer}/logout?client_id=%00`),
      fetch(`${issuer}/staff/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=%00&password=x&csrf_token=x' }),
    ];
    for (const response of await Promise.all(requests)) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
  });

  describe('keys, discovery and the widget', () => {
    it('publishes public keys only, and ID tokens verify against them', async () => {
      const jwks = (await (await fetch(`${issuer}/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
      expect(jwks.keys.length).toBeGreaterThan(0);
      for (const key of jwks.keys) {
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
        expect(key).toMatchObject({ use: 'sig' });
      }
      const { tokens } = await signedIn();
      const kid = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()).kid as string;
      expect(jwks.keys.map((k) => k.kid)).toContain(kid);
    });

    it('advertises only claims an ID token or userinfo can carry (OIDC Discovery §3)', async () => {
      const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { claims_supported: string[] };
      expect(metadata.claims_supported).toContain('sub');
      expect(metadata.claims_supported).not.toContain('account_id');
    });

    it('gives each organization its own keys', async () => {
      await seedOrg(server.store.storage.db, 'beta');
      const acme = (await (await fetch(`${issuer}/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      const beta = (await (await fetch(`${server.url}/o/beta/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      expect(beta.keys.map((k) => k.kid)).not.toContain(acme.keys[0]!.kid);
    });

    it('answers unknown organizations with 404', async () => {
      expect((await fetch(`${server.url}/o/nope/.well-known/openid-configuration`)).status).toBe(404);
      expect((await fetch(`${server.url}/.well-known/oauth-authorization-server/o/nope`)).status).toBe(404);
      const page = await fetch(`${server.url}/o/nope/authorize?client_id=x`);
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toContain('text/html');
    });

    it('serves the login widget as cacheable JavaScript naming the org and its authorization endpoint', async () => {
      const response = await fetch(`${issuer}/widget.js`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const source = await response.text();
      expect(source).toContain(JSON.stringify(`${issuer}/authorize`));
      expect(source).toContain('acme Org');
    });
  });
});
