/**
 * Parameters as they arrived in a query string or an `application/x-www-form-urlencoded` body:
 * every value of every name, in order, so that whoever reads them can refuse a repeat (OAuth
 * does: RFC 6749 §3.1 and §3.2). Pure, and below both the server's protocol code and the HTTP
 * edge, so that a client (the connectors) parses forms the same way without importing either.
 */
export type RawParams = ReadonlyMap<string, readonly string[]>;

/** Parses `a=1&b=2` (query string or urlencoded body) keeping repeats. */
export function parseUrlEncoded(text: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(text)) {
    const values = params.get(name);
    if (values === undefined) params.set(name, [value]);
    else values.push(value);
  }
  return params;
}
