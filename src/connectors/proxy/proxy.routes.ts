import { Type } from '@sinclair/typebox';
import { ApiRequestError } from '../../api/guards.ts';
import { apiRoute, upstreamOperationOf, type ApiCall, type ApiResult, type ApiRoute } from '../../api/management-api.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { CredentialsError, CredentialsUnavailableError, VaultUnavailableError } from '../credentials-errors.ts';
import { PROXY_DEFAULTS, proxyRequest } from './proxy-admin.ts';
import { ProxyError, ProxyPathRefusedError, ProxyRequestTooLargeError } from './proxy-errors.ts';

// ANY /api/v2/account-connectors/{id}/proxy/{path}: one route per method, all alike (HEAD one of
// its own: the one Fastify derives from GET would send the provider a GET). The
// provider's answers pass through as they are; Gatehouse's own refusals are the management API's
// JSON errors, each marked with the Gatehouse-Proxy-Error header (management-api.ts).

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** A caller's shorter time for one call, in milliseconds (never longer than the proxy's 30 s). */
const TIMEOUT_HEADER = 'gatehouse-proxy-timeout-ms';

const SUMMARY =
  'Forwards the request to the provider\'s API base (the catalogue entry\'s api_base_url, or config.api_base_url of a generic entry) with the connector\'s credential injected: ' +
  'Bearer token, API key header or query parameter, or HTTP Basic. On a 401 from an OAuth provider, one forced refresh and one retry (bodies up to 64 KiB). ' +
  'Bodies are streamed both ways (10 MiB each at most); hop-by-hop headers, the caller\'s Authorization and Cookie and the provider\'s Set-Cookie are dropped; 30 s at most (Gatehouse-Proxy-Timeout-Ms asks for less). ' +
  'The provider\'s status and body come back as they are; Gatehouse\'s own refusals carry the Gatehouse-Proxy-Error header. Audited (method, path, status).';

function proxyRoute(method: (typeof METHODS)[number]): ApiRoute {
  return apiRoute({
    method,
    url: '/account-connectors/:account_connector_id/proxy/*',
    // connectors:write, as the credentials read: the call uses a secret.
    permission: 'connectors:write',
    summary: SUMMARY,
    tag: 'connectors',
    passThrough: true,
    schema: {
      params: Type.Object({
        account_connector_id: Type.String({ maxLength: 100 }),
        '*': Type.String({ description: 'The path under the provider\'s API base, percent-encoded as the provider expects it; `..`, `.`, `%2F`, `%5C`, `//` and absolute URLs are refused.' }),
      }),
      response: {},
    },
    async handler(call) {
      try {
        return await forward(call, call.params.account_connector_id);
      } catch (error) {
        // Nobody is left to read the answer; said so rather than logged as the server's failure.
        if (call.passThrough?.signal.aborted === true) throw new ApiRequestError(400, 'request_aborted', 'The caller closed the request before it was answered.');
        throw apiErrorOf(error);
      }
    },
  });
}

async function forward(call: ApiCall, id: string): Promise<ApiResult> {
  const passThrough = call.passThrough;
  if (passThrough === undefined || call.connectors === undefined) throw new Error('the proxy route is a pass-through route of the connector hub');
  const answer = await proxyRequest({ ...upstreamOperationOf(call), outbound: call.connectors.outbound }, id, {
    method: passThrough.method,
    rawPath: passThrough.rawPath,
    rawQuery: passThrough.rawQuery,
    headers: passThrough.headers,
    body: passThrough.body,
    bodyLength: passThrough.bodyLength,
    timeoutMs: requestedTimeout(passThrough.headers[TIMEOUT_HEADER]),
    signal: passThrough.signal,
  });
  return { passThrough: answer };
}

function requestedTimeout(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && /^[1-9][0-9]{0,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(ms <= PROXY_DEFAULTS.timeoutMs)) throw new InvalidInputError('Gatehouse-Proxy-Timeout-Ms', `must be a whole number of milliseconds from 1 to ${PROXY_DEFAULTS.timeoutMs}`);
  return ms;
}

/**
 * The proxy's refusals as the management API says them: 400 for a path that would leave the API
 * base, 413 for a body too large, 409 for a connector whose state or config stands in the way
 * (not authenticated, needs_reauth, no API base, a destination Gatehouse does not call), 502 for
 * a provider that cannot be reached (or whose answer is too large), 504 when it does not answer in
 * time, 408 when the caller's own body does not arrive in time.
 */
function apiErrorOf(error: unknown): unknown {
  const sentence = (message: string): string => `${message.charAt(0).toUpperCase()}${message.slice(1).replace(/\.$/, '')}.`;
  if (error instanceof ProxyPathRefusedError) return new ApiRequestError(400, error.code, error.message);
  if (error instanceof ProxyRequestTooLargeError) return new ApiRequestError(413, error.code, sentence(error.message));
  if (error instanceof ProxyError) {
    const status =
      error.code === 'upstream_timeout' ? 504 : error.code === 'proxy_request_timeout' ? 408 : error.code === 'upstream_unavailable' || error.code === 'upstream_response_too_large' ? 502 : 409;
    return new ApiRequestError(status, error.code, sentence(error.message));
  }
  // The token endpoint unreachable during a refresh: the provider is, for the caller, unreachable.
  if (error instanceof CredentialsUnavailableError) return new ApiRequestError(502, error.code, sentence(`the provider is unavailable: ${error.message}`), { retryAfterSeconds: error.retryAfterSeconds });
  // The server's configuration, not the connector's state: a 500 that says so, as the credentials endpoint answers.
  if (error instanceof VaultUnavailableError) return new ApiRequestError(500, error.code, sentence(`the connector vault cannot be opened: ${error.message}`));
  if (error instanceof CredentialsError) return new ApiRequestError(409, error.code, sentence(error.message));
  return error;
}

export const PROXY_ROUTES: readonly ApiRoute[] = METHODS.map(proxyRoute);
