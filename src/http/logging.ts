import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { write, writeSync } from 'node:fs';
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
 * pino's `isoTime`, formatted once per millisecond: under load, many lines share their
 * millisecond, and `toISOString` is a tenth of the cost of an access line.
 */
function isoTimeOncePerMillisecond(): () => string {
  let millis = Number.NaN;
  let formatted = '';
  return () => {
    const now = Date.now();
    if (now !== millis) {
      millis = now;
      formatted = `,"time":"${new Date(now).toISOString()}"`;
    }
    return formatted;
  };
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
      timestamp: isoTimeOncePerMillisecond(),
      serializers: {
        req: (req: LoggedRequest) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: serializeError,
      },
      // Belt and braces: should a header object ever be logged, these never are. (Not on the
      // access line: see AccessLog.)
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.client_secret'], censor: '***' },
    },
    options.destination,
  );
}

/**
 * Fastify's request logging as one access line per request (Fastify's own writes two: "incoming
 * request" and "request completed"). It is written once the response is sent: the request id,
 * method, redacted URL and client address (`req`), status (`res`) and `responseTime` (ms), as
 *
 *   {"level":30,"time":…,"service":"gatehouse","reqId":…,"req":{"method","url","remoteAddress"},
 *    "res":{"statusCode"},"responseTime":…,"msg":"request completed"}
 *
 * The line is formatted here, not by pino's generic path (serializers, a loop over the keys,
 * JSON.stringify of nested objects, and the redact paths, which cannot match a line made only of
 * these fields): 3.5 µs of CPU per line there, under a microsecond here, on a discovery request of
 * 16 µs (measured in the benchmark server). It takes the level, time and bindings from the logger
 * (`pino.symbols`, pino's interface for integrations), so it reads like every other line; a test
 * holds it equal to what pino writes.
 */
export class AccessLog extends LogController {
  readonly #logger: Logger;
  readonly #stream: DestinationStream;
  /** `{"level":30`, as pino starts an info line. */
  readonly #start: string;
  /** `,"time":"…"` */
  readonly #time: () => string;
  /** The logger's bindings, `,"service":"gatehouse"`. */
  readonly #bindings: string;

  constructor(logger: Logger) {
    super();
    const internals = logger as unknown as Record<symbol, unknown>;
    this.#logger = logger;
    this.#stream = internals[pino.symbols.streamSym] as DestinationStream;
    this.#start = (internals[pino.symbols.lsCacheSym] as Record<number, string>)[logger.levels.values.info!]!;
    this.#time = internals[pino.symbols.timeSym] as () => string;
    this.#bindings = internals[pino.symbols.chindingsSym] as string;
  }

  override incomingRequest(): void {
    // The access line is written when the response is sent.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      // The response failed (a stream error): the error may carry anything, so this line goes
      // through pino, serializers and redact paths.
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    if (!this.#logger.isLevelEnabled('info')) return;
    // request.ip runs proxy-addr (0.2 µs); without X-Forwarded-For its answer is the peer's address.
    const remoteAddress = request.headers['x-forwarded-for'] === undefined ? request.socket?.remoteAddress : request.ip;
    // Milliseconds to the microsecond: shorter, and cheaper to format than the full double.
    const responseTime = Math.round(reply.elapsedTime * 1000) / 1000;
    this.#stream.write(
      `${this.#start}${this.#time()}${this.#bindings},"reqId":${JSON.stringify(request.id)},"req":{"method":${JSON.stringify(request.method)},"url":${JSON.stringify(redactUrl(request.url))}` +
        `${remoteAddress === undefined ? '' : `,"remoteAddress":${JSON.stringify(remoteAddress)}`}},"res":{"statusCode":${reply.statusCode}},` +
        `"responseTime":${Number.isFinite(responseTime) ? responseTime : null},"msg":"request completed"}\n`,
    );
  }

  override routeNotFound(): void {
    // Fastify's default 404 handler would log the raw URL, unredacted; the access line says 404.
  }
}

/** The server's log destination: buffered, written off the event loop, and flushable at exit. */
export interface ServerLogDestination extends DestinationStream {
  /** Writes out every line, then calls back (pino's `logger.flush` calls this). */
  flush(callback: (error?: Error) => void): void;
  /** Writes out every line now, blocking: for fatal errors, where no callback may run any more. */
  flushSync(): void;
}

/**
 * Lines are written once this many characters wait: one write system call for about 220 access
 * lines. A write through the thread pool costs 13–60 µs of CPU whatever its size (measured: the
 * hand-off to a pool thread and back), so at 4 KiB it would cost up to 4 µs per access line.
 */
const LOG_CHUNK_CHARS = 64 * 1024;
/** A line waits at most this long (ms) before it is written, however quiet the server. */
const LOG_FLUSH_INTERVAL_MS = 1000;
/** A full non-blocking pipe (EAGAIN) is tried again after this long (ms). */
const LOG_RETRY_MS = 10;
/** flushSync gives up on a pipe that stays full this long (ms): the process is exiting. */
const LOG_FLUSH_SYNC_PATIENCE_MS = 2000;

/**
 * Collects log lines and writes them in chunks through the thread pool (`fs.write`), off the event
 * loop, one write in flight at a time. Each chunk is encoded into one reused buffer: pino's own
 * asynchronous destination (sonic-boom) measures the byte length of all it holds at every line and
 * encodes each chunk twice into fresh buffers, which cost 1.4 µs of CPU per access line in the
 * benchmark server, as much as the rest of the line.
 */
class ChunkedLogDestination implements ServerLogDestination {
  readonly #fd: number;
  #lines: string[] = [];
  #chars = 0;
  /** Reused for every chunk; only encoded into while no write is in flight. */
  #buffer = Buffer.allocUnsafe(3 * LOG_CHUNK_CHARS);
  #writing = false;
  /** Set once the descriptor refuses writes (a closed pipe): lines are dropped from then on. */
  #broken = false;
  #flushed: Array<(error?: Error) => void> = [];

  constructor(fd: number) {
    this.#fd = fd;
    setInterval(() => {
      if (!this.#writing && this.#chars > 0) this.#writeChunk();
    }, LOG_FLUSH_INTERVAL_MS).unref();
    // Any exit that did not flush first (process.exit, an empty event loop) writes out the rest.
    process.once('exit', () => this.flushSync());
  }

  write(line: string): boolean {
    if (this.#broken) return true;
    this.#lines.push(line);
    this.#chars += line.length;
    if (!this.#writing && this.#chars >= LOG_CHUNK_CHARS) this.#writeChunk();
    return true;
  }

  flush(callback: (error?: Error) => void): void {
    if (this.#broken || (!this.#writing && this.#chars === 0)) {
      process.nextTick(callback);
      return;
    }
    this.#flushed.push(callback);
    if (!this.#writing) this.#writeChunk();
  }

  flushSync(): void {
    // A chunk being written by the thread pool right now may land after these lines.
    if (this.#broken || this.#chars === 0) return;
    const bytes = Buffer.from(this.#takeLines());
    const giveUpAt = Date.now() + LOG_FLUSH_SYNC_PATIENCE_MS;
    let offset = 0;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.#fd, bytes, offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > giveUpAt) return;
        Atomics.wait(SLEEP, 0, 0, LOG_RETRY_MS);
      }
    }
  }

  #takeLines(): string {
    const chunk = this.#lines.join('');
    this.#lines = [];
    this.#chars = 0;
    return chunk;
  }

  #writeChunk(): void {
    const chunk = this.#takeLines();
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.#buffer.length < 3 * chunk.length) this.#buffer = Buffer.allocUnsafe(3 * chunk.length);
    this.#writing = true;
    this.#writeFrom(0, this.#buffer.write(chunk, 0, 'utf8'));
  }

  #writeFrom(offset: number, end: number): void {
    write(this.#fd, this.#buffer, offset, end - offset, null, (error, written) => {
      if (error !== null) {
        if (error.code === 'EAGAIN') {
          setTimeout(() => this.#writeFrom(offset, end), LOG_RETRY_MS);
          return;
        }
        this.#broken = true;
        this.#lines = [];
        this.#chars = 0;
        this.#writing = false;
        for (const callback of this.#flushed.splice(0)) callback(error);
        return;
      }
      if (offset + written < end) {
        this.#writeFrom(offset + written, end);
        return;
      }
      this.#writing = false;
      if (this.#chars >= LOG_CHUNK_CHARS || (this.#flushed.length > 0 && this.#chars > 0)) this.#writeChunk();
      else for (const callback of this.#flushed.splice(0)) callback();
    });
  }
}

/** For flushSync's pauses while a full pipe drains (Atomics.wait blocks; nothing else may run then). */
const SLEEP = new Int32Array(new SharedArrayBuffer(4));

/**
 * Where the server writes its logs as `gatehouse start` runs it: a file descriptor (stdout, or
 * stderr when stdout carries `--json` output). A line costs an append to a list; the lines are
 * written by the thread pool, not the event loop, once 64 KiB wait or a second has passed.
 * `closeOnSignals` and `exitOnFatalErrors` (src/main.ts) write out what waits before they exit, as
 * does any other exit; only a kill -9 loses lines (those of the last second at most). The
 * benchmark builds its servers' loggers here too, so that it measures what `npm start` runs.
 */
export function createServerLogDestination(fd: number): ServerLogDestination {
  return new ChunkedLogDestination(fd);
}
