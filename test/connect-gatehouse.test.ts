import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountConnectorCredentialsAad } from '../src/connectors/connector.ts';
import { credentialsFromJson } from '../src/connectors/credentials-codec.ts';
import { issueSignInToken } from '../src/connectors/signin-tokens.ts';
import { createVault } from '../src/connectors/vault/vault.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { credentialKey } from '../src/oauth/credentials/credentials.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { randomBytes } from 'node:crypto';
import { signInThroughPages, TestBrowser } from './helpers/browser.ts';
import { PASSWORD, seedClient, seedOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

// Issue 11: "Gatehouse connects … through a second org of Gatehouse itself through its catalogue
// entry". One installation plays both parts: the org `acme` is the partner whose hub connects its
// customer, and the org `idp` is the provider, reached over loopback http
// (OUTBOUND_ALLOW_PRIVATE_NETWORK) through the `gatehouse` entry (discovery of PUBLIC_URL/o/idp,
// PKCE, offline_access). Gatehouse rotates refresh tokens and revokes the family when a spent one
// comes back (RFC 9700 §4.14.2), so the hub refreshing twice would kill its own connection: what
// the parallel reads below prove it does not do.

const PARTNER = 'https://partner.example';

describe.each(DIALECTS)('connecting to a second Gatehouse org through the gatehouse entry on %s', (dialect) => {
  const rootKey = randomBytes(32);
  let skewMs = 0;
  /** Both orgs' clock (one server): moving it ages the provider's tokens as the hub sees them. */
  const clock = (): number => Date.now() + skewMs;
  let server: TestServer;
  let partnerOrgId: string;
  let apiKey: string;
  let providerClient: { clientId: string; clientSecret: string | null };
  let appConnectorId: string;

  beforeAll(async () => {
    server = await startTestServer(dialect, { rootKey, clock, env: { OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' } });
    const db = server.store.storage.db;
    const partner = await seedOrg(db, 'acme');
    partnerOrgId = partner.org.id;
    apiKey = (await createStaffUser(db, clock, partnerOrgId, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;
    const provider = await seedOrg(db, 'idp');
    // The provider org's client for the hub: its redirect URI is the partner's callback, and it
    // may ask for offline_access (its default grants include refresh_token).
    providerClient = await seedClient(db, provider.org.id, {
      name: 'Acme connector hub',
      redirectUris: [`${server.url}/o/acme/connectorauth/callback`],
      scope: 'openid profile email offline_access',
      consentRequired: true,
    });

    expect((await api('PATCH', '/org', { connect_target_origins: [PARTNER] })).status).toBe(200);
    expect((await api('POST', '/accounts', { id: 'cust-1', name: 'Customer one' })).status).toBe(201);
    const app = await api('POST', '/app-connectors', {
      provider: 'gatehouse',
      name: 'Our identity provider',
      client_id: providerClient.clientId,
      client_secret: providerClient.clientSecret,
      config: { gatehouse_url: server.url, org: 'idp' },
    });
    expect(app.status, JSON.stringify(app.json)).toBe(201);
    appConnectorId = app.json!['id'] as string;
  });

  /** Every provider token the hub handed out or held: none may appear in a log line. */
  const secrets: string[] = [];

  afterAll(async () => {
    const logs = JSON.stringify(server?.logs ?? []);
    for (const secret of [providerClient.clientSecret!, ...secrets]) expect(logs).not.toContain(secret);
    await server?.close();
  });

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, any> | undefined }> {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`acme:${apiKey}`).toString('base64')}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
  }

  async function userinfo(accessToken: string): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
    const response = await fetch(`${server.url}/o/idp/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    const text = await response.text();
    return { status: response.status, json: response.ok ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  }

  /** The refresh token the hub holds for the connector, read from the vault as only the hub can. */
  async function heldRefreshToken(id: string): Promise<string> {
    const db = server.store.storage.db;
    const row = await db.selectFrom('account_connectors').select('credentials').where('id', '=', id).executeTakeFirstOrThrow();
    const vault = createVault(db, createSealer(rootKey), clock);
    const held = credentialsFromJson(await vault.open(partnerOrgId, row.credentials!, accountConnectorCredentialsAad(id)));
    secrets.push(held.accessToken, held.refreshToken!);
    return held.refreshToken!;
  }

  /** A new account connector of cust-1, connected by alice signing in at the provider org (consent included). */
  async function connect(): Promise<string> {
    const created = await api('POST', '/accounts/cust-1/connectors', { app_connector_id: appConnectorId });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json!['id'] as string;
    expect(await runFlow(id)).toBe(`${PARTNER}/done`);
    return id;
  }

  /**
   * The connect flow of connector `id` in a new browser, up to where the hub sends the browser: the
   * start, the provider org's sign-in (and consent), then the provider's redirect back to the hub's
   * callback, changed by `alter` first (a mix-up, a forgery). Returns the hub's 303 Location.
   */
  async function runFlow(id: string, alter: (callback: URL) => void = () => {}): Promise<string> {
    const { token } = await issueSignInToken(server.store.storage.db, clock, partnerOrgId, 'cust-1', 'alice@customer.example');
    secrets.push(token);
    const start = `${server.url}/o/acme/connectorauth/updateaccountconnectoroauth?${new URLSearchParams({ id, token, targetOrigin: `${PARTNER}/done` }).toString()}`;
    const browser = new TestBrowser();
    // The entry's authorization request at the provider org: discovered endpoint, its default scopes, PKCE.
    const authorization = new URL((await browser.request(start)).headers.get('location')!);
    expect(authorization.origin + authorization.pathname).toBe(`${server.url}/o/idp/authorize`);
    expect(authorization.searchParams.get('client_id')).toBe(providerClient.clientId);
    expect(authorization.searchParams.get('scope')).toBe('openid offline_access');
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    // Pages of the provider org until it sends the browser elsewhere: to the hub's callback.
    const callback = new URL(await signInThroughPages(browser, authorization.href, `${server.url}/o/idp/`, { username: 'alice', password: PASSWORD }));
    expect(callback.origin + callback.pathname).toBe(`${server.url}/o/acme/connectorauth/callback`);
    // RFC 9207: the provider names itself in the response.
    expect(callback.searchParams.get('iss')).toBe(`${server.url}/o/idp`);
    alter(callback);
    const end = await browser.request(callback.href);
    expect(end.status).toBe(303);
    return end.headers.get('location')!;
  }

  it('connects: the account connector is authenticated and its access token works at the provider org\'s userinfo', async () => {
    const id = await connect();
    expect((await api('GET', `/account-connectors/${id}`)).json).toMatchObject({ id, status: 'authenticated' });
    const credentials = await api('GET', `/account-connectors/${id}/credentials`);
    expect(credentials.status, JSON.stringify(credentials.json)).toBe(200);
    expect(credentials.json).toMatchObject({ auth_mode: 'oauth2', token_type: 'Bearer' });
    const profile = await userinfo(credentials.json!['access_token'] as string);
    expect(profile.status).toBe(200);
    expect(profile.json).toMatchObject({ sub: '1001' });
    // offline_access was asked for and granted: the hub holds a refresh token.
    expect(await heldRefreshToken(id)).toMatch(/./);
  });

  it('an expired token is refreshed once by ten parallel reads: all get the new token, which works; the old refresh token is spent (and its reuse revokes the grant)', async () => {
    const id = await connect();
    const first = await api('GET', `/account-connectors/${id}/credentials`);
    const oldAccess = first.json!['access_token'] as string;
    const oldRefresh = await heldRefreshToken(id);
    const readsBefore = await refreshedReads(id);
    expect(await refreshTokensOfFamily(oldRefresh)).toBe(1);

    skewMs = 2 * 3600_000; // past the provider org's access-token lifetime (3600 s), well within its refresh token's (30 days)
    try {
      expect((await userinfo(oldAccess)).status).toBe(401);
      const reads = await Promise.all(Array.from({ length: 10 }, () => api('GET', `/account-connectors/${id}/credentials`)));
      for (const read of reads) expect(read.status, JSON.stringify(read.json)).toBe(200);
      const handedOut = new Set(reads.map((read) => read.json!['access_token'] as string));
      expect(handedOut.size).toBe(1);
      const [newAccess] = handedOut;
      expect(newAccess).not.toBe(oldAccess);
      // Counted at the provider: one refresh token issued since the connect, so one refresh grant.
      expect(await refreshTokensOfFamily(oldRefresh)).toBe(2);
      const readsAfter = await refreshedReads(id);
      expect(readsAfter).toHaveLength(readsBefore.length + 10);
      expect(readsAfter.filter((refreshed) => refreshed)).toHaveLength(readsBefore.filter((refreshed) => refreshed).length + 1);
      expect((await api('GET', `/account-connectors/${id}`)).json).toMatchObject({ id, status: 'authenticated' });
      expect(await userinfo(newAccess!)).toMatchObject({ status: 200, json: { sub: '1001' } });
      const newRefresh = await heldRefreshToken(id);
      expect(newRefresh).not.toBe(oldRefresh);

      // The old refresh token is spent at the provider: presented again it is invalid_grant, and
      // the provider revokes the whole family (what a second refresh by the hub would have done).
      const replay = await fetch(`${server.url}/o/idp/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${providerClient.clientId}:${providerClient.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: oldRefresh }),
      });
      expect(replay.status).toBe(400);
      expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
      expect((await userinfo(newAccess!)).status).toBe(401);

      // …so the next refresh is refused, and the hub says the connector needs its customer again.
      skewMs = 4 * 3600_000;
      const refused = await api('GET', `/account-connectors/${id}/credentials`);
      expect(refused.status).toBe(409);
      expect((await api('GET', `/account-connectors/${id}`)).json).toMatchObject({ id, status: 'needs_reauth' });
    } finally {
      skewMs = 0;
    }
  });

  // RFC 9207 §2.4 (the mix-up defence of RFC 9700 §4.4): every provider of the org redirects to
  // the one callback, so the hub takes a response only from the issuer it sent the browser to.
  it('a redirect back naming another issuer, or none though the provider promises one, is refused (error=issuer_mismatch) and the code is not exchanged', async () => {
    const created = await api('POST', '/accounts/cust-1/connectors', { app_connector_id: appConnectorId });
    const id = created.json!['id'] as string;
    let code = '';
    const mixedUp = await runFlow(id, (callback) => {
      code = callback.searchParams.get('code')!;
      callback.searchParams.set('iss', `${server.url}/o/acme`);
    });
    expect(mixedUp).toBe(`${PARTNER}/done?error=issuer_mismatch`);
    expect(await runFlow(id, (callback) => callback.searchParams.delete('iss'))).toBe(`${PARTNER}/done?error=issuer_mismatch`);
    expect((await api('GET', `/account-connectors/${id}`)).json).toMatchObject({ id, status: 'unauthenticated' });
    // The mixed-up response's code was never sent to a token endpoint: it is still unused at the provider.
    const codeRow = await server.store.storage.db.selectFrom('authorization_codes').select('consumed_at').where('id', '=', credentialKey(code).id).executeTakeFirstOrThrow();
    expect(codeRow.consumed_at).toBeNull();
  });

  /** How many refresh tokens the provider org issued in the family of `refreshToken` (the connect's, then one per refresh grant). */
  async function refreshTokensOfFamily(refreshToken: string): Promise<number> {
    const db = server.store.storage.db;
    const family = await db.selectFrom('refresh_tokens').select('family_id').where('id', '=', credentialKey(refreshToken).id).executeTakeFirstOrThrow();
    const rows = await db.selectFrom('refresh_tokens').select('id').where('family_id', '=', family.family_id).execute();
    return rows.length;
  }

  /** `refreshed` of each credential read of the connector (its audit events say who read, and whether it refreshed). */
  async function refreshedReads(id: string): Promise<boolean[]> {
    const rows = await server.store.storage.db
      .selectFrom('audit_events')
      .select('details')
      .where('target_id', '=', id)
      .where('action', '=', 'account_connector.credentials_read')
      .execute();
    return rows.map((row) => (JSON.parse(row.details) as { refreshed: boolean }).refreshed);
  }
});
