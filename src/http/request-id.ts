import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A request id from a proxy's X-Request-Id is kept when it is harmless to log; otherwise a fresh UUID. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
