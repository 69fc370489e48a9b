import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

const REDIRECT_URI = 'https://app.example.org/callback';

/**
 * An unmodified openid-client against a running Gatehouse: discovery, the code flow with PKCE,
 * state and nonce, ID token validation, userinfo, refresh with rotation, introspection,
 * revocation and RP-initiated logout.
 */
describe.each(DIALECTS)('openid-client against Gatehouse on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let config: oidc.Configuration;
  let issuer: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    seeded = await seedOrg(server.store.storage.db, 'acme');
    const client = await seedClient(server.store.storage.db, seeded.org.id);
    issuer = `${server.url}/o/acme`;
    config = await oidc.discovery(new URL(issuer), client.clientId, client.clientSecret!, undefined, { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function codeFlow(browser = new TestBrowser(), scope = 'openid profile email') {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await signInThroughPages(browser, url.href, server.url, { username: 'alice', password: seeded.constituent.password });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    return { tokens, browser, callback };
  }

  it('discovers the issuer with byte-identical issuer values in both metadata documents', async () => {
    expect(config.serverMetadata().issuer).toBe(issuer);
    const rfc8414 = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server/o/acme`)).json()) as { issuer: string };
    expect(rfc8414.issuer).toBe(issuer);
    expect(config.serverMetadata().authorization_response_iss_parameter_supported).toBe(true);
  });

  it('runs the code flow with PKCE, state and nonce, validating the ID token', async () => {
    const { tokens, callback } = await codeFlow();
    expect(new URL(callback).searchParams.get('iss')).toBe(issuer);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer, sub: seeded.constituent.accountId, aud: config.clientMetadata().client_id });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.account_id).toBe(seeded.constituent.accountId);
    expect(tokens.refresh_token).toBeTypeOf('string');
  });

  it('fetches userinfo with the claims of the granted scopes', async () => {
    const { tokens } = await codeFlow();
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, seeded.constituent.accountId);
    expect(userinfo).toEqual({
      sub: seeded.constituent.accountId,
      preferred_username: 'alice',
      name: 'Alice Example',
      updated_at: expect.any(Number),
      email: 'alice@example.org',
      email_verified: false,
    });
  });

  it('remembers consent: a second flow in the same browser skips every page', async () => {
    const browser = new TestBrowser();
    await codeFlow(browser);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid profile', state: 's2', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const step = await browser.follow(url.href, server.url);
    expect(step.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(new URL(step.url).searchParams.get('code')).toBeTruthy();
  });

  it('refreshes with rotation, and reuse of a rotated refresh token revokes the family', async () => {
    const { tokens } = await codeFlow();
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()?.sub).toBe(seeded.constituent.accountId);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The family is gone: the newest refresh token and access token too.
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(config, refreshed.access_token, seeded.constituent.accountId)).rejects.toMatchObject({ status: 401 });
  });

  it('introspects active and revoked tokens, and revocation of a refresh token kills its access tokens', async () => {
    const { tokens } = await codeFlow();
    const active = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({ active: true, sub: seeded.constituent.accountId, client_id: config.clientMetadata().client_id, scope: 'openid profile email', iss: issuer });
    const refresh = await oidc.tokenIntrospection(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(refresh.active).toBe(true);
    await oidc.tokenRevocation(config, tokens.refresh_token!);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    expect((await oidc.tokenIntrospection(config, tokens.refresh_token!)).active).toBe(false);
    expect((await oidc.tokenIntrospection(config, 'not-a-token')).active).toBe(false);
  });

  it('ends the session with RP-initiated logout and returns to the registered URI with state', async () => {
    const { tokens, browser } = await codeFlow();
    const endSession = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://app.example.org/signed-out', state: 'bye' });
    const step = await browser.follow(endSession.href, server.url);
    expect(step.url).toBe('https://app.example.org/signed-out?state=bye');
    // The SSO session is over: the next authorization asks for a sign-in again.
    const again = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const next = await browser.follow(again.href, server.url);
    expect(next.url).toContain('/o/acme/login?interaction=');
  });
});
