import { ProxyPathRefusedError } from './proxy-errors.ts';

// The URL a proxied call goes to: the provider's API base, then the caller's path and query as
// sent. Never a URL outside the base: the path is judged before anything is composed (every way
// a segment could mean `..`, `.` or `/` once decoded, by the provider's server or by a URL
// parser), and the composed URL is checked again as a URL parser reads it (same origin, the
// base's path followed by the caller's, unchanged). OWASP SSRF Prevention; RFC 3986 §5.2.4.

/** Enough rounds to unwrap any encoding a server might undo (`%252e` → `%2e` → `.`); more is refused. */
const MAX_DECODING_ROUNDS = 4;

// Raw: C0 controls, space and DEL. A request line cannot carry them, but the check does not rely on the parser.
const RAW_CONTROL = /[\u0000-\u0020\u007f]/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Refuses a path (what follows `/proxy/`, as sent, no leading slash) and a query (without `?`)
 * that could leave the base or be read two ways. Each refusal names its rule; none quotes the path.
 */
export function checkProxyPath(rawPath: string, rawQuery: string): void {
  if (RAW_CONTROL.test(rawPath) || CONTROL.test(rawQuery)) throw refused('control_character', 'the path or query holds a control character or a space');
  if (rawPath.includes('#') || rawQuery.includes('#')) throw refused('fragment', 'the path or query holds a #');
  if (rawPath.includes('\\')) throw refused('backslash', 'the path holds a backslash, which some servers read as /');
  if (SCHEME.test(rawPath)) throw refused('absolute_url', 'the path is an absolute URL; give a path relative to the API base');
  const segments = rawPath.split('/');
  segments.forEach((segment, index) => {
    // A trailing slash is the caller's to send; an empty segment anywhere else is `//`, a network-path reference.
    if (segment === '' && index < segments.length - 1) throw refused('empty_segment', 'the path holds an empty segment (//), which can name another host');
    checkSegment(segment);
  });
}

function checkSegment(segment: string): void {
  let text = segment;
  for (let round = 0; ; round++) {
    if (text === '.' || text === '..') throw refused('dot_segment', 'the path holds a . or .. segment (raw or percent-encoded)');
    if (!text.includes('%')) return;
    if (round === MAX_DECODING_ROUNDS) throw refused('malformed_encoding', 'the path is percent-encoded too many times over');
    let decoded: string;
    try {
      decoded = decodeURIComponent(text);
    } catch {
      throw refused('malformed_encoding', 'the path holds a % that is not followed by two hexadecimal digits, or bytes that are not UTF-8');
    }
    if (decoded.includes('/')) throw refused('encoded_slash', 'the path holds an encoded slash (%2F), which some servers read as /');
    if (decoded.includes('\\')) throw refused('backslash', 'the path holds an encoded backslash (%5C), which some servers read as /');
    if (CONTROL.test(decoded)) throw refused('control_character', 'the path holds an encoded control character');
    text = decoded;
  }
}

/**
 * The URL to call: `base` (the rendered api_base_url, no query or fragment), a slash, the path,
 * and the query when there is one. Throws ProxyPathRefusedError when the result, as a URL parser
 * reads it, is not exactly that text under the base: another origin, a path that does not begin
 * with the base's at a segment boundary, or anything the parser rewrote.
 */
export function proxyTargetUrl(base: string, rawPath: string, rawQuery: string): URL {
  checkProxyPath(rawPath, rawQuery);
  const baseUrl = new URL(base);
  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  const expectedPath = `${basePath}/${rawPath}`;
  const target = new URL(`${baseUrl.origin}${expectedPath}${rawQuery === '' ? '' : `?${rawQuery}`}`);
  if (target.origin !== baseUrl.origin || !(target.pathname === basePath || target.pathname.startsWith(`${basePath}/`))) {
    throw refused('outside_base', 'the path leads outside the provider\'s API base');
  }
  // What the parser changed in the path (characters it had to encode, a dot segment it removed)
  // means the text did not say what the provider would read: the caller must send it
  // percent-encoded. The query cannot move the call elsewhere, and what the parser encodes there
  // (`'` in OData's `$filter=name eq 'x'`, `"`, `<`) reads the same once decoded: it goes encoded.
  if (target.pathname !== expectedPath) throw refused('not_normalized', 'the path holds characters that must be percent-encoded');
  return target;
}

function refused(rule: ProxyPathRefusedError['rule'], message: string): ProxyPathRefusedError {
  return new ProxyPathRefusedError(rule, `Path refused: ${message}.`);
}
