/**
 * oidc-provider (npm, v9) for the benchmark, in a process of its own, configured like the
 * Gatehouse it is compared with: the same two clients and grants (authorization_code with PKCE,
 * refresh_token with rotation on every use, client_credentials), introspection, revocation and
 * userinfo enabled, ES256 ID tokens, opaque access tokens, the same lifetimes and claims, and
 * permissive CORS. Storage is in memory (bench/oidc-memory-adapter.ts).
 *
 * Its development interactions are off (they are not for production), so this file serves a
 * minimal sign-in page at /interaction/:uid: the form checks the password and completes the
 * interaction with the login and a grant of the requested scopes, which is what a real
 * deployment's interaction app does. Started by bench/run.ts; reports over IPC.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { BenchMemoryAdapter } from './oidc-memory-adapter.ts';
import { BENCH_USER, REDIRECT_URI, SERVICE_SCOPE, tellParent, USER_SCOPE } from './protocol.ts';

/** Gatehouse numbers accounts from 1001; the same `sub` here. */
const ACCOUNT_ID = '1001';
/** Fixed at start, like the Gatehouse constituent's updated_at. */
const UPDATED_AT = Math.floor(Date.now() / 1000);

const webClient = { id: 'bench-web', secret: randomBytes(32).toString('base64url') };
const serviceClient = { id: 'bench-service', secret: randomBytes(32).toString('base64url') };

/** Gatehouse's default signing algorithm, so both sign ID tokens with the same cost. */
function es256SigningKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: randomBytes(9).toString('base64url') };
}

function configuration(): Record<string, unknown> {
  return {
    adapter: BenchMemoryAdapter,
    jwks: { keys: [es256SigningKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [
      {
        client_id: webClient.id,
        client_secret: webClient.secret,
        redirect_uris: [REDIRECT_URI],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
        scope: USER_SCOPE,
      },
      {
        client_id: serviceClient.id,
        client_secret: serviceClient.secret,
        redirect_uris: [],
        response_types: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        // Metadata validation wants a signing key for this alg even for a client that gets no ID tokens.
        id_token_signed_response_alg: 'ES256',
        scope: SERVICE_SCOPE,
      },
    ],
    scopes: ['openid', 'offline_access', 'profile', 'email', SERVICE_SCOPE],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'updated_at'], email: ['email', 'email_verified'] },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, preferred_username: BENCH_USER.username, name: BENCH_USER.name, updated_at: UPDATED_AT, email: BENCH_USER.email, email_verified: false }),
    }),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Like Gatehouse: a client learns about its own tokens only.
      introspection: { enabled: true, allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      revocation: { enabled: true, allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      userinfo: { enabled: true },
    },
    pkce: { required: () => true },
    // Gatehouse issues a refresh token with every code redemption of a client allowed the grant,
    // and rotates it at every use (oidc-provider's defaults: only with offline_access, rotate late).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(grant: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    clientBasedCORS: () => true,
    // Gatehouse's defaults.
    ttl: {
      AuthorizationCode: 600,
      AccessToken: 3600,
      ClientCredentials: 3600,
      IdToken: 3600,
      RefreshToken: 30 * 24 * 3600,
      Grant: 30 * 24 * 3600,
      Session: 8 * 3600,
      Interaction: 30 * 60,
    },
    renderError: async (ctx: { type: string; body: unknown }, out: Record<string, string>) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

/** The sign-in page: one form, shaped like Gatehouse's (absolute action, hidden inputs, a current-password field). */
function signInPage(action: string): string {
  return `<!doctype html><html><body><form method="post" action="${action}">
<input type="hidden" name="step" value="login">
<input name="username" autocomplete="username"><input type="password" name="password" autocomplete="current-password">
<button type="submit">Sign in</button></form></body></html>`;
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > 64 * 1024) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

/**
 * GET shows the page; POST with the right password completes the interaction with the login and
 * a grant of the requested scopes (no separate consent step, like Gatehouse's consent-free client).
 */
async function interaction(provider: Provider, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(request, response);
  if (request.method === 'GET') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(signInPage(`${provider.issuer}/interaction/${details.uid}`));
    return;
  }
  const form = await readForm(request);
  if (form.get('username') !== BENCH_USER.username || form.get('password') !== BENCH_USER.password) {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(signInPage(`${provider.issuer}/interaction/${details.uid}`));
    return;
  }
  const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: String(details.params.client_id) });
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  const grantId = await grant.save();
  await provider.interactionFinished(request, response, { login: { accountId: ACCOUNT_ID }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

async function main(): Promise<void> {
  // The issuer must name the port, so listen first and attach the provider once it is known.
  const server = createServer();
  server.keepAliveTimeout = 72_000; // as Fastify's default, so idle benchmark connections stay open alike
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const provider = new Provider(`http://127.0.0.1:${port}`, configuration());
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error', error));
  const handle = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.url?.startsWith('/interaction/') === true) {
      interaction(provider, request, response).catch((error: unknown) => {
        console.error('interaction failed', error);
        if (!response.headersSent) response.writeHead(400).end();
      });
    } else {
      handle(request, response);
    }
  });

  const shutdown = (): void => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('disconnect', shutdown);

  tellParent({ type: 'ready', name: 'oidc-provider', issuer: provider.issuer, webClient, serviceClient, store: 'memory (Map adapter)' });
}

main().catch((error: unknown) => {
  tellParent({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
