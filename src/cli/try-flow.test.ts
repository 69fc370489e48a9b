import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';
import { describe, expect, it } from 'vitest';
import { findFreePort } from '../lib/free-port.ts';
import { checkAuthorizationEndpoint, codeFromCallback, listenForCallback, openerCommand, StrayCallback, TryFailure, verifyIdToken } from './try-flow.ts';

const ISSUER = 'http://127.0.0.1:3000/o/acme';

describe('gatehouse try: the ID token checks (OpenID Connect Core §3.1.3.7)', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] };
  const idToken = (claims: Record<string, unknown>, key = privateKey): Promise<string> =>
    new SignJWT({ iss: ISSUER, aud: 'client-1', sub: '1001', nonce: 'n-1', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(key);
  const expected = { jwks, issuer: ISSUER, clientId: 'client-1', nonce: 'n-1' };

  it('accepts a token of the issuer for this client with this nonce', async () => {
    expect(await verifyIdToken(await idToken({}), expected)).toMatchObject({ sub: '1001', nonce: 'n-1', aud: 'client-1' });
  });

  it.each([
    ['another nonce', { nonce: 'n-2' }, undefined, /another nonce/],
    ['no nonce', { nonce: undefined }, undefined, /another nonce/],
    ['another audience', { aud: 'client-2' }, undefined, /"aud"/],
    ['another issuer', { iss: 'http://127.0.0.1:3000/o/other' }, undefined, /"iss"/],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 600 }, undefined, /"exp"/],
    ['several audiences, another azp', { aud: ['client-1', 'client-2'], azp: 'client-2' }, undefined, /authorized party/],
  ])('refuses %s', async (_, claims, key, message) => {
    const error = await verifyIdToken(await idToken(claims, key), expected).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TryFailure);
    expect(error).toMatchObject({ code: 'id_token_invalid', message: expect.stringMatching(message) });
  });

  it('refuses a token signed by a key not in the JWKS', async () => {
    await expect(verifyIdToken(await idToken({}, other.privateKey), expected)).rejects.toMatchObject({ code: 'id_token_invalid', message: /did not verify/ });
  });
});

describe('gatehouse try: the authorization response checks', () => {
  const expected = { state: 's-1', issuer: ISSUER, issRequired: true };
  const params = (query: Record<string, string>): URLSearchParams => new URLSearchParams(query);

  it('takes the code of a response with this state and issuer', () => {
    expect(codeFromCallback(params({ code: 'c', state: 's-1', iss: ISSUER }), expected)).toBe('c');
  });

  it.each([
    ['another state', { code: 'c', state: 's-2', iss: ISSUER }, /another state/],
    ['no state', { code: 'c', iss: ISSUER }, /another state/],
    ['another issuer (a mix-up, RFC 9207)', { code: 'c', state: 's-1', iss: 'https://evil.example' }, /issuer https:\/\/evil\.example/],
    ['no issuer where the provider sends one', { code: 'c', state: 's-1' }, /issuer null/],
    ['an error', { error: 'access_denied', error_description: 'no\r\nthanks', state: 's-1', iss: ISSUER }, /^the sign-in ended with access_denied: no\?\?thanks$/],
    ['no code', { state: 's-1', iss: ISSUER }, /neither a code nor an error/],
  ])('refuses %s', (_, query, message) => {
    expect(() => codeFromCallback(params(query), expected)).toThrowError(message);
  });

  it('tells what is not this sign-in\'s answer (StrayCallback) from the provider\'s error', () => {
    const thrown = (query: Record<string, string>): unknown => {
      try {
        return codeFromCallback(params(query), expected);
      } catch (error) {
        return error;
      }
    };
    expect(thrown({ code: 'c', state: 's-2', iss: ISSUER })).toBeInstanceOf(StrayCallback);
    expect(thrown({ code: 'c', state: 's-1', iss: 'https://evil.example' })).toBeInstanceOf(StrayCallback);
    expect(thrown({ state: 's-1', iss: ISSUER })).toBeInstanceOf(StrayCallback);
    const error = thrown({ error: 'access_denied', state: 's-1', iss: ISSUER });
    expect(error).toBeInstanceOf(TryFailure);
    expect(error).not.toBeInstanceOf(StrayCallback);
  });
});

// Regression (issue 9 review): --open on Windows ran `cmd /c start "" <url>`, which cut the URL at
// its first `&` and ran what followed as a command; and any URL discovery named was opened.
describe('gatehouse try: what it opens', () => {
  it.each([
    ['https://id.example.org/o/acme/authorize', 'https://id.example.org/o/acme'],
    ['http://127.0.0.1:3000/o/acme/authorize', 'http://127.0.0.1:3000/o/acme'],
    ['http://localhost:3000/o/acme/authorize?x=1&y=2', 'http://localhost:3000/o/acme'],
  ])('opens %s, an https (or loopback http) page on the issuer\'s origin', (endpoint, issuer) => {
    expect(checkAuthorizationEndpoint(endpoint, issuer).href).toBe(endpoint);
  });

  it.each([
    ['file:///etc/passwd', 'https://id.example.org/o/acme', /uses file:/],
    ['javascript:alert(1)', 'https://id.example.org/o/acme', /uses javascript:/],
    ['ms-settings:', 'https://id.example.org/o/acme', /uses ms-settings:/],
    ['http://id.example.org/o/acme/authorize', 'http://id.example.org/o/acme', /uses http:/],
    ['https://evil.example/authorize', 'https://id.example.org/o/acme', /is not on the issuer's origin https:\/\/id\.example\.org/],
    ['https://id.example.org:8443/authorize', 'https://id.example.org/o/acme', /is not on the issuer's origin/],
    ['not a url', 'https://id.example.org/o/acme', /is not a URL/],
  ])('refuses %s', (endpoint, issuer, message) => {
    let refused: unknown;
    try {
      checkAuthorizationEndpoint(endpoint, issuer);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(TryFailure);
    expect(refused).toMatchObject({ code: 'discovery_failed', message: expect.stringMatching(message) });
    expect((refused as Error).message).toMatch(/try opens only an https \(or loopback http\) page on the issuer's origin$/);
  });

  const url = 'https://id.example.org/o/acme/authorize?response_type=code&client_id=a&state=s&x=%22%26calc';
  it.each([
    ['win32', 'rundll32', ['url.dll,FileProtocolHandler', url]],
    ['darwin', 'open', [url]],
    ['linux', 'xdg-open', [url]],
    ['freebsd', 'xdg-open', [url]],
  ] as const)('on %s runs %s with the URL as one argument, no shell', (platform, command, args) => {
    expect(openerCommand(platform, url)).toEqual({ command, args });
  });
});

// Regression (issue 9 review): the first request to the callback path ended the run, so any page
// or local process could end it with another state before the person had signed in.
describe('gatehouse try: the callback listener', () => {
  const expected = { state: 's-1', issuer: ISSUER, issRequired: true };

  it('answers a request that is not this sign-in\'s answer with a 400 and keeps waiting for the one that is', async () => {
    const redirectUri = new URL(`http://127.0.0.1:${await findFreePort('127.0.0.1')}/callback`);
    const strays: string[] = [];
    const listener = listenForCallback(redirectUri, { timeoutMs: 60_000, answer: (params) => codeFromCallback(params, expected), onStray: (error) => strays.push(error.message) });
    let settled = false;
    void listener.callback.then(() => (settled = true), () => (settled = true));
    try {
      await listener.ready;
      const iss = encodeURIComponent(ISSUER);
      for (const query of [`code=stolen&state=other&iss=${iss}`, `code=stolen&iss=${iss}`, `code=c&state=s-1&iss=https%3A%2F%2Fevil.example`, `state=s-1&iss=${iss}`]) {
        const response = await fetch(`${redirectUri.href}?${query}`);
        expect(response.status).toBe(400);
        expect(await response.text()).toBe('gatehouse try: this is not the answer to the sign-in gatehouse try is waiting for; it keeps waiting.\n');
      }
      expect(strays).toHaveLength(4);
      expect(strays[0]).toMatch(/another state/);
      expect(settled).toBe(false);
      const answer = await fetch(`${redirectUri.href}?code=the-code&state=s-1&iss=${iss}`);
      expect(answer.status).toBe(200);
      expect(await listener.callback).toBe('the-code');
    } finally {
      listener.close();
    }
  });

  it('ends the wait with the provider\'s error, when it comes with this state', async () => {
    const redirectUri = new URL(`http://127.0.0.1:${await findFreePort('127.0.0.1')}/callback`);
    const listener = listenForCallback(redirectUri, { timeoutMs: 60_000, answer: (params) => codeFromCallback(params, expected) });
    try {
      await listener.ready;
      const outcome = listener.callback.catch((error: unknown) => error);
      expect((await fetch(`${redirectUri.href}?error=access_denied&state=s-1&iss=${encodeURIComponent(ISSUER)}`)).status).toBe(200);
      expect(await outcome).toMatchObject({ code: 'authorization_failed', message: 'the sign-in ended with access_denied' });
    } finally {
      listener.close();
    }
  });
});
