import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';
import { describe, expect, it } from 'vitest';
import { codeFromCallback, TryFailure, verifyIdToken } from './try-flow.ts';

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
});
