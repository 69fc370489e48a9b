import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequest } from '../oauth/errors.ts';
import { parseUrlEncoded, type RawParams } from '../oauth/params.ts';

/** Form bodies above this are refused with 413; no OAuth request comes near it. */
export const FORM_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Lets the routes of `scope` take `application/x-www-form-urlencoded` and `multipart/form-data`
 * bodies (Jadu's documented token request is `curl -F`), both as RawParams that keep repeated
 * names so the protocol can refuse them. Multipart bodies carry fields only: a file part is
 * refused.
 */
export async function registerFormParsers(scope: FastifyInstance): Promise<void> {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES }, (_request, body, done) => {
    done(null, parseUrlEncoded(body as string));
  });
  await scope.register(multipart, { limits: { fields: 64, fieldSize: 16 * 1024, files: 0, parts: 64, fieldNameSize: 128 } });
}

/** The form parameters of a request (urlencoded or multipart); an empty map for a bodiless one. */
export async function readForm(request: FastifyRequest): Promise<RawParams> {
  if (request.body instanceof Map) return request.body as RawParams;
  if (!request.isMultipart()) {
    if (request.body === undefined || request.body === null) return new Map();
    throw new InvalidRequest('The request body must be application/x-www-form-urlencoded or multipart/form-data.');
  }
  const params = new Map<string, string[]>();
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') throw new InvalidRequest('File uploads are not accepted here.');
      const value = typeof part.value === 'string' ? part.value : String(part.value);
      const values = params.get(part.fieldname);
      if (values === undefined) params.set(part.fieldname, [value]);
      else values.push(value);
    }
  } catch (error) {
    if (error instanceof InvalidRequest) throw error;
    throw new InvalidRequest('The multipart body is malformed or too large.', (error as Error).message);
  }
  return params;
}

/** The query string of a request as RawParams (keeping repeats). */
export function readQuery(request: FastifyRequest): RawParams {
  const queryStart = request.url.indexOf('?');
  return parseUrlEncoded(queryStart === -1 ? '' : request.url.slice(queryStart + 1));
}
