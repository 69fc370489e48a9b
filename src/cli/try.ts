import { spawn } from 'node:child_process';
import { issuerFor } from '../config/config.ts';
import { DEMO_REDIRECT_URI, DEMO_SLUG } from '../demo.ts';
import { isLoopbackHost } from '../clients/redirect-uris.ts';
import { optionalString, UsageError, type Command, type CliIo } from './command.ts';
import { authorizationRequest, codeFromCallback, discover, fetchJwks, fetchUserinfo, listenForCallback, openerCommand, redeemCode, verifyIdToken } from './try-flow.ts';

const DEFAULT_TIMEOUT_SECONDS = 300;

/**
 * `gatehouse try`: signs in once through a client, as an app would, and shows what the app gets.
 * It listens on the client's loopback redirect URI, prints (and with --open opens) the
 * authorization URL, takes the code, redeems it with the client's secret and the PKCE verifier,
 * verifies the ID token and reads userinfo. Like `hydra perform authorization-code`.
 */
export const tryCommand: Command = {
  name: 'try',
  summary: 'Sign in once through a client, as an app would, and print the tokens, the ID token claims and userinfo',
  synopsis:
    `try [--org <slug> | --issuer <url>] --client-id <id> [--client-secret <secret>, better CLIENT_SECRET in the environment] [--redirect-uri <loopback uri>] [--scope "<scopes>"] [--open] [--timeout <seconds>] [--json]`,
  options: {
    org: { type: 'string' },
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    scope: { type: 'string' },
    open: { type: 'boolean' },
    timeout: { type: 'string' },
  },
  usesStore: false,
  async run({ values, config, io }) {
    const slug = optionalString(values, 'org');
    const givenIssuer = optionalString(values, 'issuer');
    if (slug !== undefined && givenIssuer !== undefined) throw new UsageError('give --org or --issuer, not both');
    // The secret is best given in the environment (CLIENT_SECRET): a flag shows in `ps` to every
    // user of the machine. --client-secret still works.
    const clientId = optionalString(values, 'client-id') ?? io.env.CLIENT_ID;
    const clientSecret = optionalString(values, 'client-secret') ?? io.env.CLIENT_SECRET;
    if (clientId === undefined || clientId === '') throw new UsageError('--client-id is required (or CLIENT_ID in the environment); the first start printed the demo client\'s');
    if (clientSecret === undefined || clientSecret === '') throw new UsageError('CLIENT_SECRET in the environment (or --client-secret) is required; the first start printed the demo client\'s');
    // Sent exactly as given: the authorization server compares it with the registered string.
    const rawRedirectUri = optionalString(values, 'redirect-uri') ?? DEMO_REDIRECT_URI;
    const redirectUri = loopbackRedirectUri(rawRedirectUri);
    const timeout = optionalString(values, 'timeout') ?? String(DEFAULT_TIMEOUT_SECONDS);
    if (!/^[1-9]\d{0,5}$/.test(timeout)) throw new UsageError(`--timeout must be a whole number of seconds, not '${timeout}'`);
    const scope = optionalString(values, 'scope') ?? 'openid profile email';
    const client = { clientId, clientSecret, redirectUri: rawRedirectUri };
    // The issuer of the org under this environment's PUBLIC_URL, unless named outright.
    const issuer = givenIssuer ?? issuerFor(config, slug ?? DEMO_SLUG);

    const metadata = await discover(issuer);
    const request = authorizationRequest(metadata, client, scope);
    const expected = { state: request.state, issuer: metadata.issuer, issRequired: metadata.authorization_response_iss_parameter_supported === true };
    const listener = listenForCallback(redirectUri, {
      timeoutMs: Number(timeout) * 1000,
      answer: (params) => codeFromCallback(params, expected),
      onStray: (error) => io.stderr.write(`gatehouse try: refused a request to the redirect URI: ${error.message}; still waiting\n`),
    });
    try {
      await listener.ready;
      // A prompt, not a result: on stderr, so that stdout carries only the result (one JSON object with --json).
      io.stderr.write(`gatehouse try: listening on ${rawRedirectUri}\ngatehouse try: open this URL in a browser and sign in:\n${request.url}\n`);
      if (values.open === true) openInBrowser(request.url, io);
      const code = await listener.callback;
      const tokens = await redeemCode(metadata, client, code, request.codeVerifier);
      const idTokenClaims = await verifyIdToken(tokens.id_token as string, { jwks: await fetchJwks(metadata), issuer: metadata.issuer, clientId, nonce: request.nonce });
      const userinfo = await fetchUserinfo(metadata, tokens.access_token as string, idTokenClaims.sub);
      return {
        json: { issuer: metadata.issuer, client_id: clientId, redirect_uri: rawRedirectUri, tokens, id_token_claims: idTokenClaims, userinfo },
        text: resultText({ metadata, tokens, idTokenClaims, userinfo }),
      };
    } finally {
      listener.close();
    }
  },
};

/** try listens where the browser is sent: an http redirect URI on this machine (RFC 8252 §7.3). */
function loopbackRedirectUri(raw: string): URL {
  let uri: URL;
  try {
    uri = new URL(raw);
  } catch {
    throw new UsageError(`--redirect-uri '${raw}' is not a URL`);
  }
  if (uri.protocol !== 'http:' || !isLoopbackHost(uri.hostname) || uri.search !== '' || uri.hash !== '') {
    throw new UsageError(`--redirect-uri must be an http URI on 127.0.0.1, [::1] or localhost without query or fragment (try listens there), not '${raw}'`);
  }
  return uri;
}

/** Opens the authorization URL, which discover() has checked (checkAuthorizationEndpoint): no shell, one argument. */
function openInBrowser(url: string, io: CliIo): void {
  const { command, args } = openerCommand(process.platform, url);
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', () => io.stderr.write('gatehouse try: could not open a browser; open the URL above yourself\n'));
  child.unref();
}

function resultText(result: { metadata: { issuer: string; token_endpoint: string; jwks_uri: string; userinfo_endpoint: string }; tokens: Record<string, unknown>; idTokenClaims: object; userinfo: object }): string {
  const { metadata, tokens } = result;
  const lines = Object.entries(tokens).map(([name, value]) => `  ${`${name}:`.padEnd(15)} ${String(value)}`);
  const indent = (value: object): string => JSON.stringify(value, null, 2).replace(/^/gm, '  ');
  return (
    `Signed in through ${metadata.issuer}.\n\n` +
    `Token response (POST ${metadata.token_endpoint}: grant_type=authorization_code, the code, redirect_uri and the PKCE code_verifier; client_secret_basic):\n` +
    `${lines.join('\n')}\n\n` +
    `ID token claims (signature checked with ${metadata.jwks_uri}; iss, aud, exp and nonce checked):\n${indent(result.idTokenClaims)}\n\n` +
    `Userinfo (GET ${metadata.userinfo_endpoint} with the access token):\n${indent(result.userinfo)}\n`
  );
}
