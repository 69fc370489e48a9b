import type { OutboundError } from '../../outbound/outbound-errors.ts';
import { OutboundRefused } from '../../outbound/outbound-errors.ts';

// What a call to a provider's OAuth endpoints can end in, in the words the connect flow and the
// credentials endpoint act on. None of these is one of our own OAuth errors (oauth/): the
// provider refused us, or could not be reached, or is set up wrong. Messages name the provider,
// the operation and at most the destination's origin and path: never a token, a code, a
// secret or a body, so that they may be logged and shown to staff.

export type UpstreamOperation = 'discovery' | 'code_exchange' | 'refresh' | 'client_credentials';

export abstract class UpstreamError extends Error {
  abstract readonly code: 'upstream_rejected' | 'upstream_unavailable' | 'upstream_misconfigured';
  /** The catalogue entry's id. */
  readonly provider: string;
  readonly operation: UpstreamOperation;
  constructor(provider: string, operation: UpstreamOperation, message: string, options?: ErrorOptions) {
    super(`provider '${provider}': ${operation.replace('_', ' ')}: ${message}`, options);
    this.name = new.target.name;
    this.provider = provider;
    this.operation = operation;
  }
}

/**
 * The provider answered and refused (RFC 6749 §5.2, or its own error in an HTTP 200). Not
 * retryable as is. `invalid_grant` means the grant is gone (a revoked or reused refresh token,
 * a spent code): the caller marks the connector needs_reauth.
 */
export class UpstreamRejected extends UpstreamError {
  readonly code = 'upstream_rejected';
  /** The provider's error code as it gave it (`invalid_grant`, `invalid_client`…), or null when it gave none. */
  readonly error: string | null;
  /** The provider's error_description, trimmed to printable text; not in the message (it is the provider's prose). */
  readonly description: string | null;
  /** The HTTP status of the answer (200 for a provider that reports errors with 200). */
  readonly status: number;
  constructor(provider: string, operation: UpstreamOperation, answer: { readonly error: string | null; readonly description: string | null; readonly status: number }) {
    super(provider, operation, answer.error === null ? `refused with HTTP ${answer.status} and no OAuth error code` : `refused: ${answer.error} (HTTP ${answer.status})`);
    this.error = answer.error;
    this.description = answer.description;
    this.status = answer.status;
  }

  /** The grant is gone: only a new authorization brings the connector back. */
  get needsReauth(): boolean {
    return this.error === 'invalid_grant';
  }
}

export type UnavailableReason =
  /** 5xx, or 429 (too many requests). */
  | 'server_error'
  /** No connection, or no whole answer, in time. */
  | 'timeout'
  /** Resolution or connection failed or broke. */
  | 'network'
  /** An answer that is not what an OAuth endpoint sends: HTML, garbage, a redirect, a 2xx without a token. */
  | 'bad_response'
  | 'too_large';

/**
 * The provider could not give an answer to act on. Retryable: the caller answers 503 with
 * Retry-After and changes no connector's status.
 */
export class UpstreamUnavailable extends UpstreamError {
  readonly code = 'upstream_unavailable';
  readonly reason: UnavailableReason;
  /** The provider's Retry-After, in seconds, when it sent one with a 429 or 503. */
  readonly retryAfterSeconds: number | null;
  constructor(provider: string, operation: UpstreamOperation, reason: UnavailableReason, detail: string, options: { readonly retryAfterSeconds?: number | null; readonly cause?: unknown } = {}) {
    super(provider, operation, detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }
}

export type MisconfiguredReason =
  /** The outbound client would not call the URL: not https, not a public address (OutboundRefused). */
  | 'destination_refused'
  /** The discovery document's issuer is not the configured one (OIDC Discovery §4.3). */
  | 'issuer_mismatch'
  /** No discovery document there, or one without the endpoints needed, or with an endpoint that is not a safe URL. */
  | 'discovery_document';

/**
 * The connector's settings point somewhere the hub cannot or may not use: retrying will not
 * help; staff must fix the app connector's or the connection's config.
 */
export class UpstreamMisconfigured extends UpstreamError {
  readonly code = 'upstream_misconfigured';
  readonly reason: MisconfiguredReason;
  constructor(provider: string, operation: UpstreamOperation, reason: MisconfiguredReason, detail: string, options?: ErrorOptions) {
    super(provider, operation, detail, options);
    this.reason = reason;
  }
}

/** An outbound failure in the upstream vocabulary; its message is already free of secrets (outbound-errors.ts). */
export function fromOutboundError(provider: string, operation: UpstreamOperation, error: OutboundError): UpstreamError {
  if (error instanceof OutboundRefused) return new UpstreamMisconfigured(provider, operation, 'destination_refused', error.message, { cause: error });
  const reason: UnavailableReason =
    error.code === 'outbound_timeout' ? 'timeout' : error.code === 'outbound_too_large' ? 'too_large' : error.code === 'outbound_bad_response' ? 'bad_response' : 'network';
  return new UpstreamUnavailable(provider, operation, reason, error.message, { cause: error });
}
