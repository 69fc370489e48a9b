import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { parseUrlEncoded, type RawParams } from '../lib/url-encoded.ts';
import { BadRequest, ContentTooLarge } from './errors.ts';

/** Form bodies above this are refused with 413; no OAuth request comes near it. */
export const FORM_BODY_LIMIT_BYTES = 64 * 1024;

const MULTIPART_LIMITS = { fields: 64, fieldSize: 16 * 1024, files: 0, parts: 64, fieldNameSize: 128 } as const;

/** Requests whose body was refused before it was read to its end: their connection is closed. */
const unreadBodies = new WeakSet<FastifyRequest>();

/**
 * Lets the routes of `scope` take `application/x-www-form-urlencoded` and `multipart/form-data`
 * bodies (Jadu's documented token request is `curl -F`), both as RawParams that keep repeated
 * names so the protocol can refuse them. Multipart bodies carry fields only: a file part is
 * refused. Both are held to FORM_BODY_LIMIT_BYTES.
 */
export async function registerFormParsers(scope: FastifyInstance): Promise<void> {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES }, (_request, body, done) => {
    done(null, parseUrlEncoded(body as string));
  });
  await scope.register(multipart, { limits: MULTIPART_LIMITS });
  // What Fastify does when its own parsers refuse a body: the rest of it is never read, so the
  // connection cannot carry another request.
  // A callback hook, not an async one: it runs on every response of these routes (the token
  // endpoint among them), and a promise per response would cost more than the check.
  scope.addHook('onSend', (request, reply, payload, done) => {
    if (unreadBodies.has(request)) reply.header('connection', 'close');
    done(null, payload);
  });
}

/** The form parameters of a request (urlencoded or multipart); an empty map for a bodiless one. */
export async function readForm(request: FastifyRequest): Promise<RawParams> {
  if (request.body instanceof Map) return request.body as RawParams;
  if (!request.isMultipart()) {
    if (request.body === undefined || request.body === null) return new Map();
    throw new BadRequest('The request body must be application/x-www-form-urlencoded or multipart/form-data.');
  }
  try {
    return await readMultipartFields(request);
  } catch (error) {
    stopReading(request);
    throw asFormError(error);
  }
}

/**
 * The fields of a multipart body. Fastify's bodyLimit does not reach @fastify/multipart's stream,
 * so the body's bytes (all parts together, as they arrive) are counted here against the limit an
 * urlencoded body has. A value cut short by a per-field limit is refused, never taken truncated.
 */
async function readMultipartFields(request: FastifyRequest): Promise<RawParams> {
  if (Number(request.headers['content-length']) > FORM_BODY_LIMIT_BYTES) throw tooLarge('content-length over the limit');
  // The counter and the parser's pipe (on the first next()) attach in the same tick, before the
  // body flows: no chunk passes uncounted.
  const overLimit = bodyOverLimit(request.raw, FORM_BODY_LIMIT_BYTES);
  const parts = request.parts()[Symbol.asyncIterator]();
  const params = new Map<string, string[]>();
  try {
    for (;;) {
      const next = await Promise.race([parts.next(), overLimit.reached]);
      if (next.done === true) return params;
      const part = next.value;
      if (part.type === 'file') throw new BadRequest('File uploads are not accepted here.');
      if (part.valueTruncated || part.fieldnameTruncated) throw tooLarge(`multipart field over ${MULTIPART_LIMITS.fieldSize} bytes, or its name over ${MULTIPART_LIMITS.fieldNameSize}`);
      const value = typeof part.value === 'string' ? part.value : String(part.value);
      const values = params.get(part.fieldname);
      if (values === undefined) params.set(part.fieldname, [value]);
      else values.push(value);
    }
  } finally {
    overLimit.stop();
  }
}

/** Rejects once more than `limit` bytes of `raw`'s body have arrived; `stop` ends the watch. */
function bodyOverLimit(raw: IncomingMessage, limit: number): { readonly reached: Promise<never>; stop(): void } {
  let received = 0;
  let reject: (error: Error) => void = () => {};
  const reached = new Promise<never>((_resolve, rejectWith) => {
    reject = rejectWith;
  });
  // Only ever raced: without this, a watch stopped before the limit would be an unhandled rejection.
  reached.catch(() => {});
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limit) reject(tooLarge(`multipart body over ${limit} bytes`));
  };
  raw.on('data', onData);
  return { reached, stop: () => raw.off('data', onData) };
}

/**
 * 413, as an urlencoded body over the limit gets (invalid_request at the OAuth endpoints). Too large also
 * covers a field over its own limit and too many parts: RFC 9110 §15.5.14, content "larger than
 * the server is willing or able to process"; the request is well-formed, just beyond our limits.
 */
function tooLarge(detail: string): ContentTooLarge {
  return new ContentTooLarge('The request body is too large.', detail);
}

function asFormError(error: unknown): BadRequest | ContentTooLarge {
  if (error instanceof BadRequest || error instanceof ContentTooLarge) return error;
  const code = (error as { code?: unknown }).code;
  // @fastify/multipart's limits: `files: 0` refuses every file part; the others are sizes.
  if (code === 'FST_FILES_LIMIT') return new BadRequest('File uploads are not accepted here.');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return tooLarge(`more than ${MULTIPART_LIMITS.parts} parts or ${MULTIPART_LIMITS.fields} fields`);
  return new BadRequest('The multipart body is malformed.', (error as Error).message);
}

/** Leaves the rest of a refused body unread; the response then closes the connection. */
function stopReading(request: FastifyRequest): void {
  unreadBodies.add(request);
  request.raw.unpipe();
  request.raw.pause();
}

/** The query string of a request as RawParams (keeping repeats). */
export function readQuery(request: FastifyRequest): RawParams {
  const queryStart = request.url.indexOf('?');
  return parseUrlEncoded(queryStart === -1 ? '' : request.url.slice(queryStart + 1));
}
