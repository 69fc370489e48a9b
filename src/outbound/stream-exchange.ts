import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Destination, ResolvedAddress } from './destination.ts';
import { pinnedLookup } from './destination.ts';
import { networkError } from './exchange.ts';
import { OutboundError, OutboundNetworkError, OutboundTimeout, OutboundTooLarge } from './outbound-errors.ts';

/**
 * A provider's answer whose body is still arriving: status and headers as received (names in
 * lower case, repeated ones as arrays), and the body as a stream that fails with an OutboundError
 * when the call's time is up or the body grows past the limit (it is cut there, not buffered).
 */
export interface OutboundStreamResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
}

export interface StreamExchange {
  readonly destination: Destination;
  readonly addresses: readonly ResolvedAddress[];
  readonly method: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** Bytes sent at once, a stream piped as it arrives (its error fails the call with that very error), or none. */
  readonly body: Buffer | Readable | undefined;
  readonly connectTimeoutMs: number;
  readonly maxResponseBytes: number;
  /** Aborted when the overall time is up (its reason is the error) or when the caller gives up. */
  readonly signal: AbortSignal;
  /** Called once the exchange is over, whichever way: the response read to its end, cut, or failed. */
  readonly onSettled: () => void;
  readonly secureContext: SecureContext | undefined;
}

/**
 * One request over one new connection to the checked addresses, answered as soon as the status
 * and headers arrive. Like exchange(): no redirect followed, no pooled socket. A declared
 * Content-Length past the limit fails before a byte of the body is read; a body that grows past
 * it, or outlives the call's time, errors its stream and closes the connection.
 */
export function streamExchange(call: StreamExchange): Promise<OutboundStreamResponse> {
  const { destination, connectTimeoutMs, maxResponseBytes, signal } = call;
  const { described } = destination;
  return new Promise((resolve, reject) => {
    let answered = false;
    let over = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let request: ClientRequest | undefined;
    let body: Transform | undefined;
    const finish = (): void => {
      if (over) return;
      over = true;
      clearTimeout(connectTimer);
      signal.removeEventListener('abort', onAbort);
      call.onSettled();
    };
    const fail = (error: unknown): void => {
      if (over) return;
      finish();
      request?.destroy();
      if (answered) body?.destroy(error instanceof Error ? error : new Error(String(error)));
      else reject(error);
    };
    const onAbort = (): void => fail(signal.reason instanceof OutboundError ? signal.reason : new OutboundTimeout(described, 'response', 0));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const { url, secure, hostname } = destination;
    const send = secure ? httpsRequest : httpRequest;
    request = send({
      protocol: url.protocol,
      hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: call.method,
      headers: call.headers as Record<string, string | string[]>,
      agent: false,
      lookup: pinnedLookup(call.addresses),
      ...(secure && call.secureContext !== undefined ? { secureContext: call.secureContext } : {}),
    });
    request.on('socket', (socket) => {
      connectTimer = setTimeout(() => fail(new OutboundTimeout(described, 'connect', connectTimeoutMs)), connectTimeoutMs);
      socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    request.on('error', (error) => fail(networkError(error, described)));
    request.on('response', (response: IncomingMessage) => {
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxResponseBytes) return fail(new OutboundTooLarge(described, maxResponseBytes));
      body = limitedBody(response, { described, maxResponseBytes, fail });
      // Failing before its reader attached (while the caller still awaits something else) must
      // not be an uncaught error: the reader finds it in `body.errored`, or gets the later ones.
      body.on('error', () => {});
      body.on('end', finish);
      // The reader went away (its own error, or it destroyed the stream): the connection goes too.
      body.on('close', () => {
        if (!over) fail(new OutboundNetworkError(described, 'ECONNRESET', 'the response stream was closed before its end'));
      });
      answered = true;
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
    });
    sendBody(request, call.body, fail);
  });
}

function sendBody(request: ClientRequest, body: Buffer | Readable | undefined, fail: (error: unknown) => void): void {
  if (body === undefined || Buffer.isBuffer(body)) {
    request.end(body);
    return;
  }
  body.on('error', fail);
  body.pipe(request);
}

/** The response's bytes, counted: past the limit the stream fails with OutboundTooLarge and the connection is closed. */
function limitedBody(response: IncomingMessage, options: { readonly described: string; readonly maxResponseBytes: number; readonly fail: (error: unknown) => void }): Transform {
  const { described, maxResponseBytes, fail } = options;
  let size = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      size += chunk.length;
      if (size > maxResponseBytes) {
        done();
        fail(new OutboundTooLarge(described, maxResponseBytes));
        return;
      }
      done(null, chunk);
    },
  });
  response.on('error', (error) => fail(networkError(error, described)));
  // A connection closed mid-body ends no 'end': the reader is told instead of waiting for the timeout.
  response.on('close', () => {
    if (!response.complete) fail(new OutboundNetworkError(described, 'ECONNRESET', 'the connection closed before the response was complete'));
  });
  response.pipe(counted);
  return counted;
}
