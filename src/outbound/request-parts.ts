import { validateHeaderName, validateHeaderValue } from 'node:http';
import { OutboundRefused } from './outbound-errors.ts';

/** Fields of an `application/x-www-form-urlencoded` body; an array sends the name once per value. */
export type FormFields = Readonly<Record<string, string | readonly string[]>>;

/** A request body: a form (token endpoints, RFC 6749 §4.1.3) or a JSON value (the providers that want one). */
export type OutboundBody = { readonly form: FormFields } | { readonly json: unknown };

export interface EncodedBody {
  readonly contentType: string;
  readonly bytes: Buffer;
}

/**
 * The bytes and media type of a body. A form is encoded as RFC 6749 Appendix B says (the
 * `application/x-www-form-urlencoded` serializer: UTF-8, then percent-encoding, space as `+`),
 * which is what URLSearchParams writes.
 */
export function encodeBody(body: OutboundBody, described: string): EncodedBody {
  if ('form' in body) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(body.form)) {
      for (const one of typeof value === 'string' ? [value] : value) params.append(name, one);
    }
    return { contentType: 'application/x-www-form-urlencoded', bytes: Buffer.from(params.toString(), 'utf8') };
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(body.json);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw new OutboundRefused(described, 'body', 'the JSON body cannot be serialized');
  return { contentType: 'application/json', bytes: Buffer.from(text, 'utf8') };
}

/**
 * Headers the client sets itself and a caller may not: the Host and framing of the request follow
 * the checked URL and the body, and the connection is the client's to manage.
 */
const SET_BY_THE_CLIENT = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer', 'proxy-connection']);

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The request's headers, names in lower case: a User-Agent (some providers refuse a request
 * without one), `Accept: application/json` (GitHub answers its token endpoint in a form without
 * it), the body's Content-Type and Content-Length (for a POST, PUT or PATCH without body too), and the caller's, which win over the first
 * three. A header Node would refuse is refused here, by name, its value never quoted.
 */
export function requestHeaders(
  callers: Readonly<Record<string, string>>,
  body: EncodedBody | undefined,
  options: { readonly method: string; readonly userAgent: string; readonly described: string },
): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': options.userAgent, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = body.contentType;
  for (const [name, value] of Object.entries(callers)) {
    const lower = name.toLowerCase();
    if (SET_BY_THE_CLIENT.has(lower)) throw new OutboundRefused(options.described, 'header', `the ${lower} header is set by the client, not by its caller`);
    try {
      validateHeaderName(lower);
      validateHeaderValue(lower, value);
    } catch {
      throw new OutboundRefused(options.described, 'header', `the ${/^[\w-]+$/.test(name) ? lower : 'named'} header cannot be sent: invalid characters in its name or value`);
    }
    headers[lower] = value;
  }
  // Without a length, Node would send a bodiless POST chunked, which some token endpoints refuse.
  if (body !== undefined || METHODS_WITH_BODY.has(options.method)) headers['content-length'] = String(body?.bytes.length ?? 0);
  return headers;
}

/**
 * The headers of a streamed call (the API proxy's): the caller's as given, repeated ones kept, but
 * the client's own (Host, framing, the connection's), which are refused as in requestHeaders; a
 * User-Agent when the caller sends none; Content-Length when the body's length is known (else the
 * body goes chunked). No Accept is added: what the caller accepts is its own business.
 */
export function streamRequestHeaders(
  callers: Readonly<Record<string, string | readonly string[]>>,
  options: { readonly userAgent: string; readonly described: string; readonly contentLength: number | undefined },
): Record<string, string | readonly string[]> {
  const headers: Record<string, string | readonly string[]> = { 'user-agent': options.userAgent };
  for (const [name, value] of Object.entries(callers)) {
    const lower = name.toLowerCase();
    if (SET_BY_THE_CLIENT.has(lower)) throw new OutboundRefused(options.described, 'header', `the ${lower} header is set by the client, not by its caller`);
    try {
      validateHeaderName(lower);
      for (const one of typeof value === 'string' ? [value] : value) validateHeaderValue(lower, one);
    } catch {
      throw new OutboundRefused(options.described, 'header', `the ${/^[\w-]+$/.test(name) ? lower : 'named'} header cannot be sent: invalid characters in its name or value`);
    }
    headers[lower] = value;
  }
  if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
  return headers;
}
