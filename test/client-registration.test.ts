import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSED_REGISTRATION_THROTTLE_LIMITS, REGISTRATION_THROTTLE_LIMITS } from '../src/clients/registration-throttle.ts';
import { MAX_REQUESTED_REDIRECT_URIS, registrationRequestFromForm, requestClientRegistration } from '../src/clients/registration.ts';
import { CLIENT_CACHE_TTL_MS } from '../src/oauth/org-resolver.ts';
import { systemClock } from '../src/lib/clock.ts';
import { InvalidInputsError } from '../src/lib/errors.ts';
import { createOrganization, getOrganizationBySlug } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { PASSWORD, REDIRECT_URI, seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

/**
 * Neos: "using it requires application registration which is currently only possible with
 * manual approval". Requests come from the registration page or RFC 7591 dynamic registration,
 * land pending, and work only once staff approve them through the management API.
 */
describe.each(DIALECTS)('client registration requests on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let issuer: string;
  let neosKey: string;
  let gatedToken: string;
  // Time is injected: the per-process client cache and the throttle window pass without sleeping.
  let now = Date.now();

  beforeAll(async () => {
    server = await startTestServer(dialect, { clock: () => now });
    const db = server.store.storage.db;
    seeded = await seedOrg(db, 'neos');
    issuer = `${server.url}/o/neos`;
    neosKey = (await createStaffUser(db, systemClock, seeded.org.id, { email: 'owner@neos.example', role: 'owner', withApiKey: true })).apiKey!;
    await createOrganization(db, systemClock, { slug: 'closed', name: 'Closed Org' });
    const gated = await createOrganization(db, systemClock, { slug: 'gated' });
    const gatedKey = (await createStaffUser(db, systemClock, gated.id, { email: 'owner@gated.example', role: 'owner', withApiKey: true })).apiKey!;
    // Before any request to these orgs, so no cached copy of their settings exists yet.
    const opened = await api('PUT', '/client-registration', { body: { mode: 'approval' } });
    expect(opened.json).toEqual({ mode: 'approval', initial_access_token_required: false, registration_page_path: '/o/neos/register', registration_endpoint_path: '/o/neos/connect/register', initial_access_token: null });
    const gatedPolicy = await api('PUT', '/client-registration', { key: gatedKey, org: 'gated', body: { mode: 'approval', initial_access_token: 'new' } });
    gatedToken = gatedPolicy.json!.initial_access_token as string;
    expect(gatedToken).toMatch(/^giat_[A-Za-z0-9_-]{43}$/);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function api(method: string, path: string, options: { key?: string; org?: string; body?: unknown } = {}) {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${options.org ?? 'neos'}:${options.key ?? neosKey}`).toString('base64')}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
  }

  async function register(slug: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/o/${slug}/connect/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, any> };
  }

  /** openid-client surfaces a 401 with a Basic challenge as WWWAuthenticateChallengeError; the body says why. */
  async function tokenError(request: Promise<unknown>): Promise<{ status: number; error: string }> {
    const error = await request.then(
      () => expect.fail('the token request succeeded'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    const challenge = error as oidc.WWWAuthenticateChallengeError;
    expect(challenge.cause[0]?.scheme).toBe('basic');
    return { status: challenge.status, error: ((await challenge.response.json()) as { error: string }).error };
  }

  const advancePastClientCache = () => {
    now += CLIENT_CACHE_TTL_MS + 1;
  };

  const FORM = {
    app_name: 'Event Check-in',
    redirect_uris: 'https://checkin.example.org/cb\r\n\r\nhttp://127.0.0.1:8080/cb\r\n',
    client_type: 'confidential',
    requester_name: 'Ann Organizer',
    requester_email: 'ann@checkin.example.org',
    request_reason: 'Identify paying attendees at our workshops.',
  };

  describe('the registration page', () => {
    it('takes a request end to end: form, CSRF, a pending client, its secret shown once', async () => {
      const browser = new TestBrowser();
      const form = await browser.request(`${issuer}/register`);
      expect(form.status).toBe(200);
      expect(form.headers.get('cache-control')).toBe('no-store');
      const html = await form.text();
      expect(html).toContain(`<form method="post" action="${issuer}/register">`);
      expect(html).toContain('name="csrf_token"');

      const { response } = await browser.submit(html, server.url, FORM);
      expect(response.status).toBe(200);
      const page = await response.text();
      expect(page).toContain('Registration request received');
      expect(page).toContain('It works only after neos Org approves the request.');
      expect(page).toContain('<strong>Status: awaiting approval.</strong> Until neos Org approves the request, this application cannot sign anyone in nor get tokens.');
      const clientId = /<code id="client-id">([a-z2-7]{26})<\/code>/.exec(page)![1]!;
      const secret = /<code id="client-secret">(gsec_[A-Za-z0-9_-]{43})<\/code>/.exec(page)![1]!;
      expect(secret).toBeDefined();

      const pending = await api('GET', '/clients?status=pending');
      const client = (pending.json!.data as Array<Record<string, unknown>>).find((c) => c.client_id === clientId);
      expect(client).toMatchObject({
        name: 'Event Check-in',
        status: 'pending',
        client_type: 'confidential',
        redirect_uris: ['https://checkin.example.org/cb', 'http://127.0.0.1:8080/cb'],
        consent_required: true,
        registration_source: 'registration_page',
        requester_name: 'Ann Organizer',
        requester_email: 'ann@checkin.example.org',
        request_reason: 'Identify paying attendees at our workshops.',
      });
      const audit = await api('GET', `/audit?action=client.registration_requested&target_id=${clientId}`);
      expect(audit.json!.data[0]).toMatchObject({ actor: { type: 'anonymous', id: null }, details: { registration_source: 'registration_page', requester_email: 'ann@checkin.example.org' } });
      expect(JSON.stringify(audit.json)).not.toContain(secret);

      // A pending client cannot start an authorization.
      const authorize = await browser.request(`${issuer}/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: 'https://checkin.example.org/cb', scope: 'openid' })}`);
      expect(authorize.status).toBe(400);
      expect(await authorize.text()).toContain('Application awaiting approval');
    });

    it('refuses a post without the CSRF token of this browser, keeping what was typed', async () => {
      const browser = new TestBrowser();
      await browser.request(`${issuer}/register`);
      const forged = await browser.request(`${issuer}/register`, { form: { ...FORM, csrf_token: 'forged' } });
      expect(forged.status).toBe(400);
      const html = await forged.text();
      expect(html).toContain('This page has expired.');
      expect(html).toContain('value="Event Check-in"');
      expect(((await api('GET', '/clients?status=pending')).json!.data as unknown[]).length).toBe(1);
    });

    /** The error shown beside a field of the form. */
    const fieldError = (field: string, message: string) => `<p class="field-error" id="${field}-error">${message}</p>`;
    const SUMMARY = '<div role="alert" class="alert"><p>The request was not sent. Correct';

    it.each([
      ['a fragment', 'https://checkin.example.org/cb#x', 'A URI has a #fragment, which redirect URIs must not have (RFC 6749 §3.1.2).'],
      ['a wildcard', 'https://*.example.org/cb', 'A URI contains a wildcard; register every URI exactly.'],
      ['http on a non-loopback host', 'http://checkin.example.org/cb', 'A URI uses http on a host that is not loopback; use https (http is allowed on 127.0.0.1, [::1] and localhost only).'],
      ['no URI at all', '  \n ', 'At least one redirect URI is required.'],
    ])('shows the form again for a redirect URI with %s, the rule beside the field, creating nothing', async (_name, uris, message) => {
      const browser = new TestBrowser();
      const html = await (await browser.request(`${issuer}/register`)).text();
      const { response } = await browser.submit(html, server.url, { ...FORM, redirect_uris: uris });
      expect(response.status).toBe(400);
      const page = await response.text();
      expect(page).toContain(`${SUMMARY} this field:</p>\n<ul><li><a href="#redirect_uris">Redirect URIs</a></li></ul></div>`);
      expect(page).toContain(fieldError('redirect_uris', message));
      expect(page).toContain('aria-describedby="redirect_uris_hint redirect_uris-error" aria-invalid="true" autofocus');
      // What was typed is in its field, and only there.
      if (uris.trim() !== '') expect(page.split(uris).length).toBe(2);
      expect(((await api('GET', '/clients?status=pending')).json!.data as unknown[]).length).toBe(1);
    });

    it('names a missing or malformed requester field beside it', async () => {
      const browser = new TestBrowser();
      const html = await (await browser.request(`${issuer}/register`)).text();
      const noReason = await (await browser.submit(html, server.url, { ...FORM, request_reason: ' ' })).response.text();
      expect(noReason).toContain(fieldError('request_reason', 'Why you need access is required: tell the organization what the application does.'));
      const badEmail = await (await browser.submit(html, server.url, { ...FORM, requester_email: 'ann' })).response.text();
      expect(badEmail).toContain(fieldError('requester_email', 'Your email must be an email address (at most 254 characters).'));
      expect(badEmail).not.toContain('&#39;ann&#39;');
    });

    // Regression (issue 9 item 12, review): the client's rules refuse every bad field at once, and
    // the page put them all, joined, under the first field's label ("Redirect URIs: 'a' …;
    // redirect_uris: 'b' …"), quoting what was typed; the requester's email was judged alone first.
    it('puts each refused field\'s rules beside that field, naming rules, never the values typed', async () => {
      const browser = new TestBrowser();
      const html = await (await browser.request(`${issuer}/register`)).text();
      const typedUris = 'https://checkin.example.org/cb#<b>fr4g</b>\nhttp://checkin.example.org/pl41n\nhttps://*.w1ld.example.org/cb';
      const { response } = await browser.submit(html, server.url, { ...FORM, redirect_uris: typedUris, requester_email: 'ann<b>@n0dot' });
      expect(response.status).toBe(400);
      const page = await response.text();
      expect(page).toContain(
        `${SUMMARY} these fields:</p>\n<ul><li><a href="#redirect_uris">Redirect URIs</a></li><li><a href="#requester_email">Your email</a></li></ul></div>`,
      );
      expect(page).toContain(
        fieldError(
          'redirect_uris',
          'A URI has a #fragment, which redirect URIs must not have (RFC 6749 §3.1.2). A URI uses http on a host that is not loopback; use https (http is allowed on 127.0.0.1, [::1] and localhost only). A URI contains a wildcard; register every URI exactly.',
        ),
      );
      expect(page).toContain(fieldError('requester_email', 'Your email must be an email address (at most 254 characters).'));
      expect(page).toContain('value="ann&lt;b&gt;@n0dot" aria-describedby="requester_email-error" aria-invalid="true">');
      // Each typed value once, in its own field; no label of one field on another's rules.
      for (const typed of ['fr4g', 'pl41n', 'w1ld', 'n0dot']) expect(page.split(typed).length).toBe(2);
      expect(page).not.toContain('redirect_uris:');
      expect(((await api('GET', '/clients?status=pending')).json!.data as unknown[]).length).toBe(1);
    });

    it('is a 404 page where the organization does not take registrations', async () => {
      const browser = new TestBrowser();
      const page = await browser.request(`${server.url}/o/closed/register`);
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('Closed Org does not take application registrations here.');
      expect((await browser.request(`${server.url}/o/closed/register`, { form: FORM })).status).toBe(404);
    });
  });

  describe('RFC 7591 dynamic registration', () => {
    it('is advertised in discovery only where registration is open', async () => {
      const open = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(open.registration_endpoint).toBe(`${issuer}/connect/register`);
      const closed = (await (await fetch(`${server.url}/o/closed/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(closed).not.toHaveProperty('registration_endpoint');
      const refused = await register('closed', { client_name: 'x', redirect_uris: [REDIRECT_URI] });
      expect(refused.status).toBe(404);
    });

    it('registers a pending client and answers the client information response (§3.2.1)', async () => {
      const response = await register('neos', {
        client_name: 'Cool App',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'openid profile',
        contacts: ['dev@cool.example'],
        logo_uri: 'https://cool.example/logo.png',
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.json).toEqual({
        client_id: expect.stringMatching(/^[a-z2-7]{26}$/),
        // Regression (issue 9 item 16): nothing said the client awaits approval.
        status: 'pending',
        status_description: expect.stringMatching(/^Awaiting approval: .*cannot start a sign-in nor get tokens/),
        client_secret: expect.stringMatching(/^gsec_/),
        client_secret_expires_at: 0,
        client_id_issued_at: Math.floor(now / 1000),
        client_name: 'Cool App',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'openid profile',
        id_token_signed_response_alg: 'ES256',
        contacts: ['dev@cool.example'],
      });
      const client = await api('GET', `/clients/${response.json.client_id}`);
      expect(client.json).toMatchObject({ status: 'pending', registration_source: 'dynamic', requester_email: 'dev@cool.example', consent_required: true });
    });

    it('registers a public client (token_endpoint_auth_method none) without a secret, with RFC defaults', async () => {
      const response = await register('neos', { client_name: 'Phone', redirect_uris: ['com.example.app:/cb'], token_endpoint_auth_method: 'none' });
      expect(response.status).toBe(201);
      expect(response.json).not.toHaveProperty('client_secret');
      expect(response.json).not.toHaveProperty('client_secret_expires_at');
      expect(response.json).toMatchObject({ status: 'pending', status_description: expect.stringContaining('Awaiting approval') });
      // §2: without grant_types, the client uses authorization_code only.
      expect(response.json).toMatchObject({ token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid profile email' });
    });

    it.each([
      [{ client_name: 'x', redirect_uris: ['https://a.example/cb#frag'] }, 'invalid_redirect_uri', /^redirect_uris: .*no fragment/],
      [{ client_name: 'x', redirect_uris: ['https://*.example/cb'] }, 'invalid_redirect_uri', /^redirect_uris: .*wildcard/],
      [{ client_name: 'x', redirect_uris: ['http://a.example/cb'] }, 'invalid_redirect_uri', /^redirect_uris: .*http only on 127\.0\.0\.1/],
      [{ client_name: 'x' }, 'invalid_redirect_uri', /^redirect_uris: give 1 to 10 absolute URIs/],
      [{ client_name: 'x', redirect_uris: [REDIRECT_URI], post_logout_redirect_uris: ['http://a.example/'] }, 'invalid_redirect_uri', /^post_logout_redirect_uris: /],
      [{ redirect_uris: [REDIRECT_URI] }, 'invalid_client_metadata', /client_name is required/],
      [{ client_name: 'x', redirect_uris: REDIRECT_URI }, 'invalid_client_metadata', /redirect_uris must be an array of strings/],
      [{ client_name: 'x', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata', /token_endpoint_auth_method/],
      [{ client_name: 'x', redirect_uris: [REDIRECT_URI], response_types: ['token'] }, 'invalid_client_metadata', /response_types/],
      [{ client_name: 'x', redirect_uris: [REDIRECT_URI], grant_types: ['implicit'] }, 'invalid_client_metadata', /^grant_types: use authorization_code, /],
      [{ client_name: 'x', redirect_uris: [REDIRECT_URI], scope: 'openid admin' }, 'invalid_client_metadata', /^scope: ask only for scopes this organization offers/],
      [{ client_name: 'x', redirect_uris: [REDIRECT_URI], contacts: ['not-an-email'] }, 'invalid_client_metadata', /^contacts: /],
      [{ client_name: 'x', redirect_uris: [REDIRECT_URI], jwks_uri: 'https://a.example/jwks' }, 'invalid_client_metadata', /jwks_uri is not supported/],
      [[], 'invalid_client_metadata', /JSON object/],
      ['{not json', 'invalid_client_metadata', /JSON object/],
    ])('refuses %j with %s (§3.2.2)', async (body, error, description) => {
      const response = await register('neos', body);
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.json.error).toBe(error);
      expect(response.json.error_description).toMatch(description);
    });

    // Regression (issue 9 item 9): the domain's messages quoted the value sent (a URI with CR/LF,
    // quotes or angle brackets came back verbatim in error_description, RFC 6749 §5.2).
    it.each([
      ['redirect_uris', { redirect_uris: ['https://a.example/cb#"<x>\r\n'] }, 'invalid_redirect_uri'],
      ['redirect_uris', { redirect_uris: ['javascript:"<script>alert(1)</script>"'] }, 'invalid_redirect_uri'],
      ['post_logout_redirect_uris', { redirect_uris: [REDIRECT_URI], post_logout_redirect_uris: ['http://a.example/"<x>'] }, 'invalid_redirect_uri'],
      ['grant_types', { redirect_uris: [REDIRECT_URI], grant_types: ['imp"li<cit>\r\nx'] }, 'invalid_client_metadata'],
      ['scope', { redirect_uris: [REDIRECT_URI], scope: 'openid "<adm\u00e9in>' }, 'invalid_client_metadata'],
      ['contacts', { redirect_uris: [REDIRECT_URI], contacts: ['"<not an email>\r\n'] }, 'invalid_client_metadata'],
    ])('names %s without echoing the value sent', async (field, metadata, error) => {
      const response = await register('neos', { client_name: 'x', ...metadata });
      expect(response.status).toBe(400);
      expect(response.json.error).toBe(error);
      const description = response.json.error_description as string;
      expect(description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/);
      expect(description.startsWith(`${field}: `)).toBe(true);
      for (const sent of ['<x>', '<script>', 'imp"li', '<adm', '<not an email>']) expect(description).not.toContain(sent);
    });

    // Regression (issue 9 item 12, review): the client's rules name every bad field at once, but
    // the description named the first field only (and the requester's email was judged alone).
    it('names every refused field once, each with its rules, and logs their names only', async () => {
      const before = server.logs.length;
      const response = await register('neos', { client_name: 'x', redirect_uris: ['https://a.example/cb#x', 'http://a.example/cb'], scope: 'openid admin', contacts: ['nope'] });
      expect(response.status).toBe(400);
      expect(response.json.error).toBe('invalid_client_metadata');
      const description = response.json.error_description as string;
      for (const field of ['contacts', 'scope', 'redirect_uris']) expect(description.split(`${field}: `).length).toBe(2);
      expect(description.startsWith('contacts: the first entry must be an email address. scope: ask only for scopes')).toBe(true);
      expect(description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/);
      expect(server.logs.slice(before).find((line) => line.msg === 'registration refused')).toMatchObject({ detail: 'refused metadata: contacts, scope, redirect_uris' });

      const uris = await register('neos', { client_name: 'x', redirect_uris: ['https://a.example/cb#x', 'http://a.example/cb'] });
      expect(uris.json.error).toBe('invalid_redirect_uri');
      expect((uris.json.error_description as string).split('redirect_uris: ').length).toBe(2);
    });

    // Regression (issue 9 item 9, review): a refused registration was logged with the domain's
    // message, which quotes the value sent: the email a person typed, a URI with CR/LF in it.
    it('logs the field it refuses, never the value sent', async () => {
      const typed = { contacts: ['ann.typed-this@@checkin'], redirect_uris: ['https://a.example/cb#typed\r\n{"injected":1}'] };
      for (const [field, metadata] of [
        ['contacts', { redirect_uris: [REDIRECT_URI], contacts: typed.contacts }],
        ['redirect_uris', { redirect_uris: typed.redirect_uris }],
      ] as const) {
        const before = server.logs.length;
        const response = await register('neos', { client_name: 'x', ...metadata });
        expect(response.status).toBe(400);
        const lines = server.logs.slice(before);
        expect(lines.find((line) => line.msg === 'registration refused')).toMatchObject({ detail: `refused metadata: ${field}` });
        for (const sent of ['typed', 'injected']) expect(JSON.stringify(lines)).not.toContain(sent);
      }
    });

    it('refuses a form-encoded body: RFC 7591 metadata is JSON', async () => {
      const response = await fetch(`${issuer}/connect/register`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_name=x' });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_client_metadata');
    });

    it('requires the initial access token where the organization set one (§3, RFC 6750 errors)', async () => {
      const metadata = { client_name: 'Gated App', redirect_uris: [REDIRECT_URI] };
      const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer giat_wrong' }, { authorization: `Basic ${Buffer.from(`x:${gatedToken}`).toString('base64')}` }];
      for (const headers of attempts) {
        const refused = await register('gated', metadata, headers);
        expect(refused.status).toBe(401);
        expect(refused.json.error).toBe('invalid_token');
        expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer realm=".*\/o\/gated", error="invalid_token"$/);
      }
      const accepted = await register('gated', metadata, { authorization: `Bearer ${gatedToken}` });
      expect(accepted.status).toBe(201);
      // Neos takes requests without one.
      const policy = await api('GET', '/client-registration');
      expect(policy.json).toMatchObject({ mode: 'approval', initial_access_token_required: false });
    });
  });

  describe('approval, end to end with openid-client', () => {
    it('a registered client is refused until staff approve it, works after, and is refused again once suspended', async () => {
      const execute = [oidc.allowInsecureRequests];
      const config = await oidc.dynamicClientRegistration(
        new URL(issuer),
        { client_name: 'Cool App', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post', contacts: ['dev@cool.example'] },
        undefined,
        { execute },
      );
      const clientId = config.clientMetadata().client_id;
      expect(config.clientMetadata().client_secret).toMatch(/^gsec_/);

      const authorizationUrl = async () =>
        oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' }).href;

      // Pending: the authorization endpoint shows a page, the token endpoint says invalid_client.
      const pendingPage = await new TestBrowser().request(await authorizationUrl());
      expect(pendingPage.status).toBe(400);
      expect(await pendingPage.text()).toContain('Application awaiting approval');
      expect(await tokenError(oidc.refreshTokenGrant(config, 'any'))).toEqual({ status: 401, error: 'invalid_client' });

      const approved = await api('POST', `/clients/${clientId}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.json!.status).toBe('active');
      const [event] = (await api('GET', `/audit?action=client.approved&target_id=${clientId}`)).json!.data;
      expect(event).toMatchObject({ actor: { type: 'api_key' }, details: { from: 'pending', to: 'active', registration_source: 'dynamic', requester_email: 'dev@cool.example' } });
      // Each process remembers a client for CLIENT_CACHE_TTL_MS: the approval is seen after it.
      advancePastClientCache();

      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid profile', state, nonce, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const callback = await signInThroughPages(new TestBrowser(), url.href, server.url, { username: 'alice', password: PASSWORD });
      const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
      expect(tokens.claims()).toMatchObject({ iss: issuer, sub: seeded.constituent.accountId, aud: clientId });
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, seeded.constituent.accountId);
      expect(userinfo.preferred_username).toBe('alice');

      expect((await api('POST', `/clients/${clientId}/suspend`)).json!.status).toBe('suspended');
      advancePastClientCache();
      expect(await tokenError(oidc.refreshTokenGrant(config, tokens.refresh_token!))).toEqual({ status: 401, error: 'invalid_client' });
      const suspendedPage = await new TestBrowser().request(await authorizationUrl());
      expect(suspendedPage.status).toBe(400);
      expect(await suspendedPage.text()).toContain('Application unavailable');
    });

    // Regression (issue 9 item 10): the org's error page said "<name> has not been approved", the
    // name chosen by an anonymous registrant, shown on the org's page as if the org said it.
    it('the org\'s pages never show the name of a client that is not active', async () => {
      const name = 'Your account is locked: call 555-0100';
      const requested = async (): Promise<string> =>
        (await seedClient(server.store.storage.db, seeded.org.id, {
          name,
          postLogoutRedirectUris: ['https://app.example.org/signed-out'],
          registration: { source: 'dynamic', requesterName: null, requesterEmail: null, requestReason: null },
        })).clientId;
      const clientId = await requested();
      const suspendedId = await requested();
      const pages = async (id = clientId): Promise<string[]> => {
        const query = new URLSearchParams({ response_type: 'code', client_id: id, redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
        const authorize = await new TestBrowser().request(`${issuer}/authorize?${query}`);
        expect(authorize.status).toBe(400);
        const logout = await new TestBrowser().request(`${issuer}/logout?${new URLSearchParams({ client_id: id, post_logout_redirect_uri: 'https://app.example.org/signed-out' })}`);
        expect(logout.status).toBe(200);
        return [await authorize.text(), await logout.text()];
      };
      for (const page of await pages()) expect(page).not.toContain('call 555-0100');
      expect((await api('POST', `/clients/${clientId}/reject`, { body: { reason: 'Phishing.' } })).json!.status).toBe('rejected');
      expect((await api('POST', `/clients/${suspendedId}/approve`)).json!.status).toBe('active');
      expect((await api('POST', `/clients/${suspendedId}/suspend`)).json!.status).toBe('suspended');
      advancePastClientCache();
      for (const page of [...(await pages()), ...(await pages(suspendedId))]) expect(page).not.toContain('call 555-0100');
    });

    it('a rejected request never works', async () => {
      const response = await register('neos', { client_name: 'Ad Network', redirect_uris: [REDIRECT_URI] });
      const { client_id: clientId, client_secret: secret } = response.json as { client_id: string; client_secret: string };
      expect((await api('POST', `/clients/${clientId}/reject`, { body: { reason: 'Tracks members for advertising.' } })).json!.status).toBe('rejected');
      advancePastClientCache();
      const page = await new TestBrowser().request(`${issuer}/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'openid' })}`);
      expect(await page.text()).toContain('Application unavailable');
      const token = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT_URI, client_id: clientId, client_secret: secret }).toString(),
      });
      expect(token.status).toBe(401);
      expect(((await token.json()) as { error: string }).error).toBe('invalid_client');
    });
  });

  describe('the policy (PUT /client-registration, a public contract)', () => {
    it('opens with a new initial access token shown once, keeps it, drops it and closes; audited without the token', async () => {
      const db = server.store.storage.db;
      const org = await createOrganization(db, systemClock, { slug: 'policy' });
      const key = (await createStaffUser(db, systemClock, org.id, { email: 'owner@policy.example', role: 'owner', withApiKey: true })).apiKey!;
      // A millisecond apart, so the audit log's newest-first order is the order of the calls.
      const call = (method: string, body?: unknown) => {
        now += 1;
        return api(method, '/client-registration', { key, org: 'policy', body });
      };
      const open = { mode: 'approval', registration_page_path: '/o/policy/register', registration_endpoint_path: '/o/policy/connect/register' };

      const opened = await call('PUT', { mode: 'approval', initial_access_token: 'new' });
      expect(opened.status).toBe(200);
      const token = opened.json!.initial_access_token as string;
      expect(token).toMatch(/^giat_[A-Za-z0-9_-]{43}$/);
      expect(opened.json).toEqual({ ...open, initial_access_token_required: true, initial_access_token: token });
      expect((await call('GET')).json).toEqual({ ...open, initial_access_token_required: true });

      expect((await call('PUT', { mode: 'approval' })).json).toEqual({ ...open, initial_access_token_required: true, initial_access_token: null });
      expect((await call('PUT', { mode: 'approval', initial_access_token: 'none' })).json).toEqual({ ...open, initial_access_token_required: false, initial_access_token: null });
      const closed = { mode: 'closed', initial_access_token_required: false, registration_page_path: null, registration_endpoint_path: null };
      expect((await call('PUT', { mode: 'closed', initial_access_token: 'keep' })).json).toEqual({ ...closed, initial_access_token: null });
      expect((await call('GET')).json).toEqual(closed);

      expect(await call('PUT', { mode: 'open', extra: 1 })).toMatchObject({ status: 400, json: { error: { code: 'validation_failed' } } });
      const audit = await api('GET', '/audit?action=client_registration.updated', { key, org: 'policy' });
      expect(audit.json!.data.map((e: { details: unknown }) => e.details)).toEqual([
        { mode: 'closed', initial_access_token: 'keep' },
        { mode: 'approval', initial_access_token: 'none' },
        { mode: 'approval', initial_access_token: 'keep' },
        { mode: 'approval', initial_access_token: 'new' },
      ]);
      expect(JSON.stringify(audit.json)).not.toContain(token.slice(5));
    });
  });

  // Last in this file (with the next): it moves the clock past the throttle window.
  it(`throttles registration requests to ${REGISTRATION_THROTTLE_LIMITS.failuresPerIp} an hour per client IP`, async () => {
    now += REGISTRATION_THROTTLE_LIMITS.windowMs + 1;
    for (let i = 0; i < REGISTRATION_THROTTLE_LIMITS.failuresPerIp; i++) {
      expect((await register('neos', { client_name: `App ${i}`, redirect_uris: [REDIRECT_URI] })).status).toBe(201);
    }
    const throttled = await register('neos', { client_name: 'One too many', redirect_uris: [REDIRECT_URI] });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3600');
    const browser = new TestBrowser();
    const html = await (await browser.request(`${issuer}/register`)).text();
    expect((await browser.submit(html, server.url, FORM)).response.status).toBe(429);
  });

  // Regression: the limit was checked, then the client created, and only then the request
  // counted, so a burst of requests all got through.
  it(`creates no more than ${REGISTRATION_THROTTLE_LIMITS.failuresPerIp} clients from a burst of requests, refused ones not using them up`, async () => {
    now += REGISTRATION_THROTTLE_LIMITS.windowMs + 1;
    for (let i = 0; i < 3; i++) expect((await register('neos', { client_name: `Bad ${i}`, redirect_uris: ['not a uri'] })).status).toBe(400);
    const answers = await Promise.all(Array.from({ length: 2 * REGISTRATION_THROTTLE_LIMITS.failuresPerIp }, (_, i) => register('neos', { client_name: `Burst ${i}`, redirect_uris: [REDIRECT_URI] })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(REGISTRATION_THROTTLE_LIMITS.failuresPerIp);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(REGISTRATION_THROTTLE_LIMITS.failuresPerIp);
  });

  // Regression (issue 9 review): a request of thousands of redirect URIs had each judged (140 ms
  // of CPU for 64 KB) although the list was over the limit, and refused requests were taken
  // back from the count, so one address could send them without end.
  describe('refused requests', () => {
    /** A list that counts how many of its items are read: the spy-free way to see what was judged. */
    function countingReads(items: readonly string[]): { readonly list: readonly string[]; readonly reads: () => number } {
      let reads = 0;
      const list = new Proxy([...items], {
        get(target, key, receiver) {
          if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
          return Reflect.get(target, key, receiver);
        },
      });
      return { list, reads: () => reads };
    }

    it('a list over its limit is refused by its count, none of its items judged (the page and RFC 7591 alike)', async () => {
      now += REGISTRATION_THROTTLE_LIMITS.windowMs + 1;
      const db = server.store.storage.db;
      const org = await getOrganizationBySlug(db, 'neos');
      const typed = registrationRequestFromForm({
        appName: 'x',
        redirectUris: 'a\n'.repeat(16_000),
        clientType: 'confidential',
        requesterName: 'Ann',
        requesterEmail: 'ann@example.org',
        requestReason: 'testing',
      });
      expect(typed.redirectUris).toHaveLength(16_000);
      const redirects = countingReads(typed.redirectUris);
      const postLogout = countingReads(Array.from({ length: MAX_REQUESTED_REDIRECT_URIS + 1 }, () => 'b'));
      let refused: unknown;
      try {
        await requestClientRegistration(db, () => now, org, { ...typed, redirectUris: redirects.list, postLogoutRedirectUris: postLogout.list });
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(InvalidInputsError);
      expect((refused as InvalidInputsError).errors.map((e) => e.message)).toEqual([
        `redirect_uris: must list at most ${MAX_REQUESTED_REDIRECT_URIS} URIs`,
        `post_logout_redirect_uris: must list at most ${MAX_REQUESTED_REDIRECT_URIS} URIs`,
      ]);
      expect([redirects.reads(), postLogout.reads()]).toEqual([0, 0]);

      const body = JSON.stringify({ client_name: 'x', redirect_uris: Array.from({ length: 16_000 }, () => 'a') });
      expect(body.length).toBeGreaterThan(64_000);
      const response = await register('neos', body);
      expect(response.status).toBe(400);
      expect(response.json.error).toBe('invalid_redirect_uri');
      expect(response.json.error_description).toMatch(new RegExp(`^redirect_uris: give 1 to ${MAX_REQUESTED_REDIRECT_URIS} absolute URIs`));
    });

    // Last in this file: it moves the clock past the throttle windows.
    it(`are counted: ${REFUSED_REGISTRATION_THROTTLE_LIMITS.failuresPerIp} refused requests an hour from one address, then 429`, async () => {
      now += REFUSED_REGISTRATION_THROTTLE_LIMITS.windowMs + 1;
      const bad = { client_name: 'x', redirect_uris: Array.from({ length: 100 }, () => 'a') };
      for (let i = 0; i < REFUSED_REGISTRATION_THROTTLE_LIMITS.failuresPerIp; i++) expect((await register('neos', bad)).status).toBe(400);
      const throttled = await register('neos', bad);
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('3600');
      // Every request from there, good or not, page or JSON, until the refusals leave the window.
      expect((await register('neos', { client_name: 'Good', redirect_uris: [REDIRECT_URI] })).status).toBe(429);
      const browser = new TestBrowser();
      const html = await (await browser.request(`${issuer}/register`)).text();
      expect((await browser.submit(html, server.url, FORM)).response.status).toBe(429);
      now += REFUSED_REGISTRATION_THROTTLE_LIMITS.windowMs + 1;
      expect((await register('neos', { client_name: 'Good', redirect_uris: [REDIRECT_URI] })).status).toBe(201);
    });
  });
});
