import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SecureContext } from 'node:tls';
import type { Destination, ResolvedAddress } from './destination.ts';
import { pinnedLookup } from './destination.ts';
import { OutboundBadResponse, OutboundError, OutboundNetworkError, OutboundTimeout, OutboundTooLarge } from './outbound-errors.ts';

/** A provider's answer, whole: status, headers and body as bytes (no redirect is followed). */
export interface OutboundResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  /** The body read as JSON (UTF-8); OutboundBadResponse when it is not, its content never quoted. */
  json(): unknown;
}

export interface Exchange {
  readonly destination: Destination;
  readonly addresses: readonly ResolvedAddress[];
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  readonly connectTimeoutMs: number;
  readonly maxResponseBytes: number;
  /** Aborted when the overall time is up; its reason is the error to fail with. */
  readonly signal: AbortSignal;
  /** Certificates to trust instead of the defaults (a private CA, a test's self-signed one). */
  readonly secureContext: SecureContext | undefined;
}

/**
 * One request over one new connection to the checked addresses, read whole within the limits.
 * node:http(s) follows no redirect: a 3xx is an answer like any other. The connection is not
 * pooled (agent: false): a reused socket could outlive the check of the address it went to,
 * and a token exchange is rare enough to pay for its handshake.
 */
export function exchange(call: Exchange): Promise<OutboundResponse> {
  const { destination, connectTimeoutMs, maxResponseBytes, signal } = call;
  const { described } = destination;
  return new Promise((resolve, reject) => {
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let request: ClientRequest | undefined;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(connectTimer);
      signal.removeEventListener('abort', onAbort);
      return true;
    };
    const fail = (error: OutboundError): void => {
      if (!settle()) return;
      request?.destroy();
      reject(error);
    };
    // The caller aborts with the error to report (its overall timeout).
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
      headers: call.headers,
      agent: false,
      lookup: pinnedLookup(call.addresses),
      ...(secure && call.secureContext !== undefined ? { secureContext: call.secureContext } : {}),
    });
    request.on('socket', (socket) => {
      connectTimer = setTimeout(() => fail(new OutboundTimeout(described, 'connect', connectTimeoutMs)), connectTimeoutMs);
      // For https, connected means the TLS handshake is done too: a peer that accepts and never shakes hands hangs there.
      socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    request.on('error', (error) => fail(networkError(error, described)));
    const succeed = (response: IncomingMessage, body: Buffer): void => {
      if (settle()) resolve(responseOf(response, body, described));
    };
    request.on('response', (response) => readWhole(response, { described, maxResponseBytes, fail, succeed: (body) => succeed(response, body) }));
    request.end(call.body);
  });
}

interface Reading {
  readonly described: string;
  readonly maxResponseBytes: number;
  readonly fail: (error: OutboundError) => void;
  readonly succeed: (body: Buffer) => void;
}

/** Reads the body up to the limit; past it (or when the declared length is already past it), fails without reading on. */
function readWhole(response: IncomingMessage, reading: Reading): void {
  const { described, maxResponseBytes, fail } = reading;
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxResponseBytes) return fail(new OutboundTooLarge(described, maxResponseBytes));
  const chunks: Buffer[] = [];
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxResponseBytes) return fail(new OutboundTooLarge(described, maxResponseBytes));
    chunks.push(chunk);
  });
  response.on('end', () => reading.succeed(Buffer.concat(chunks, size)));
  response.on('error', (error) => fail(networkError(error, described)));
  // A connection closed mid-body ends no 'end'; without this the call would wait for its timeout.
  response.on('close', () => {
    if (!response.complete) fail(new OutboundNetworkError(described, 'ECONNRESET', 'the connection closed before the response was complete'));
  });
}

function responseOf(response: IncomingMessage, body: Buffer, described: string): OutboundResponse {
  const status = response.statusCode ?? 0;
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header WHATWG Headers cannot hold is one nobody can read; the rest of the answer stands.
    }
  }
  return {
    status,
    headers,
    body,
    json: () => {
      try {
        return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      } catch {
        const type = headers.get('content-type') ?? 'none';
        throw new OutboundBadResponse(described, status, `the response (status ${status}, content-type ${type.slice(0, 100)}, ${body.length} bytes) is not JSON`);
      }
    },
  };
}

/** Node's failure as one of ours, by its code; the original stays as the cause (it holds no request data). */
export function networkError(error: Error, described: string): OutboundError {
  const reason = 'code' in error && typeof error.code === 'string' ? error.code : 'UNKNOWN';
  return new OutboundNetworkError(described, reason, explain(reason), { cause: error });
}

function explain(reason: string): string {
  if (reason === 'ECONNREFUSED') return 'the connection was refused';
  if (reason === 'ECONNRESET' || reason === 'EPIPE') return 'the connection was reset';
  if (reason === 'EHOSTUNREACH' || reason === 'ENETUNREACH') return 'the host is unreachable';
  if (reason === 'ETIMEDOUT') return 'the connection timed out';
  if (reason.startsWith('HPE_')) return 'the peer did not answer in HTTP/1.1';
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/.test(reason)) return 'the TLS handshake failed or the certificate is not valid for the host';
  return 'the connection failed';
}
