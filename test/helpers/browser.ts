/**
 * A minimal browser for protocol tests: a cookie jar honouring Path, manual redirects, and the
 * hosted forms (sign-in, consent, logout) filled in by their field names, as a person would.
 */
export class TestBrowser {
  /** One cookie per name and path, as browsers keep them (RFC 6265 §5.3 step 11). */
  readonly #cookies = new Map<string, { name: string; value: string; path: string }>();
  readonly #headers: Readonly<Record<string, string>>;

  /** `headers` go with every request (`x-forwarded-for`: the address the server sees, behind its loopback proxy). */
  constructor(options: { readonly headers?: Readonly<Record<string, string>> } = {}) {
    this.#headers = options.headers ?? {};
  }

  /** GET (or POST a form to) `url`, following redirects that stay on `stopAt`'s other side. */
  async request(url: string, init: { method?: 'GET' | 'POST'; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...this.#headers, ...init.headers };
    const cookie = this.cookieHeader(target);
    if (cookie !== '') headers.cookie = cookie;
    let body: string | undefined;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.store(line);
    return response;
  }

  /**
   * Follows redirects from `url` while they stay on the server (`origin`); returns the first
   * response that is not a redirect, or the redirect that leaves (to the client's redirect URI).
   */
  async follow(url: string, origin: string, init: { form?: Record<string, string> } = {}): Promise<{ response: Response; url: string }> {
    let response = await this.request(url, init);
    let current = url;
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const location = new URL(response.headers.get('location')!, current).href;
      if (!location.startsWith(origin)) return { response, url: location };
      current = location;
      response = await this.request(location);
    }
    return { response, url: current };
  }

  /** Submits the first form of `html` (its action and hidden inputs) with `fields` added. */
  async submit(html: string, origin: string, fields: Record<string, string>): Promise<{ response: Response; url: string }> {
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (action === undefined) throw new Error(`no form in page: ${html.slice(0, 300)}`);
    const form: Record<string, string> = {};
    for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form[decode(match[1]!)] = decode(match[2]!);
    return this.follow(decode(action), origin, { form: { ...form, ...fields } });
  }

  /** The value of the first cookie of this name stored (of any path). */
  cookie(name: string): string | undefined {
    return [...this.#cookies.values()].find((c) => c.name === name)?.value;
  }

  setCookie(name: string, value: string, path = '/'): void {
    this.#cookies.set(`${name} ${path}`, { name, value, path });
  }

  /** The cookies for `url`, longest path first (RFC 6265 §5.4 step 2). */
  private cookieHeader(url: URL): string {
    return [...this.#cookies.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(line: string): void {
    const [pair, ...attributes] = line.split(';');
    const [name, ...rest] = pair!.split('=');
    const value = rest.join('=');
    const path = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
    const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
    if (expired || value === '') this.#cookies.delete(`${name!.trim()} ${path}`);
    else this.setCookie(name!.trim(), value, path);
  }
}

function decode(value: string): string {
  return value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x27;/g, "'").replace(/&#96;/g, '`');
}

/**
 * Signs in on the hosted page and answers the consent page if it appears. Returns the URL the
 * browser is finally sent to (the client's redirect URI with the response parameters).
 */
export async function signInThroughPages(
  browser: TestBrowser,
  authorizationUrl: string,
  origin: string,
  options: { username: string; password: string; consent?: 'allow' | 'deny' },
): Promise<string> {
  let step = await browser.follow(authorizationUrl, origin);
  for (let pages = 0; pages < 4; pages++) {
    if (!step.url.startsWith(origin)) return step.url;
    const html = await step.response.text();
    if (html.includes('autocomplete="current-password"')) {
      step = await browser.submit(html, origin, { username: options.username, password: options.password });
    } else if (html.includes('name="decision"')) {
      step = await browser.submit(html, origin, { decision: options.consent ?? 'allow' });
    } else {
      throw new Error(`unexpected page (${step.response.status}) at ${step.url}: ${html.slice(0, 500)}`);
    }
  }
  throw new Error('too many pages');
}
