import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { PASSWORD, seedClient, seedOrg, type SeededOrg, VERIFIER, CHALLENGE } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';


describe.each(DIALECTS)('RS256 ID tokens and RFC 9068 JWT access tokens on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let issuer: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    seeded = await seedOrg(server.store.storage.db, 'acme');
    issuer = `${server.url}/o/acme`;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function tokensFor(client: { clientId: string; clientSecret: string | null }): Promise<Record<string, string>> {
    const params = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: 'https://app.example.org/callback', scope: 'openid profile', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    const callback = await signInThroughPages(new TestBrowser(), `${issuer}/authorize?${params}`, server.url, { username: 'alice', password: PASSWORD });
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: new URL(callback).searchParams.get('code')!, redirect_uri: 'https://app.example.org/callback', code_verifier: VERIFIER }),
    });
    return (await response.json()) as Record<string, string>;
  }

  it('signs ID tokens with RS256 for a client that asks for it, verifiable with the JWKS', async () => {
    const client = await seedClient(server.store.storage.db, seeded.org.id, { consentRequired: false, idTokenSignedResponseAlg: 'RS256' });
    const tokens = await tokensFor(client);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${issuer}/jwks.json`)), { issuer, audience: client.clientId });
    expect(payload.sub).toBe(seeded.constituent.accountId);
  });

  it('issues RFC 9068 JWT access tokens that userinfo, introspection and revocation treat like opaque ones', async () => {
    const client = await seedClient(server.store.storage.db, seeded.org.id, { consentRequired: false, accessTokenFormat: 'jwt' });
    const tokens = await tokensFor(client);
    expect(decodeProtectedHeader(tokens.access_token!)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const { payload } = await jwtVerify(tokens.access_token!, createRemoteJWKSet(new URL(`${issuer}/jwks.json`)), { issuer, audience: issuer, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: seeded.constituent.accountId, client_id: client.clientId, scope: 'openid profile' });
    expect(payload.jti).toBeTypeOf('string');
    const userinfo = await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(200);
    const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
    await fetch(`${issuer}/revoke`, { method: 'POST', headers: { authorization: basic }, body: new URLSearchParams({ token: tokens.access_token! }) });
    expect((await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
  });

  it('gives client_credentials JWTs the client as subject', async () => {
    const client = await seedClient(server.store.storage.db, seeded.org.id, { redirectUris: [], postLogoutRedirectUris: [], grantTypes: ['client_credentials'], scope: 'reports:read', consentRequired: false, accessTokenFormat: 'jwt' });
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    const { access_token } = (await response.json()) as { access_token: string };
    const { payload } = await jwtVerify(access_token, createRemoteJWKSet(new URL(`${issuer}/jwks.json`)), { issuer, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: client.clientId, client_id: client.clientId, scope: 'reports:read' });
  });
});
