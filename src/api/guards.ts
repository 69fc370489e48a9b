import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { jsonNestsDeeperThan } from '../lib/json-depth.ts';

// What the management API refuses before it authenticates or reads a body: requests a browser
// sent for another site's page, bodies that are not JSON, JSON nested too deep.

/**
 * A request the API refuses as a whole, whatever its route, before authentication: a cross-site
 * request, a body that is not JSON, a body nested too deep. Its own status and code.
 */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly code: string;
  /** Sent as Retry-After (a 503 or 429 the client may retry). */
  readonly retryAfterSeconds: number | null;
  constructor(status: number, code: string, message: string, options: { readonly retryAfterSeconds?: number } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }
}

/** The one media type the API's bodies come in. */
const JSON_MEDIA_TYPE = 'application/json';

/**
 * Refuses (415) a request carrying a body, or a Content-Type, other than JSON, before it is read.
 * The bodies a page of another site can send without the browser asking the API first (CORS
 * "simple" requests: an HTML form post, a no-cors fetch) are urlencoded, multipart, text/plain
 * or untyped: none of them reaches a handler, even with the browser's cached credentials, even
 * empty (a form without fields still says it is a form). It also tells a caller who forgot
 * `-H 'content-type: application/json'` what is wrong, instead of naming the fields its JSON,
 * read as a form, seemed to lack.
 */
export function requireJsonBody(request: FastifyRequest): void {
  // A GET's body is never read, whatever it says it is.
  if (request.method === 'GET' || request.method === 'HEAD') return;
  const contentType = request.headers['content-type'];
  const mediaType = contentType?.split(';')[0]!.trim().toLowerCase();
  if (mediaType === JSON_MEDIA_TYPE) return;
  const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  if (mediaType === undefined && !hasBody) return;
  const sent = mediaType === undefined ? 'a body without a Content-Type' : /^[\w.+-]{1,64}\/[\w.+-]{1,64}$/.test(mediaType) ? `a ${mediaType} body` : 'a body of another type';
  throw new ApiRequestError(415, 'unsupported_media_type', `This API takes JSON bodies only: send them with Content-Type: ${JSON_MEDIA_TYPE} (this request has ${sent}); send no Content-Type when there is no body.`);
}

/**
 * `Sec-Fetch-Site` values of requests a page of another site did not cause (Fetch Metadata):
 * the server's own pages (`same-origin`), and what the person did themselves (`none`: a typed
 * URL, a bookmark). `same-site` is refused too: a sibling subdomain is another party.
 */
const OWN_FETCH_SITES: ReadonlySet<string> = new Set(['same-origin', 'none']);

/**
 * `Sec-Fetch-Dest` values of requests the API serves: a script's fetch or XHR (`empty`) and a
 * person opening an API URL in a tab (`document`). Anything else is a page embedding the API as an
 * image, script, style, frame… which no use of the API needs, and which a page of this very origin
 * can be made to do: an org's logo URL pointing at `/api/v2/org?userSessionId=x` would have every
 * visitor's browser send a same-origin request with a bad session, counted against its network.
 */
const API_FETCH_DESTS: ReadonlySet<string> = new Set(['empty', 'document']);

/**
 * Why a request looks sent by a page of another site, or embedded by any page, or undefined. A browser says where a request
 * comes from in `Sec-Fetch-Site` (every current browser) and `Origin` (sent on every non-GET
 * request by fetch, XHR and form posts, RFC 6454 §7, Fetch §3.1); a page cannot forge or drop
 * either. `Origin: null` (a sandboxed frame, a data: URL, a redirect from another origin) is
 * another site. Clients other than browsers (curl, servers) send neither, and pass.
 */
export function crossSiteEvidence(headers: IncomingHttpHeaders, trustedOrigin: string): string | undefined {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && !OWN_FETCH_SITES.has(String(site))) return 'Sec-Fetch-Site';
  const origin = headers.origin;
  if (origin !== undefined && origin !== trustedOrigin) return 'Origin';
  const dest = headers['sec-fetch-dest'];
  if (dest !== undefined && !API_FETCH_DESTS.has(String(dest))) return 'Sec-Fetch-Dest';
  return undefined;
}

/**
 * Refuses, before authentication and before the body is read, any request to the routes of
 * `scope` that a browser sent for a page of another site (403 `cross_site_request`), whatever its
 * method, except GET and HEAD of the routes in `readableFromOtherSites` (the OpenAPI document).
 *
 * Changes: a browser that once answered the API's Basic challenge sends the cached credentials
 * with every later request to it, whoever's page asks: without this, a form post from any site
 * could suspend a client or make a key (cross-site request forgery, OWASP CSRF Prevention Cheat
 * Sheet: "Fetch Metadata" and "Verifying Origin").
 *
 * Reads too: another site's page cannot read their answers (no CORS headers are sent), so refusing
 * them costs no caller anything, while letting them reach authentication let any page make its
 * visitors' browsers (`<img src=…/api/v2/org?userSessionId=x>`) count failures against their
 * network until the API throttled everyone there, valid keys included. curl, servers and the
 * seed's `?userSessionId=` reads send no such header and pass.
 *
 * A POST without a body (suspend, approve, rotate-secret, disable) needs nothing more: every
 * current browser sends `Sec-Fetch-Site` or `Origin` with it, and the only older way to send a
 * cross-site POST, an HTML form, always carries a form Content-Type, which the management API
 * refuses before reading it (415, requireJsonBody) whether the form has fields or not.
 */
export function registerCrossSiteGuard(scope: FastifyInstance, options: { readonly publicUrl: string; readonly readableFromOtherSites: ReadonlySet<string> }): void {
  const trustedOrigin = new URL(options.publicUrl).origin;
  scope.addHook('onRequest', async (request: FastifyRequest) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && options.readableFromOtherSites.has(request.routeOptions.url ?? '')) return;
    const evidence = crossSiteEvidence(request.headers, trustedOrigin);
    if (evidence === undefined) return;
    request.log.info({ event: 'cross_site_request_refused', header: evidence }, 'cross-site request to the API refused');
    throw new ApiRequestError(
      403,
      'cross_site_request',
      `This request was sent by a page of another site, or embedded in a page (its ${evidence} header says so): the management API refuses both. Call it from a server or a script, without a browser's credentials.`,
    );
  });
}

/**
 * How deep arrays and objects may nest in a JSON body. The deepest body this API takes nests 2
 * (a list of URIs in an object); 32 leaves room for any client's way of writing JSON.
 */
export const MAX_JSON_DEPTH = 32;

/** Makes `scope` parse JSON bodies only after checking, without recursion, that they nest at most MAX_JSON_DEPTH deep (400 otherwise). */
export function registerDepthLimitedJsonParser(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonNestsDeeperThan(body as string, MAX_JSON_DEPTH)) {
      done(new ApiRequestError(400, 'invalid_request', `The JSON body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; no request of this API needs more than a few.`), undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}
