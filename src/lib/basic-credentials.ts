/**
 * HTTP Basic credentials as OAuth uses them (RFC 6749 §2.3.1): the user-id and password are each
 * form-urlencoded before they are joined by `:` and base64-encoded (RFC 7617 §2). Both sides are
 * here, below the server's protocol code: the token endpoint and the management API parse them,
 * a client (gatehouse try, later the connectors) builds them.
 */
export interface BasicCredentials {
  /** The client id at the token endpoint; the organization at the management API. */
  readonly userId: string;
  readonly password: string;
}

/**
 * The credentials of an `Authorization` header of the Basic scheme. Undefined when the header is
 * absent or of another scheme; 'malformed' when it is Basic but cannot be read (not base64, no
 * `:`, a part that does not decode, an empty user-id, a control character).
 */
export function parseBasicCredentials(header: string | undefined): BasicCredentials | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (match === null) return /^Basic\b/i.test(header) ? 'malformed' : undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return 'malformed';
  let userId: string;
  let password: string;
  try {
    userId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    password = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
  } catch {
    return 'malformed';
  }
  if (userId === '' || /[\u0000-\u001f]/.test(userId + password)) return 'malformed';
  return { userId, password };
}

/** The `Authorization` header value for these credentials (each part percent-encoded first). */
export function encodeBasicCredentials(userId: string, password: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(userId)}:${encodeURIComponent(password)}`).toString('base64')}`;
}
