import type { Clock } from '../../lib/clock.ts';
import { systemClock } from '../../lib/clock.ts';
import { UnsafeEndpointError } from '../catalogue/catalogue-errors.ts';
import { checkRenderedUrl } from '../catalogue/templates.ts';
import type { OutboundClient } from '../../outbound/outbound-client.ts';
import { BoundedCache } from '../../lib/bounded-cache.ts';
import type { UpstreamCall } from './upstream-answer.ts';
import { isObject, retryAfterSeconds, sendUpstream } from './upstream-answer.ts';
import { UpstreamMisconfigured, UpstreamUnavailable } from './upstream-errors.ts';

/** What the hub uses of an OpenID Provider's metadata (OIDC Discovery §3). */
export interface DiscoveredEndpoints {
  /** As the document spells it (Auth0's ends with `/`). */
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly userinfoEndpoint: string | null;
  readonly revocationEndpoint: string | null;
  readonly jwksUri: string | null;
  /** `code_challenge_methods_supported`, or null when the document does not say. */
  readonly codeChallengeMethods: readonly string[] | null;
  readonly tokenEndpointAuthMethods: readonly string[] | null;
  /** `authorization_response_iss_parameter_supported` (RFC 9207 §3): every authorization response then names the issuer in `iss`. */
  readonly authorizationResponseIss: boolean;
}

export interface DiscoveryOptions {
  readonly outbound: OutboundClient;
  /** http endpoints as well (OUTBOUND_ALLOW_PRIVATE_NETWORK); the outbound client must allow them too. */
  readonly allowHttp?: boolean;
  /** How long a document is used before it is fetched again; default one hour. */
  readonly ttlMs?: number;
  /** Issuers remembered at once; default 1000. */
  readonly capacity?: number;
  readonly clock?: Clock;
}

export interface Discovery {
  /**
   * The endpoints of `issuer` from `<issuer>/.well-known/openid-configuration`, fetched through
   * the outbound client and kept for a while; calls for an issuer being fetched share the fetch,
   * and a failure is not kept. `provider` names the entry in errors.
   */
  discover(issuer: string, provider: string): Promise<DiscoveredEndpoints>;
}

export const DISCOVERY_TTL_MS = 60 * 60 * 1000;

export function createDiscovery(options: DiscoveryOptions): Discovery {
  const clock = options.clock ?? systemClock;
  const ttlMs = options.ttlMs ?? DISCOVERY_TTL_MS;
  const cache = new BoundedCache<{ readonly until: number; readonly endpoints: Promise<DiscoveredEndpoints> }>(options.capacity ?? 1000);
  return {
    discover(issuer, provider) {
      const held = cache.get(issuer);
      if (held !== undefined && held.until > clock()) return held.endpoints;
      const entry = { until: clock() + ttlMs, endpoints: fetchDocument({ provider, operation: 'discovery', outbound: options.outbound, clock }, issuer, options.allowHttp ?? false) };
      cache.set(issuer, entry);
      entry.endpoints.catch(() => cache.deleteIf(issuer, entry));
      return entry.endpoints;
    },
  };
}

/** OIDC Discovery §4.1: the issuer with any trailing slash removed, then the well-known path. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/**
 * §4.3 wants the document's issuer identical to the one used to fetch it. A configured issuer
 * differing only by a trailing slash is the same issuer written two ways (Auth0's is
 * `https://tenant.auth0.com/`, and staff paste it without): that, and nothing else, is forgiven.
 */
function sameIssuer(configured: string, documented: string): boolean {
  return configured.replace(/\/$/, '') === documented.replace(/\/$/, '');
}

async function fetchDocument(call: UpstreamCall, issuer: string, allowHttp: boolean): Promise<DiscoveredEndpoints> {
  const misconfigured = (reason: 'issuer_mismatch' | 'discovery_document', detail: string): UpstreamMisconfigured =>
    new UpstreamMisconfigured(call.provider, call.operation, reason, detail);
  const response = await sendUpstream(call, { method: 'GET', url: discoveryUrl(issuer) });
  if (response.status >= 500 || response.status === 429) {
    throw new UpstreamUnavailable(call.provider, call.operation, 'server_error', `answered HTTP ${response.status}`, { retryAfterSeconds: retryAfterSeconds(response.headers, call.clock) });
  }
  if (response.status === 404 || response.status === 410) throw misconfigured('discovery_document', `there is no discovery document at the issuer (HTTP ${response.status})`);
  if (response.status !== 200) throw new UpstreamUnavailable(call.provider, call.operation, 'bad_response', `answered HTTP ${response.status}`);
  let document: unknown;
  try {
    document = response.json();
  } catch {
    throw new UpstreamUnavailable(call.provider, call.operation, 'bad_response', 'the discovery document is not JSON');
  }
  if (!isObject(document)) throw new UpstreamUnavailable(call.provider, call.operation, 'bad_response', 'the discovery document is not a JSON object');

  const documented = document['issuer'];
  if (typeof documented !== 'string' || !sameIssuer(issuer, documented)) throw misconfigured('issuer_mismatch', 'the discovery document names another issuer than the one configured');
  const endpoint = (name: string, required: boolean): string | null => {
    const value = document[name];
    if (value === undefined && !required) return null;
    if (typeof value !== 'string') throw misconfigured('discovery_document', `the discovery document has no ${name}`);
    try {
      return checkRenderedUrl(call.provider, `the discovered ${name}`, value, { allowHttp });
    } catch (error) {
      if (error instanceof UnsafeEndpointError) throw misconfigured('discovery_document', error.message);
      throw error;
    }
  };
  return {
    issuer: documented,
    authorizationEndpoint: endpoint('authorization_endpoint', true)!,
    tokenEndpoint: endpoint('token_endpoint', true)!,
    userinfoEndpoint: endpoint('userinfo_endpoint', false),
    revocationEndpoint: endpoint('revocation_endpoint', false),
    jwksUri: endpoint('jwks_uri', false),
    codeChallengeMethods: stringList(document['code_challenge_methods_supported']),
    tokenEndpointAuthMethods: stringList(document['token_endpoint_auth_methods_supported']),
    authorizationResponseIss: document['authorization_response_iss_parameter_supported'] === true,
  };
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : null;
}
