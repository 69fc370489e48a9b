import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { PASSWORD, seedClient, seedOrg, type SeededOrg, REDIRECT_URI, CHALLENGE } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';


describe.each(DIALECTS)('authorization endpoint on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let clientId: string;
  let publicClientId: string;
  /** A confidential client that does not ask for consent: signing in with it leaves no consent remembered for clientId. */
  let noConsentClientId: string;
  let issuer: string;
  // Time is injected: tests move it instead of sleeping.
  let now = Date.now();

  beforeAll(async () => {
    server = await startTestServer(dialect, { clock: () => now });
    const db = server.store.storage.db;
    seeded = await seedOrg(db, 'acme');
    clientId = (await seedClient(db, seeded.org.id)).clientId;
    publicClientId = (await seedClient(db, seeded.org.id, { clientType: 'public', redirectUris: ['http://127.0.0.1/callback', 'http://[::1]/callback', 'http://localhost/native', 'com.example.app:/cb'], consentRequired: false })).clientId;
    noConsentClientId = (await seedClient(db, seeded.org.id, { consentRequired: false })).clientId;
    issuer = `${server.url}/o/acme`;
  });
  afterAll(async () => {
    await server?.close();
  });

  const authorizeUrl = (params: Record<string, string>) => `${issuer}/authorize?${new URLSearchParams(params)}`;
  const base = () => ({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'openid', state: 'st-1' });

  async function get(url: string, browser = new TestBrowser()) {
    return browser.request(url);
  }

  /** The parameters of an error sent back to the redirect URI. */
  async function redirectedError(params: Record<string, string>): Promise<URLSearchParams> {
    const response = await get(authorizeUrl(params));
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    return location.searchParams;
  }

  describe('never redirects when the client or redirect URI cannot be trusted', () => {
    it.each([
      ['an unknown client', { client_id: 'nope' }, 'Unknown application'],
      ['a missing client_id', { client_id: '' }, 'Missing client'],
      ['an unregistered redirect URI', { redirect_uri: 'https://evil.example/callback' }, 'Invalid redirect URI'],
      ['a redirect URI differing by a trailing slash', { redirect_uri: `${REDIRECT_URI}/` }, 'Invalid redirect URI'],
      ['a redirect URI differing in case', { redirect_uri: REDIRECT_URI.toUpperCase() }, 'Invalid redirect URI'],
      ['a missing redirect URI', { redirect_uri: '' }, 'Missing redirect URI'],
    ])('%s gets an error page', async (_name, override, title) => {
      const response = await get(authorizeUrl({ ...base(), ...override }));
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).toContain(title);
    });

    it('a client of another organization is unknown here', async () => {
      const other = await seedOrg(server.store.storage.db, 'other-org');
      const foreign = await seedClient(server.store.storage.db, other.org.id);
      const response = await get(authorizeUrl({ ...base(), client_id: foreign.clientId }));
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('Unknown application');
    });

    it('a repeated client_id gets an error page', async () => {
      const response = await get(`${authorizeUrl(base())}&client_id=${clientId}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    });
  });

  describe('redirects other errors with error, error_description, state and iss', () => {
    it.each([
      ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
      ['a missing response_type', { response_type: '' }, 'invalid_request'],
      ['a scope the client may not ask for', { scope: 'openid admin' }, 'invalid_scope'],
      ['PKCE plain', { code_challenge: CHALLENGE, code_challenge_method: 'plain' }, 'invalid_request'],
      ['a code_challenge_method without a challenge', { code_challenge_method: 'S256' }, 'invalid_request'],
      ['a malformed code_challenge', { code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
      ['prompt=none with login', { prompt: 'none login' }, 'invalid_request'],
      ['an unknown prompt', { prompt: 'maybe' }, 'invalid_request'],
      ['a negative max_age', { max_age: '-1' }, 'invalid_request'],
      ['a request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
      ['a request_uri', { request_uri: 'https://app.example.org/r' }, 'request_uri_not_supported'],
      ['prompt=none without a session', { prompt: 'none' }, 'login_required'],
    ])('%s → %s', async (_name, override, error) => {
      const params = await redirectedError({ ...base(), ...override });
      expect(params.get('error')).toBe(error);
      expect(params.get('error_description')).toBeTruthy();
      expect(params.get('state')).toBe('st-1');
      expect(params.get('iss')).toBe(issuer);
      expect(params.get('code')).toBeNull();
    });

    it('a repeated parameter is invalid_request', async () => {
      const response = await get(`${authorizeUrl(base())}&scope=openid`);
      const params = new URL(response.headers.get('location')!).searchParams;
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('error_description')).toContain('scope');
    });

    it('a state with a NUL character is invalid_request, never a code without the state (RFC 6749 §4.1.2)', async () => {
      const browser = new TestBrowser();
      await signInThroughPages(browser, authorizeUrl({ ...base(), client_id: noConsentClientId }), server.url, { username: 'alice', password: PASSWORD });
      const response = await browser.request(authorizeUrl({ ...base(), client_id: noConsentClientId, state: 'a\u0000b' }));
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(REDIRECT_URI);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('error_description')).toContain('state');
      expect(location.searchParams.get('code')).toBeNull();
      // It cannot be sent back as it came, and is not sent back altered: like a repeated state, it is left out.
      expect(location.searchParams.has('state')).toBe(false);
      expect(location.searchParams.get('iss')).toBe(issuer);
    });

    it('a public client without PKCE is invalid_request', async () => {
      const params = await redirectedErrorFor(publicClientId, 'http://127.0.0.1/callback', {});
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('error_description')).toContain('PKCE');
    });

    async function redirectedErrorFor(client: string, redirectUri: string, extra: Record<string, string>) {
      const response = await get(authorizeUrl({ response_type: 'code', client_id: client, redirect_uri: redirectUri, state: 'x', ...extra }));
      expect(response.status).toBe(303);
      return new URL(response.headers.get('location')!).searchParams;
    }

    it('Deny on the consent page is access_denied', async () => {
      const callback = await signInThroughPages(new TestBrowser(), authorizeUrl(base()), server.url, { username: 'alice', password: PASSWORD, consent: 'deny' });
      const params = new URL(callback).searchParams;
      expect(params.get('error')).toBe('access_denied');
      expect(params.get('state')).toBe('st-1');
      expect(params.get('iss')).toBe(issuer);
    });
  });

  it('accepts the same parameters by POST (form body)', async () => {
    const browser = new TestBrowser();
    const response = await browser.request(`${issuer}/authorize`, { form: base() });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toContain('/o/acme/login?interaction=');
  });

  it('lets a native public client use any port on its loopback redirect URI (RFC 8252 §7.3)', async () => {
    const browser = new TestBrowser();
    const url = authorizeUrl({ response_type: 'code', client_id: publicClientId, redirect_uri: 'http://127.0.0.1:53121/callback', code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 'n1' });
    const callback = await signInThroughPages(browser, url, server.url, { username: 'alice', password: PASSWORD });
    expect(callback.startsWith('http://127.0.0.1:53121/callback?code=')).toBe(true);
    // Not for another path, and not for a confidential client.
    expect((await get(authorizeUrl({ response_type: 'code', client_id: publicClientId, redirect_uri: 'http://127.0.0.1:53121/other', code_challenge: CHALLENGE, code_challenge_method: 'S256' }))).status).toBe(400);
  });

  describe('a loopback redirect URI may differ from the registered one in its port only (RFC 8252 §7.3, RFC 9700 §4.1.3)', () => {
    const native = (redirectUri: string) => authorizeUrl({ response_type: 'code', client_id: publicClientId, redirect_uri: redirectUri, code_challenge: CHALLENGE, code_challenge_method: 'S256' });

    it.each([
      ['another spelling of the IPv4 address', 'http://127.1:5555/callback'],
      ['a hexadecimal IPv4 address', 'http://0x7f000001:5555/callback'],
      ['a trailing dot after the address', 'http://127.0.0.1.:5555/callback'],
      ['dot segments in the path', 'http://127.0.0.1:5555/x/../callback'],
      ['a backslash for the slash', 'http://127.0.0.1:5555\\callback'],
      ['a port with a leading zero', 'http://127.0.0.1:05555/callback'],
      ['a port out of range', 'http://127.0.0.1:65536/callback'],
      ['an empty port', 'http://127.0.0.1:/callback'],
      ['a different case', 'HTTP://127.0.0.1:5555/callback'],
      ['a fragment', 'http://127.0.0.1:5555/callback#x'],
      ['localhost for 127.0.0.1', 'http://localhost:5555/callback'],
      ['https for http', 'https://127.0.0.1:5555/callback'],
    ])('%s is refused with an error page', async (_name, redirectUri) => {
      const response = await get(native(redirectUri));
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('Invalid redirect URI');
    });

    it.each([
      ['[::1]', 'http://[::1]:5555/callback'],
      ['localhost (registered so before RFC 8252 §8.3 advised against it)', 'http://localhost:5555/native'],
    ])('%s may differ in its port too', async (_name, redirectUri) => {
      const response = await get(native(redirectUri));
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toContain('/o/acme/login?interaction=');
    });

    it.each([
      ['localhost for [::1]', 'http://localhost:5555/callback'],
      ['127.0.0.1 for localhost', 'http://127.0.0.1:5555/native'],
      ['a localhost look-alike', 'http://localhost.evil.example:5555/native'],
      ['localhost with credentials', 'http://localhost@evil.example:5555/native'],
    ])('%s is refused', async (_name, redirectUri) => {
      expect((await get(native(redirectUri))).status).toBe(400);
    });
  });

  it('answers a form over the size limit with a 413 page, on the hosted pages as at the token endpoint', async () => {
    for (const path of ['/login', '/authorize']) {
      const response = await fetch(`${server.url}/o/acme${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `pad=${'a'.repeat(100_000)}` });
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).toContain('Request too large');
    }
  });

  it('answers with response_mode=form_post as an auto-submitting form to the redirect URI', async () => {
    const browser = new TestBrowser();
    await signInThroughPages(browser, authorizeUrl({ ...base(), state: 'first' }), server.url, { username: 'alice', password: PASSWORD });
    const response = await browser.request(authorizeUrl({ ...base(), response_mode: 'form_post', state: 'fp' }));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`action="${REDIRECT_URI}"`);
    expect(html).toMatch(/name="code" value="[0-9a-z]{26}[A-Za-z0-9_-]{43}"/);
    expect(html).toContain('name="state" value="fp"');
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
  });

  describe('response_mode=form_post to a native app\'s private-scheme redirect URI', () => {
    const nativeRequest = (extra: Record<string, string>) =>
      authorizeUrl({ response_type: 'code', client_id: publicClientId, redirect_uri: 'com.example.app:/cb', response_mode: 'form_post', code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 'fp-native', ...extra });

    /** The error, sent by query: a browser cannot POST a form to a private-use scheme. */
    function queryError(response: Response): URLSearchParams {
      expect(response.status).toBe(303);
      const location = response.headers.get('location')!;
      expect(location.startsWith('com.example.app:/cb?')).toBe(true);
      return new URL(location).searchParams;
    }

    it('is invalid_request, by query, even with a session that would get a code', async () => {
      const browser = new TestBrowser();
      await signInThroughPages(browser, authorizeUrl({ ...base(), client_id: noConsentClientId }), server.url, { username: 'alice', password: PASSWORD });
      const params = queryError(await browser.request(nativeRequest({})));
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('error_description')).toContain('form_post');
      expect(params.get('state')).toBe('fp-native');
      expect(params.get('iss')).toBe(issuer);
      expect(params.get('code')).toBeNull();
    });

    it('reports an earlier error by query too', async () => {
      const params = queryError(await get(nativeRequest({ response_type: 'token' })));
      expect(params.get('error')).toBe('unsupported_response_type');
      expect(params.get('state')).toBe('fp-native');
    });
  });

  // Regression (issue 9 item 8): a native app's loopback or private-use redirect URI proves nothing
  // about who sent the request, yet once consent was remembered the code came back silently.
  // RFC 8252 §8.6, ASVS 5.0 10.7.1: ask every time, whatever was remembered or the client's setting.
  describe('a public client whose redirect URI does not prove who it is, is asked every time', () => {
    it.each([
      ['a loopback redirect URI', 'http://127.0.0.1:5555/callback', true],
      ['a loopback redirect URI (client set not to ask)', 'http://[::1]:5555/callback', false],
      ['a private-use scheme', 'com.example.app:/cb', true],
      ['a private-use scheme (client set not to ask)', 'com.example.app:/cb', false],
      // Regression (issue 9 item 8, review): any https redirect URI was taken as proof, a loopback
      // one too, which registration accepts and any local program can listen on.
      ['an https loopback redirect URI', 'https://127.0.0.1:8443/cb', true],
      ['an https loopback redirect URI elsewhere in 127.0.0.0/8 (client set not to ask)', 'https://127.3.2.1/cb', false],
      ['an https [::1] redirect URI (client set not to ask)', 'https://[::1]/cb', false],
      ['an https localhost redirect URI', 'https://localhost/cb', true],
      ['an https redirect URI on a subdomain of localhost (client set not to ask)', 'https://app.localhost:8443/cb', false],
    ])('%s: the consent page again after consent was given, and prompt=none is consent_required', async (_name, redirectUri, consentRequired) => {
      const native = (await seedClient(server.store.storage.db, seeded.org.id, { clientType: 'public', redirectUris: ['http://127.0.0.1/callback', 'http://[::1]/callback', 'com.example.app:/cb', redirectUri], consentRequired })).clientId;
      const request = (extra: Record<string, string> = {}) =>
        authorizeUrl({ response_type: 'code', client_id: native, redirect_uri: redirectUri, scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 'n1', ...extra });
      const browser = new TestBrowser();
      const first = await signInThroughPages(browser, request(), server.url, { username: 'alice', password: PASSWORD });
      expect(new URL(first).searchParams.get('code')).toBeTruthy();

      const again = await browser.follow(request(), server.url);
      expect(again.url).toContain('/consent?interaction=');
      const allowed = await browser.submit(await again.response.text(), server.url, { decision: 'allow' });
      expect(allowed.url.startsWith(`${redirectUri}?`)).toBe(true);
      expect(new URL(allowed.url).searchParams.get('code')).toBeTruthy();

      const none = await browser.request(request({ prompt: 'none' }));
      expect(none.status).toBe(303);
      const answer = new URL(none.headers.get('location')!);
      expect(answer.href.startsWith(`${redirectUri}?`)).toBe(true);
      expect(answer.searchParams.get('error')).toBe('consent_required');
      expect(answer.searchParams.get('state')).toBe('n1');
      expect(answer.searchParams.get('code')).toBeNull();
    });

    it('a public client returning to its https redirect URI keeps its remembered consent (RFC 8252 §8.6: a claimed https URI may prove it)', async () => {
      const spa = (await seedClient(server.store.storage.db, seeded.org.id, { clientType: 'public', redirectUris: ['https://spa.example.org/cb'], consentRequired: true })).clientId;
      const request = (extra: Record<string, string> = {}) =>
        authorizeUrl({ response_type: 'code', client_id: spa, redirect_uri: 'https://spa.example.org/cb', scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra });
      const browser = new TestBrowser();
      await signInThroughPages(browser, request(), server.url, { username: 'alice', password: PASSWORD });
      for (const extra of [{}, { prompt: 'none' }] as Array<Record<string, string>>) {
        const response = await browser.request(request(extra));
        expect(response.status).toBe(303);
        expect(new URL(response.headers.get('location')!).searchParams.get('code')).toBeTruthy();
      }
    });
  });

  describe('sessions and prompts', () => {
    it('prompt=login asks for the password again despite a session', async () => {
      const browser = new TestBrowser();
      await signInThroughPages(browser, authorizeUrl(base()), server.url, { username: 'alice', password: PASSWORD });
      const step = await browser.follow(authorizeUrl({ ...base(), prompt: 'login' }), server.url);
      expect(step.url).toContain('/login?interaction=');
    });

    it('max_age shorter than the session\'s age asks for the password again; a longer one does not', async () => {
      const browser = new TestBrowser();
      await signInThroughPages(browser, authorizeUrl(base()), server.url, { username: 'alice', password: PASSWORD });
      now += 120_000;
      const stale = await browser.follow(authorizeUrl({ ...base(), max_age: '60' }), server.url);
      expect(stale.url).toContain('/login?interaction=');
      const fresh = await browser.follow(authorizeUrl({ ...base(), max_age: '3600' }), server.url);
      expect(fresh.url.startsWith(REDIRECT_URI)).toBe(true);
    });

    it('an SSO session of one organization is worthless at another', async () => {
      const browser = new TestBrowser();
      await signInThroughPages(browser, authorizeUrl(base()), server.url, { username: 'alice', password: PASSWORD });
      const beta = await seedOrg(server.store.storage.db, 'beta-sso');
      const betaClient = await seedClient(server.store.storage.db, beta.org.id, { consentRequired: false });
      // Even presented on the other org's path, acme's session cookie names no session there.
      browser.setCookie('gh_session', browser.cookie('gh_session')!, '/o/beta-sso');
      const step = await browser.follow(`${server.url}/o/beta-sso/authorize?${new URLSearchParams({ ...base(), client_id: betaClient.clientId })}`, server.url);
      expect(step.url).toContain('/o/beta-sso/login?interaction=');
    });

    it('prompt=none with a session and remembered consent returns a code', async () => {
      const browser = new TestBrowser();
      await signInThroughPages(browser, authorizeUrl(base()), server.url, { username: 'alice', password: PASSWORD });
      const response = await browser.request(authorizeUrl({ ...base(), prompt: 'none' }));
      expect(new URL(response.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    });

    it('prompt=none with a session but new scopes is consent_required; the consent page then lists only what is new', async () => {
      const browser = new TestBrowser();
      await signInThroughPages(browser, authorizeUrl(base()), server.url, { username: 'alice', password: PASSWORD });
      const none = await browser.request(authorizeUrl({ ...base(), scope: 'openid email', prompt: 'none' }));
      expect(new URL(none.headers.get('location')!).searchParams.get('error')).toBe('consent_required');
      const step = await browser.follow(authorizeUrl({ ...base(), scope: 'openid email' }), server.url);
      expect(step.url).toContain('/consent?interaction=');
      const page = await step.response.text();
      expect(page).toContain('Your email address');
      expect(page).not.toContain('Confirm who you are');
    });

    it('prompt=consent shows the consent page to a client that does not ask for consent, then returns a code', async () => {
      const browser = new TestBrowser();
      await signInThroughPages(browser, authorizeUrl({ ...base(), client_id: noConsentClientId }), server.url, { username: 'alice', password: PASSWORD });
      const step = await browser.follow(authorizeUrl({ ...base(), client_id: noConsentClientId, scope: 'openid email', prompt: 'consent' }), server.url);
      expect(step.url).toContain('/consent?interaction=');
      const page = await step.response.text();
      expect(page).toContain('Confirm who you are');
      expect(page).toContain('Your email address');
      const allowed = await browser.submit(page, server.url, { decision: 'allow' });
      const callback = new URL(allowed.url);
      expect(callback.searchParams.get('code')).toBeTruthy();
      expect(callback.searchParams.get('state')).toBe('st-1');
    });

    it('prompt=consent asks again about every requested scope, also those allowed before', async () => {
      const consenting = (await seedClient(server.store.storage.db, seeded.org.id)).clientId;
      const browser = new TestBrowser();
      await signInThroughPages(browser, authorizeUrl({ ...base(), client_id: consenting }), server.url, { username: 'alice', password: PASSWORD });
      // openid is remembered for this client now: without prompt=consent it would not be asked about again.
      const step = await browser.follow(authorizeUrl({ ...base(), client_id: consenting, scope: 'openid email', prompt: 'consent' }), server.url);
      expect(step.url).toContain('/consent?interaction=');
      const page = await step.response.text();
      expect(page).toContain('Confirm who you are');
      expect(page).toContain('Your email address');
    });

    it('prompt=select_account shows the sign-in page despite a session: that is where the account is chosen', async () => {
      const browser = new TestBrowser();
      await signInThroughPages(browser, authorizeUrl({ ...base(), client_id: noConsentClientId }), server.url, { username: 'alice', password: PASSWORD });
      const url = authorizeUrl({ ...base(), client_id: noConsentClientId, prompt: 'select_account' });
      const step = await browser.follow(url, server.url);
      expect(step.url).toContain('/login?interaction=');
      const signedIn = await browser.submit(await step.response.text(), server.url, { username: 'alice', password: PASSWORD });
      expect(new URL(signedIn.url).searchParams.get('code')).toBeTruthy();
    });

    it('the sign-in page has the contract fields and CSRF protection', async () => {
      const browser = new TestBrowser();
      const step = await browser.follow(authorizeUrl({ ...base(), login_hint: 'alice' }), server.url);
      const html = await step.response.text();
      expect(html).toContain('autocomplete="username"');
      expect(html).toContain('autocomplete="current-password"');
      expect(html).toContain('<label for="username">');
      expect(html).toContain('<label for="password">');
      expect(html).toContain('value="alice"');
      expect(step.response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const interaction = /name="interaction" value="([^"]+)"/.exec(html)![1]!;
      // A forged POST without the CSRF token, or from another browser, signs nobody in.
      const forged = await browser.request(`${issuer}/login`, { form: { interaction, username: 'alice', password: PASSWORD } });
      expect(forged.status).toBe(400);
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1]!;
      const otherBrowser = new TestBrowser();
      const crossBrowser = await otherBrowser.request(`${issuer}/login`, { form: { interaction, csrf_token: csrf, username: 'alice', password: PASSWORD } });
      expect(crossBrowser.status).toBe(400);
      expect(otherBrowser.cookie('gh_session')).toBeUndefined();
    });

    it('a wrong password and an unknown login name get the same answer', async () => {
      const answers: string[] = [];
      for (const username of ['alice', 'nobody-by-this-name']) {
        const browser = new TestBrowser();
        const step = await browser.follow(authorizeUrl(base()), server.url);
        const result = await browser.submit(await step.response.text(), server.url, { username, password: 'wrong password' });
        expect(result.response.status).toBe(200);
        const html = await result.response.text();
        expect(html).toContain('The login name or password is incorrect.');
        answers.push(html.replace(/(value|nonce)="[^"]*"/g, '').replace(/'nonce-[^']*'/g, ''));
      }
      expect(answers[0]).toBe(answers[1]);
    });

    it('throttles repeated failures for one login name with 429', async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 7; attempt++) {
        const browser = new TestBrowser();
        const step = await browser.follow(authorizeUrl(base()), server.url);
        const result = await browser.submit(await step.response.text(), server.url, { username: 'throttled-user', password: 'wrong password' });
        statuses.push(result.response.status);
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429]);
    });

    it('the SSO cookie is HttpOnly, SameSite=Lax and scoped to the organization', async () => {
      const browser = new TestBrowser();
      const step = await browser.follow(authorizeUrl(base()), server.url);
      const html = await step.response.text();
      const interaction = /name="interaction" value="([^"]+)"/.exec(html)![1]!;
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1]!;
      const response = await browser.request(`${issuer}/login`, { form: { interaction, csrf_token: csrf, username: 'alice', password: PASSWORD } });
      expect(response.status).toBe(303);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('gh_session='))!;
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).toContain('Path=/o/acme');
    });
  });
});
