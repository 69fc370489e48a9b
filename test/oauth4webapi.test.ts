import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

const REDIRECT_URI = 'https://app.example.org/callback';
const insecure = { [oauth.allowInsecureRequests]: true };

/** An unmodified oauth4webapi: the code flow with PKCE, state and nonce, and client_credentials. */
describe.each(DIALECTS)('oauth4webapi against Gatehouse on %s', (dialect) => {
  let server: TestServer;
  let seeded: SeededOrg;
  let as: oauth.AuthorizationServer;
  let web: { clientId: string; clientSecret: string | null };
  let service: { clientId: string; clientSecret: string | null };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    seeded = await seedOrg(server.store.storage.db, 'acme');
    web = await seedClient(server.store.storage.db, seeded.org.id, { consentRequired: true });
    service = await seedClient(server.store.storage.db, seeded.org.id, { redirectUris: [], postLogoutRedirectUris: [], grantTypes: ['client_credentials'], scope: 'reports:read', consentRequired: false });
    const issuer = new URL(`${server.url}/o/acme`);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('runs the code flow with PKCE and validates the ID token', async () => {
    const client: oauth.Client = { client_id: web.clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: web.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid email',
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await signInThroughPages(new TestBrowser(), url.href, server.url, { username: 'alice', password: seeded.constituent.password });
    // validateAuthResponse checks `iss` (RFC 9207) against the discovered issuer.
    const params = oauth.validateAuthResponse(as, client, new URL(callback), state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(web.clientSecret!), params, REDIRECT_URI, verifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
    expect(oauth.getValidatedIdTokenClaims(result)?.sub).toBe(seeded.constituent.accountId);
    const userinfo = await oauth.processUserInfoResponse(as, client, seeded.constituent.accountId, await oauth.userInfoRequest(as, client, result.access_token, insecure));
    expect(userinfo).toMatchObject({ sub: seeded.constituent.accountId, email: 'alice@example.org' });
  });

  it('gets a client_credentials token with client_secret_post', async () => {
    const client: oauth.Client = { client_id: service.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(service.clientSecret!), new URLSearchParams({ scope: 'reports:read' }), insecure);
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    expect(result).toMatchObject({ token_type: 'bearer', scope: 'reports:read', expires_in: 3600 });
  });

  it('surfaces a wrong secret as a 401 with a Basic challenge and invalid_client', async () => {
    const client: oauth.Client = { client_id: service.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('gsec_wrong'), new URLSearchParams(), insecure);
    const body = (await response.clone().json()) as { error: string };
    expect(body.error).toBe('invalid_client');
    const error = await oauth.processClientCredentialsResponse(as, client, response).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect((error as oauth.WWWAuthenticateChallengeError).status).toBe(401);
    expect((error as oauth.WWWAuthenticateChallengeError).cause[0]?.scheme).toBe('basic');
  });
});
