/**
 * The closed vocabulary of protocol errors: one class per error code of RFC 6749 §4.1.2.1 and
 * §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1 and OpenID Connect Core §3.1.2.6. Each carries the HTTP
 * status it answers with, a description safe to send, and an internal `detail` that is logged,
 * never sent. Call sites throw these classes, never string literals.
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  readonly status: number = 400;
  /**
   * Sent as `error_description`: a fixed text that names parameters, never their values (nor
   * secrets), and always within the charset of protocolText.
   */
  readonly description: string;
  /** Logged only. */
  readonly detail: string | undefined;

  constructor(description: string, detail?: string) {
    const text = protocolText(description);
    super(text);
    this.description = text;
    this.detail = detail;
  }
}

/** Every character an `error_description` may not hold (RFC 6749 §5.2, RFC 6750 §3, RFC 7591 §3.2.2). */
const NOT_PROTOCOL_TEXT = /[^\x20-\x21\x23-\x5B\x5D-\x7E]/g;

/**
 * A text as an `error_description` may carry it: RFC 6749 §5.2 limits it to %x20-21 / %x23-5B /
 * %x5D-7E (printable ASCII without `"` and `\`), as RFC 6750 §3 does in the WWW-Authenticate
 * header, where a `"` would end the quoted value and CR/LF would split the header. Every other
 * character becomes `?`. Descriptions are fixed texts that never quote the request; this is the
 * guard every error passes through (OAuthError's constructor), so a text that slips one in
 * still cannot break the response it is rendered into.
 */
export function protocolText(text: string): string {
  return text.replace(NOT_PROTOCOL_TEXT, '?');
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
}

/** A request body over the size limit (RFC 9110 §15.5.14): invalid_request, answered 413. */
export class PayloadTooLarge extends InvalidRequest {
  override readonly status: number = 413;
}

/** RFC 6749 §5.2: client authentication failed. Answered 401 with WWW-Authenticate. */
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status: number = 401;
}

/**
 * Client authentication refused unchecked: too many failures recently, from this client or this
 * network (oauth/client-auth-throttle.ts). Still `invalid_client` (RFC 6749 §5.2 has no code of
 * its own for it, and the client did not authenticate), but 429 with Retry-After (RFC 6585 §4)
 * instead of 401, since credentials would not be checked now, right or wrong; with the Basic
 * challenge §5.2 asks for when the client used Basic (oauth/oauth.routes.ts).
 */
export class ClientAuthenticationThrottled extends InvalidClient {
  override readonly status: number = 429;
  readonly retryAfterSeconds: number;
  /** Logged at debug level only: not the first refusal of its lockout (a flood's refusals would cost a log line each). */
  readonly quiet: boolean;

  constructor(retryAfterSeconds: number, detail: string, options: { readonly quiet?: boolean } = {}) {
    super('Too many failed client authentications; try again later.', detail);
    this.retryAfterSeconds = retryAfterSeconds;
    this.quiet = options.quiet ?? false;
  }
}

export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
}

export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
}

export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
}

export class UnsupportedResponseType extends OAuthError {
  readonly error = 'unsupported_response_type';
}

export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
}

export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
}

export class ServerError extends OAuthError {
  readonly error = 'server_error';
  override readonly status: number = 500;
}

/** RFC 6750 §3.1: the access token is missing, expired, revoked or malformed. */
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token';
  override readonly status: number = 401;
}

/** RFC 6750 §3.1: the token is valid but lacks the scope the resource needs. */
export class InsufficientScope extends OAuthError {
  readonly error = 'insufficient_scope';
  override readonly status: number = 403;
  /** The scope the resource needs: the challenge's `scope` attribute (RFC 6750 §3). */
  readonly scope: string;

  constructor(scope: string, description: string, detail?: string) {
    super(description, detail);
    this.scope = scope;
  }
}

/** RFC 7009 §2.2.1. */
export class UnsupportedTokenType extends OAuthError {
  readonly error = 'unsupported_token_type';
}

/** OpenID Connect Core §3.1.2.6: prompt=none, but the constituent must sign in. */
export class LoginRequired extends OAuthError {
  readonly error = 'login_required';
}

/** OpenID Connect Core §3.1.2.6: prompt=none, but the constituent must consent. */
export class ConsentRequired extends OAuthError {
  readonly error = 'consent_required';
}

/** OpenID Connect Core §3.1.2.6: the `request` parameter (request objects) is not supported. */
export class RequestNotSupported extends OAuthError {
  readonly error = 'request_not_supported';
}

export class RequestUriNotSupported extends OAuthError {
  readonly error = 'request_uri_not_supported';
}

export class RegistrationNotSupported extends OAuthError {
  readonly error = 'registration_not_supported';
}

/** RFC 7591 §3.2.2: a redirect URI (or post-logout redirect URI) of a registration request is invalid. */
export class InvalidRedirectUri extends OAuthError {
  readonly error = 'invalid_redirect_uri';
}

/** RFC 7591 §3.2.2: a metadata field of a registration request is invalid, or the server refuses it. */
export class InvalidClientMetadata extends OAuthError {
  readonly error = 'invalid_client_metadata';
}

/** A registration request's body over the size limit (RFC 9110 §15.5.14): invalid_client_metadata, answered 413. */
export class ClientMetadataTooLarge extends InvalidClientMetadata {
  override readonly status: number = 413;
}

/**
 * RFC 7591 §3: the initial access token the organization requires is missing or wrong. Answered
 * as RFC 6750 §3 says, with a challenge naming the error only.
 */
export class InvalidInitialAccessToken extends InvalidToken {}

/**
 * Too many registration requests from one network (clients/registration-throttle.ts): RFC 7591
 * has no code for it, so invalid_request, answered 429 with Retry-After (RFC 6585 §4).
 */
export class RegistrationThrottled extends InvalidRequest {
  override readonly status: number = 429;
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('Too many registration requests from this address; try again later.');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The JSON body of an error response (RFC 6749 §5.2). */
export function errorBody(error: OAuthError): { error: string; error_description: string } {
  return { error: error.error, error_description: error.description };
}
