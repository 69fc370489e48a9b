import { createSecureContext, getCACertificates } from 'node:tls';
import type { SecureContext } from 'node:tls';
import type { ResolveHost } from './destination.ts';
import { addressesToCall, parseDestination, systemResolveHost } from './destination.ts';
import type { OutboundResponse } from './exchange.ts';
import { exchange } from './exchange.ts';
import { OutboundTimeout } from './outbound-errors.ts';
import type { OutboundBody } from './request-parts.ts';
import { encodeBody, requestHeaders, streamRequestHeaders } from './request-parts.ts';
import type { OutboundStreamResponse } from './stream-exchange.ts';
import { streamExchange } from './stream-exchange.ts';
import type { Readable } from 'node:stream';

export type { OutboundResponse } from './exchange.ts';
export type { OutboundStreamResponse } from './stream-exchange.ts';
export type { FormFields, OutboundBody } from './request-parts.ts';

export const OUTBOUND_DEFAULTS = Object.freeze({
  /** The whole call: resolving, connecting, sending and reading the answer. */
  timeoutMs: 10_000,
  /** TCP connection and TLS handshake, within the whole call's time. */
  connectTimeoutMs: 5_000,
  /** 1 MiB: a token response or a discovery document is a few kilobytes. */
  maxResponseBytes: 1024 * 1024,
  userAgent: 'Gatehouse',
});

export interface OutboundClientOptions {
  /**
   * Allows `http:` URLs and loopback, private, link-local and other non-public addresses.
   * Default false; the deployment's OUTBOUND_ALLOW_PRIVATE_NETWORK (Config.outboundAllowPrivateNetwork).
   */
  readonly allowPrivateNetwork?: boolean;
  /** Default for every request, 10 s. */
  readonly timeoutMs?: number;
  /** Default 5 s (never more than the request's whole time). */
  readonly connectTimeoutMs?: number;
  /** Default for every request, 1 MiB. */
  readonly maxResponseBytes?: number;
  /** Default `Gatehouse`. */
  readonly userAgent?: string;
  /** How host names are resolved; default node:dns `lookup` with every address (the system resolver). */
  readonly resolveHost?: ResolveHost;
  /**
   * PEM certificates trusted besides those Node trusts (its roots, NODE_EXTRA_CA_CERTS): a
   * private CA, or a test's self-signed certificate. Default none.
   */
  readonly extraCaCertificates?: readonly string[];
}

export interface OutboundRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute; https: only (http: too when private networks are allowed). The fragment is not sent. */
  readonly url: string | URL;
  /** Sent as given, but Host, Content-Length and the connection's own headers (refused). */
  readonly headers?: Readonly<Record<string, string>>;
  /** None when absent. */
  readonly body?: OutboundBody;
  /** This call's whole time, instead of the client's. */
  readonly timeoutMs?: number;
  /** This call's response limit, instead of the client's. */
  readonly maxResponseBytes?: number;
}

export interface OutboundStreamRequest {
  /** Any method token (the API proxy forwards the caller's). */
  readonly method: string;
  /** Absolute; https: only (http: too when private networks are allowed). */
  readonly url: string | URL;
  /** Sent as given (repeated ones as arrays), but Host, Content-Length and the connection's own headers (refused). */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** Bytes, or a stream piped as it arrives (sent chunked unless `bodyLength` is given); none when absent. */
  readonly body?: Buffer | Readable;
  /** The stream's length when the caller knows it (sent as Content-Length). */
  readonly bodyLength?: number;
  /** The whole call, until the response body's last byte, instead of the client's timeout. */
  readonly timeoutMs?: number;
  /** This call's response limit, instead of the client's. */
  readonly maxResponseBytes?: number;
  /** The caller giving up (its own client went away): the call stops, failing with this signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Every call Gatehouse makes to a provider: token exchange, refresh, discovery, later the API
 * proxy. Each call checks its destination when it is made (https:, every address public),
 * connects to the addresses it checked, follows no redirect, and is bounded in time and size.
 * Failures are the typed errors of outbound-errors.ts; nothing of the request's content is in
 * them.
 */
export interface OutboundClient {
  request(request: OutboundRequest): Promise<OutboundResponse>;
  /**
   * The same checks and bounds, the response handed over as soon as its headers arrive, its body
   * a stream (the API proxy's calls). The time limit runs until the body's last byte: past it, or
   * past the size limit, the body stream fails with OutboundTimeout or OutboundTooLarge.
   */
  stream(request: OutboundStreamRequest): Promise<OutboundStreamResponse>;
}

export function createOutboundClient(options: OutboundClientOptions = {}): OutboundClient {
  const allowPrivateNetwork = options.allowPrivateNetwork ?? false;
  const timeoutMs = options.timeoutMs ?? OUTBOUND_DEFAULTS.timeoutMs;
  const connectTimeoutMs = options.connectTimeoutMs ?? OUTBOUND_DEFAULTS.connectTimeoutMs;
  const maxResponseBytes = options.maxResponseBytes ?? OUTBOUND_DEFAULTS.maxResponseBytes;
  const userAgent = options.userAgent ?? OUTBOUND_DEFAULTS.userAgent;
  const resolveHost = options.resolveHost ?? systemResolveHost;
  // Built once: parsing Node's ~150 roots again for every connection would cost milliseconds each.
  // 'default' is what Node trusts without us (its roots, NODE_EXTRA_CA_CERTS, the system's under --use-system-ca).
  const extra = options.extraCaCertificates ?? [];
  const secureContext: SecureContext | undefined = extra.length > 0 ? createSecureContext({ ca: [...getCACertificates('default'), ...extra] }) : undefined;

  return {
    async request(request) {
      const destination = parseDestination(request.url, { allowPrivateNetwork });
      const { described } = destination;
      const body = request.body === undefined ? undefined : encodeBody(request.body, described);
      const headers = requestHeaders(request.headers ?? {}, body, { method: request.method, userAgent, described });
      const callTimeoutMs = request.timeoutMs ?? timeoutMs;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new OutboundTimeout(described, 'response', callTimeoutMs)), callTimeoutMs);
      try {
        const addresses = await whileNotAborted(addressesToCall(destination, { allowPrivateNetwork, resolveHost }), abort.signal);
        return await exchange({
          destination,
          addresses,
          method: request.method,
          headers,
          body: body?.bytes,
          connectTimeoutMs: Math.min(connectTimeoutMs, callTimeoutMs),
          maxResponseBytes: request.maxResponseBytes ?? maxResponseBytes,
          signal: abort.signal,
          secureContext,
        });
      } finally {
        clearTimeout(timer);
      }
    },

    async stream(request) {
      const destination = parseDestination(request.url, { allowPrivateNetwork });
      const { described } = destination;
      const bodyLength = Buffer.isBuffer(request.body) ? request.body.length : request.bodyLength;
      const headers = streamRequestHeaders(request.headers ?? {}, { userAgent, described, contentLength: request.body === undefined ? undefined : bodyLength });
      const callTimeoutMs = request.timeoutMs ?? timeoutMs;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new OutboundTimeout(described, 'response', callTimeoutMs)), callTimeoutMs);
      const callerGone = (): void => abort.abort(request.signal?.reason);
      request.signal?.addEventListener('abort', callerGone, { once: true });
      if (request.signal?.aborted === true) callerGone();
      const settled = (): void => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', callerGone);
      };
      try {
        const addresses = await whileNotAborted(addressesToCall(destination, { allowPrivateNetwork, resolveHost }), abort.signal);
        return await streamExchange({
          destination,
          addresses,
          method: request.method,
          headers,
          body: request.body,
          connectTimeoutMs: Math.min(connectTimeoutMs, callTimeoutMs),
          maxResponseBytes: request.maxResponseBytes ?? maxResponseBytes,
          signal: abort.signal,
          onSettled: settled,
          secureContext,
        });
      } catch (error) {
        settled();
        throw error;
      }
    },
  };
}

/** The promise's outcome, or the signal's reason if it aborts first (a resolver cannot be cancelled; its late answer is dropped). */
function whileNotAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
