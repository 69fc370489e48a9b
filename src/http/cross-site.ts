import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiRequestError } from './management-api.ts';

/** RFC 9110 §9.2.1: the methods that only read. Everything else may change state. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `Sec-Fetch-Site` values of requests a page of another site did not cause (Fetch Metadata):
 * the server's own pages (`same-origin`), and what the person did themselves (`none`: a typed
 * URL, a bookmark). `same-site` is refused too: a sibling subdomain is another party.
 */
const OWN_FETCH_SITES: ReadonlySet<string> = new Set(['same-origin', 'none']);

/**
 * Why a request looks sent by a page of another site, or undefined. A browser says where a request
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
  return undefined;
}

/**
 * Refuses, before authentication and before the body is read, any state-changing request to the
 * routes of `scope` that a browser sent for a page of another site (403 `cross_site_request`).
 *
 * A browser that once answered the API's Basic challenge sends the cached credentials with every
 * later request to it, whoever's page asks: without this, a form post from any site could suspend
 * a client or make a key (cross-site request forgery, OWASP CSRF Prevention Cheat Sheet: "Fetch
 * Metadata" and "Verifying Origin"). Reads (GET) stay open: another site's page cannot read their
 * answers (no CORS headers are sent), and the seed's `?userSessionId=` reads keep working.
 *
 * A POST without a body (suspend, approve, rotate-secret, disable) needs nothing more: every
 * current browser sends `Sec-Fetch-Site` or `Origin` with it, and the only older way to send a
 * cross-site POST, an HTML form, always carries a form Content-Type, which the management API
 * refuses before reading it (415, requireJsonBody in management-api.ts) whether the form has
 * fields or not.
 */
export function registerCrossSiteGuard(scope: FastifyInstance, options: { readonly publicUrl: string }): void {
  const trustedOrigin = new URL(options.publicUrl).origin;
  scope.addHook('onRequest', async (request: FastifyRequest) => {
    if (SAFE_METHODS.has(request.method)) return;
    const evidence = crossSiteEvidence(request.headers, trustedOrigin);
    if (evidence === undefined) return;
    request.log.info({ event: 'cross_site_request_refused', header: evidence }, 'cross-site request to the API refused');
    throw new ApiRequestError(
      403,
      'cross_site_request',
      `This request was sent by a page of another site (its ${evidence} header says so): the management API refuses state-changing requests from other sites. Call it from a server or a script, without a browser's credentials.`,
    );
  });
}
