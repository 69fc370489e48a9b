/**
 * The relying-party side of the benchmark, the same code for every server: discovery, a sign-in
 * through the server's own pages (a cookie jar and plain fetch), and the request shapes the load
 * scenarios send. Nothing here knows which server it talks to beyond its discovery document.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ClientCredentials, ServerReady } from './protocol.ts';
import { BENCH_USER, REDIRECT_URI, USER_SCOPE } from './protocol.ts';

export interface Endpoints {
  readonly discovery: string;
  readonly authorization: string;
  readonly token: string;
  readonly userinfo: string;
  readonly introspection: string;
}

/** One PKCE pair for every authorization request: the client's cost is not what is measured. */
const CODE_VERIFIER = randomBytes(32).toString('base64url');
const CODE_CHALLENGE = createHash('sha256').update(CODE_VERIFIER).digest('base64url');

export async function discover(issuer: string): Promise<Endpoints> {
  const discovery = `${issuer}/.well-known/openid-configuration`;
  const response = await fetch(discovery);
  if (!response.ok) throw new Error(`discovery at ${discovery} answered ${response.status}`);
  const metadata = (await response.json()) as Record<string, unknown>;
  const endpoint = (name: string): string => {
    const value = metadata[name];
    if (typeof value !== 'string') throw new Error(`${issuer} advertises no ${name}`);
    return value;
  };
  return {
    discovery,
    authorization: endpoint('authorization_endpoint'),
    token: endpoint('token_endpoint'),
    userinfo: endpoint('userinfo_endpoint'),
    introspection: endpoint('introspection_endpoint'),
  };
}

/** The authorization request of every flow: code, PKCE S256, state and nonce. */
export function authorizationUrl(endpoints: Endpoints, client: ClientCredentials): string {
  const url = new URL(endpoints.authorization);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.id,
    redirect_uri: REDIRECT_URI,
    scope: USER_SCOPE,
    state: 'bench-state',
    nonce: 'bench-nonce',
    code_challenge: CODE_CHALLENGE,
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/** RFC 6749 §2.3.1 client_secret_basic (our ids and secrets are URL-safe, so no form-encoding is needed). */
export function basicAuthorization(client: ClientCredentials): string {
  return `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
}

export function codeRedemptionBody(code: string): string {
  return new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: CODE_VERIFIER }).toString();
}

/** The `code` of an authorization response's Location, when it goes to our redirect URI. */
export function codeFromLocation(location: string | undefined): string | undefined {
  if (location === undefined || !location.startsWith(`${REDIRECT_URI}?`)) return undefined;
  return new URL(location).searchParams.get('code') ?? undefined;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
}

export async function redeemCode(endpoints: Endpoints, client: ClientCredentials, code: string): Promise<TokenResponse> {
  const response = await fetch(endpoints.token, {
    method: 'POST',
    headers: { authorization: basicAuthorization(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: codeRedemptionBody(code),
  });
  const body = (await response.json()) as TokenResponse & { error?: string };
  if (!response.ok || typeof body.access_token !== 'string') throw new Error(`code redemption answered ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** A cookie jar that honours Path: enough for one organization's or one provider's cookies. */
class CookieJar {
  readonly #cookies = new Map<string, { readonly value: string; readonly path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const equals = pair.indexOf('=');
      const name = pair.slice(0, equals).trim();
      const value = pair.slice(equals + 1).trim();
      const path = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, { value, path });
    }
  }

  header(url: string): string {
    const { pathname } = new URL(url);
    return [...this.#cookies]
      .filter(([, c]) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }
}

export interface SignedIn {
  /** The Cookie header a browser with the new SSO session sends to the authorization endpoint. */
  readonly cookie: string;
  /** The code of this first flow. */
  readonly code: string;
}

/**
 * A browser's first sign-in: the authorization request, the server's sign-in page filled in with
 * the password, redirects followed until the server sends the browser to the redirect URI.
 */
export async function signInThroughPages(endpoints: Endpoints, ready: ServerReady): Promise<SignedIn> {
  const jar = new CookieJar();
  const origin = new URL(ready.issuer).origin;
  let url = authorizationUrl(endpoints, ready.webClient);
  let form: URLSearchParams | undefined;
  for (let step = 0; step < 12; step++) {
    const cookie = jar.header(url);
    const response = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      headers: { ...(cookie === '' ? {} : { cookie }), ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
      body: form?.toString(),
      redirect: 'manual',
    });
    jar.store(response);
    form = undefined;
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location') ?? '', url).href;
      const code = codeFromLocation(location);
      if (code !== undefined) return { cookie: jar.header(endpoints.authorization), code };
      if (!location.startsWith(origin)) throw new Error(`sign-in was sent to ${location}`);
      url = location;
      continue;
    }
    const html = await response.text();
    if (!html.includes('autocomplete="current-password"')) throw new Error(`expected a sign-in page at ${url} (${response.status}): ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (action === undefined) throw new Error(`no form on the sign-in page at ${url}`);
    form = new URLSearchParams();
    for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form.set(unescapeHtml(match[1]!), unescapeHtml(match[2]!));
    form.set('username', BENCH_USER.username);
    form.set('password', BENCH_USER.password);
    url = new URL(unescapeHtml(action), url).href;
  }
  throw new Error('sign-in did not reach the redirect URI within 12 steps');
}

function unescapeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#96;/g, '`')
    .replace(/&amp;/g, '&');
}
