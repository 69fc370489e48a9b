import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { ProxyRequestTimeoutError, ProxyRequestTooLargeError } from './proxy-errors.ts';

// The caller's body on its way to the provider. It is read once, as it arrives; a body that has
// been streamed cannot be sent a second time, so only a small one is kept whole for the retry
// after a 401 (proxy-admin.ts): up to `replayableBytes` it is read into memory first and sent as
// bytes (both times, if need be); past that it is streamed as it comes, its first bytes
// included, and cannot be retried.

export type OutgoingBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'stream'; readonly stream: Readable; readonly length: number | undefined };

export interface BodyLimits {
  /** The largest body forwarded; past it the stream fails with ProxyRequestTooLargeError. */
  readonly maxBytes: number;
  /** The largest body kept whole, so that it can be sent again. */
  readonly replayableBytes: number;
  /** How long the first `replayableBytes` (or the whole of a smaller body) may take to arrive; a larger body's rest is under the call's own time. */
  readonly timeoutMs: number;
}

/** Refuses at once a body whose declared length is past the limit; otherwise reads up to `replayableBytes` to decide. */
export async function outgoingBody(body: Readable | undefined, declaredLength: number | undefined, limits: BodyLimits): Promise<OutgoingBody> {
  if (body === undefined) return { kind: 'none' };
  if (declaredLength !== undefined && declaredLength > limits.maxBytes) throw new ProxyRequestTooLargeError(limits.maxBytes);
  const counted = limited(body, limits.maxBytes);
  const prefix = await readPrefix(counted, limits.replayableBytes, limits.timeoutMs);
  if (prefix.complete) return { kind: 'bytes', bytes: prefix.bytes };
  return { kind: 'stream', stream: prefix.rest, length: declaredLength };
}

/** The body, failing with ProxyRequestTooLargeError once more than `maxBytes` went through (a chunked body declares no length). */
function limited(body: Readable, maxBytes: number): Readable {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      size += chunk.length;
      done(size > maxBytes ? new ProxyRequestTooLargeError(maxBytes) : null, chunk);
    },
  });
  body.on('error', (error) => counter.destroy(error));
  // Past the limit the rest is read and dropped rather than the connection destroyed, so that the caller can still be answered 413.
  counter.on('error', () => {
    body.unpipe(counter);
    body.resume();
  });
  body.pipe(counter);
  return counter;
}

type Prefix = { readonly complete: true; readonly bytes: Buffer } | { readonly complete: false; readonly rest: Readable };

/** The whole body when it ends within `limit` bytes; else a stream of everything, the bytes read so far first. */
function readPrefix(body: Readable, limit: number, timeoutMs: number): Promise<Prefix> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      stop();
      body.destroy();
      reject(new ProxyRequestTimeoutError(`the request body did not arrive within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = (): void => {
      clearTimeout(timer);
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= limit) return;
      body.pause();
      stop();
      resolve({ complete: false, rest: prefixed(Buffer.concat(chunks, size), body) });
    };
    const onEnd = (): void => {
      stop();
      resolve({ complete: true, bytes: Buffer.concat(chunks, size) });
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
  });
}

function prefixed(prefix: Buffer, rest: Readable): Readable {
  const whole = new PassThrough();
  whole.write(prefix);
  rest.on('error', (error) => whole.destroy(error));
  rest.pipe(whole);
  return whole;
}
