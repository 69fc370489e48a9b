import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.ts';

/**
 * Query parameters whose values are secrets or one-time credentials. Their values never reach a
 * log line: the URL is logged with `***` in their place.
 */
const SECRET_QUERY_PARAMETERS = new Set([
  'code',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'id_token_hint',
  'client_secret',
  'code_verifier',
  'password',
  'usersessionid',
  'api_key',
  'apikey',
  'state',
  'nonce',
]);

/** The URL with the values of secret query parameters replaced by `***`. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const path = url.slice(0, queryStart);
  const query = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // A malformed escape is logged as it came, name only.
      }
      return equals !== -1 && SECRET_QUERY_PARAMETERS.has(decoded.toLowerCase()) ? `${name}=***` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}

interface LoggedRequest {
  readonly method: string;
  readonly url: string;
  readonly ip?: string;
  readonly socket?: { readonly remoteAddress?: string };
}

/**
 * Structured JSON logs. Requests are logged as method, redacted URL and client address; headers
 * and bodies never are (they carry passwords, cookies, Basic credentials and tokens).
 */
export function createLogger(options: { readonly level: LogLevel; readonly destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'gatehouse' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        req: (req: LoggedRequest) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
      // Belt and braces: should a header object ever be logged, these never are.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.client_secret'], censor: '***' },
    },
    options.destination,
  );
}
