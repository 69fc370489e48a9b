import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

// Pass-through routes of the management API (the API proxy): authenticated and permitted like
// every route (management-api.ts), but their body is not Gatehouse's to read and their answer is
// another server's. They live in a scope of their own, whose one content-type parser leaves every
// body unread, whatever its type and size (the API's 64 KB bodyLimit and JSON-only rule are for
// bodies Gatehouse parses), and whose own answers are marked as Gatehouse's.

/**
 * The request of a pass-through route as it came: its path and query as sent (not decoded, so
 * the route can judge every escape of its own), its headers, and its body unread.
 */
export interface PassThroughRequest {
  readonly method: string;
  /** What the route's trailing `*` matched, as sent: percent-encoding kept, no leading slash. */
  readonly rawPath: string;
  /** The query string as sent, without `?` and without the API v1 session parameters (a Gatehouse credential); '' when none. */
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
  /** The body, unread; undefined when the request has none (no Content-Length above 0, no Transfer-Encoding). */
  readonly body: Readable | undefined;
  /** The declared Content-Length, when there is one. */
  readonly bodyLength: number | undefined;
  /** Aborted when the caller goes away before the answer is complete. */
  readonly signal: AbortSignal;
}

/** What a pass-through route answers: another server's status, headers and body, sent as they come. */
export interface PassThroughResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Readable;
}

/**
 * The header every answer of a pass-through route carries when Gatehouse, not the other server,
 * wrote it (an authentication failure, a refusal of the route's own), its value the error code:
 * a proxied answer's status alone cannot tell a provider's 404 from ours.
 */
export const GATEHOUSE_ERROR_HEADER = 'gatehouse-proxy-error';

/** The scope of the pass-through routes, which `registerRoutes` adds. */
export async function registerPassThroughScope(scope: FastifyInstance, registerRoutes: (streams: FastifyInstance) => void): Promise<void> {
  await scope.register(async (streams) => {
    streams.removeAllContentTypeParsers();
    streams.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    streams.addHook('onSend', async (_request, reply, payload) => {
      if (!forwardedAnswers.has(reply)) reply.header(GATEHOUSE_ERROR_HEADER, errorCodeOf(payload));
      return payload;
    });
    registerRoutes(streams);
  });
}

/** Sends another server's answer: its status, headers and body stream (cut, the connection with it, if the stream fails). */
export function sendForwarded(reply: FastifyReply, answer: PassThroughResponse): FastifyReply {
  forwardedAnswers.add(reply);
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, typeof value === 'string' ? value : [...value]);
  return reply.send(answer.body);
}

/** The replies that carry another server's answer (a pass-through route's), not one of Gatehouse's. */
const forwardedAnswers = new WeakSet<FastifyReply>();

/** The error code of one of the API's JSON error answers, for GATEHOUSE_ERROR_HEADER. */
function errorCodeOf(payload: unknown): string {
  if (typeof payload !== 'string') return 'error';
  try {
    const code: unknown = (JSON.parse(payload) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : 'error';
  } catch {
    return 'error';
  }
}

/** The request of a pass-through route as it came (the route's url ends in `*`). */
export function passThroughOf(request: FastifyRequest, reply: FastifyReply, sessionParameters: readonly string[]): PassThroughRequest {
  const url = request.raw.url ?? '';
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : url.slice(queryAt + 1);
  // The segments before the `*` are the route's own: what follows them is the caller's path, as sent.
  const fixedSegments = (request.routeOptions.url ?? '').split('/').indexOf('*');
  const length = Number(request.headers['content-length']);
  const hasBody = (Number.isFinite(length) && length > 0) || request.headers['transfer-encoding'] !== undefined;
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort(new Error('the caller went away'));
  });
  return {
    method: request.method,
    rawPath: path.split('/').slice(fixedSegments).join('/'),
    rawQuery: query.split('&').filter((pair) => pair !== '' && !isParameter(pair, sessionParameters)).join('&'),
    headers: request.headers,
    body: hasBody ? request.raw : undefined,
    bodyLength: Number.isFinite(length) && request.headers['content-length'] !== undefined ? length : undefined,
    signal: gone.signal,
  };
}

/** Whether a `name=value` pair of a raw query names one of `names` (form-decoded). */
function isParameter(pair: string, names: readonly string[]): boolean {
  const name = pair.split('=', 1)[0]!;
  try {
    return names.includes(decodeURIComponent(name.replace(/\+/g, ' ')));
  } catch {
    return false;
  }
}

