import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.ts';

/**
 * Query parameters whose values never reach a log line: the URL is logged with `***` in their
 * place. Names are compared without case, `_` or `-` (see `parameterKey`), so every spelling of a
 * name counts: the API v1 takes both `userSessionId` and `user_session_id`.
 */
const REDACTED_QUERY_PARAMETERS = new Set(
  [
    // Credentials: tokens, codes and secrets of OAuth 2.0 and OpenID Connect, also those of
    // extensions Gatehouse does not serve (a client may send them anyway): client_assertion and
    // assertion (RFC 7521/7523), subject_token and actor_token (RFC 8693), device_code and
    // user_code (RFC 8628), and request (a request object, RFC 9101: it carries state, nonce and
    // login_hint inside).
    'code',
    'token',
    'access_token',
    'refresh_token',
    'id_token',
    'id_token_hint',
    'client_secret',
    'client_assertion',
    'assertion',
    'subject_token',
    'actor_token',
    'device_code',
    'user_code',
    'code_verifier',
    'request',
    'password',
    'otp',
    'api_key',
    // The API v1 session (`?userSessionId=` and `user_session_id`).
    'user_session_id',
    // Bound to one browser's sign-in; state may carry the application's own data.
    'state',
    'nonce',
    // Personal data: who is signing in or out (OpenID Connect Core §3.1.2.1, RP-Initiated Logout
    // 1.0 §2), and the constituent search of the management API.
    'login_hint',
    'logout_hint',
    'email',
    'login_name',
    'username',
    'q',
    'attribute',
  ].map(parameterKey),
);

/**
 * A query parameter's name as compared with the list: lowercase, without `_` and `-`. Over-matching
 * costs a `***` in a log line; under-matching leaks a secret.
 */
function parameterKey(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/** The URL with the values of secret or personal query parameters replaced by `***`. */
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
      return equals !== -1 && REDACTED_QUERY_PARAMETERS.has(parameterKey(decoded)) ? `${name}=***` : pair;
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
 * pino's error serializer without `rawPacket`: Node's HTTP parser attaches the raw bytes of a
 * malformed request, headers and query included, to its error (Fastify logs it at trace level).
 */
function serializeError(error: Error): Record<string, unknown> {
  const { rawPacket: _rawPacket, ...serialized } = pino.stdSerializers.err(error);
  return serialized;
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
        err: serializeError,
      },
      // Belt and braces: should a header object ever be logged, these never are.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.client_secret'], censor: '***' },
    },
    options.destination,
  );
}

/** A log destination that can be emptied synchronously (on fatal errors, where nothing else may run). */
export interface ServerLogDestination extends DestinationStream {
  flushSync(): void;
}

/**
 * Where the server writes its logs as `gatehouse start` runs it: a file descriptor (stdout, or
 * stderr when stdout carries `--json` output). The benchmark builds its servers' loggers here
 * too, so that it measures what `npm start` runs.
 */
export function createServerLogDestination(fd: number): ServerLogDestination {
  return pino.destination({ fd, sync: true });
}
