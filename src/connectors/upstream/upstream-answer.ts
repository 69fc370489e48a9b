import type { Clock } from '../../lib/clock.ts';
import type { OutboundClient, OutboundRequest, OutboundResponse } from '../../outbound/outbound-client.ts';
import { OutboundError } from '../../outbound/outbound-errors.ts';
import type { UpstreamOperation } from './upstream-errors.ts';
import { fromOutboundError, UpstreamRejected, UpstreamUnavailable } from './upstream-errors.ts';

// The shared part of every call to a provider's OAuth endpoints: send through the outbound
// client, and tell an answer to act on from a refusal or an unusable answer.

export interface UpstreamCall {
  readonly provider: string;
  readonly operation: UpstreamOperation;
  readonly outbound: OutboundClient;
  readonly clock: Clock;
}

/** The provider's answer, whatever its status; outbound failures as upstream errors. */
export async function sendUpstream(call: UpstreamCall, request: OutboundRequest): Promise<OutboundResponse> {
  try {
    return await call.outbound.request(request);
  } catch (error) {
    if (error instanceof OutboundError) throw fromOutboundError(call.provider, call.operation, error);
    throw error;
  }
}

/**
 * The JSON object of a token endpoint's answer (RFC 6749 §5.1), or the error it stands for:
 * 5xx and 429 are unavailable (with the provider's Retry-After), an RFC 6749 §5.2 error a
 * rejection (in a 200 too: GitHub and Slack answer errors so), a redirect, HTML or garbage
 * unavailable. What the body held is never quoted.
 */
export function tokenEndpointAnswer(
  call: UpstreamCall,
  response: OutboundResponse,
  options: {
    readonly errorsWithHttp200: boolean;
    readonly tokenPath: string;
    /** What the request carried that is secret (the code, the refresh token, the client secret): some providers echo it in their error. */
    readonly sent: readonly string[];
  },
): Record<string, unknown> {
  const { status } = response;
  const unavailable = (reason: 'server_error' | 'bad_response', detail: string): UpstreamUnavailable =>
    new UpstreamUnavailable(call.provider, call.operation, reason, detail, { retryAfterSeconds: reason === 'server_error' ? retryAfterSeconds(response.headers, call.clock) : null });
  if (status >= 500 || status === 429) throw unavailable('server_error', `answered HTTP ${status}`);
  if (status < 200 || (status >= 300 && status < 400)) throw unavailable('bad_response', `answered HTTP ${status}, which is not followed`);
  const body = jsonObject(response);
  if (status >= 400) {
    if (body === null) throw unavailable('bad_response', `answered HTTP ${status} with a body that is not a JSON object`);
    throw rejection(call, body, status, options.sent);
  }
  if (body === null) throw unavailable('bad_response', `answered HTTP ${status} with a body that is not a JSON object`);
  const saysError = typeof body['error'] === 'string' || body['ok'] === false;
  if (saysError && (options.errorsWithHttp200 || valueAt(body, options.tokenPath) === undefined)) throw rejection(call, body, status, options.sent);
  return body;
}

function rejection(call: UpstreamCall, body: Record<string, unknown>, status: number, sent: readonly string[]): UpstreamRejected {
  const secrets = sent.filter((value) => value.length >= 4);
  const error = errorCode(body['error']);
  // Redacted before it is made printable: a secret with a non-ASCII character would no longer match after.
  const raw = body['error_description'];
  const description = printable(typeof raw === 'string' ? secrets.reduce((text, secret) => text.replaceAll(secret, '[redacted]'), raw) : raw);
  return new UpstreamRejected(call.provider, call.operation, {
    error: error !== null && secrets.some((secret) => error.includes(secret)) ? null : error,
    description,
    status,
  });
}

/** RFC 6749 §5.2's characters for an error code; anything else is not quoted. */
function errorCode(value: unknown): string | null {
  return typeof value === 'string' && /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,100}$/.test(value) ? value : null;
}

function printable(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.replace(/[^\x20-\x7E]+/g, ' ').trim().slice(0, 300);
  return text === '' ? null : text;
}

function jsonObject(response: OutboundResponse): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = response.json();
  } catch {
    return null;
  }
  return isObject(value) ? value : null;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a dotted path (`authed_user.access_token`), or undefined. */
export function valueAt(body: Record<string, unknown>, path: string): unknown {
  let current: unknown = body;
  for (const key of path.split('.')) {
    if (!isObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(headers: Headers, clock: Clock): number | null {
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return null;
  if (/^\d{1,9}$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - clock()) / 1000));
}
