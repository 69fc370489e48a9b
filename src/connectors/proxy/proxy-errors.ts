// Why the API proxy refused a call, or could not complete it, in its own words: the provider's
// own answers (a 404, a 401 after the retry) are never errors here, they are passed back as they
// are. Messages never quote the path, the query, a header or a body (the caller's data).

export abstract class ProxyError extends Error {
  abstract readonly code:
    | 'proxy_path_refused'
    | 'proxy_no_api_base_url'
    | 'proxy_request_too_large'
    | 'proxy_request_timeout'
    | 'destination_refused'
    | 'upstream_unavailable'
    | 'upstream_timeout'
    | 'upstream_response_too_large';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The rule of proxy-target.ts a path broke: each a way out of the provider's API base. */
export type PathRule = 'dot_segment' | 'encoded_slash' | 'backslash' | 'absolute_url' | 'empty_segment' | 'control_character' | 'fragment' | 'malformed_encoding' | 'not_normalized' | 'outside_base';

/** The path (or query) would leave the provider's API base, or cannot be read unambiguously. */
export class ProxyPathRefusedError extends ProxyError {
  readonly code = 'proxy_path_refused';
  readonly rule: PathRule;
  constructor(rule: PathRule, message: string) {
    super(message);
    this.rule = rule;
  }
}

/** The connector's provider has no API base (or the connection gives no `api_base_url`): nowhere to forward to. */
export class ProxyNoApiBaseError extends ProxyError {
  readonly code = 'proxy_no_api_base_url';
}

/** The request body is larger than the proxy forwards. */
export class ProxyRequestTooLargeError extends ProxyError {
  readonly code = 'proxy_request_too_large';
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(`the request body is larger than the ${limitBytes} bytes the proxy forwards`);
    this.limitBytes = limitBytes;
  }
}

/** The caller's body did not arrive within the call's time (a caller trickling its upload holds a connection no longer). */
export class ProxyRequestTimeoutError extends ProxyError {
  readonly code = 'proxy_request_timeout';
}

/** The API base is not a destination Gatehouse calls (not https, or not a public address): staff must fix the connector's config. */
export class ProxyDestinationRefusedError extends ProxyError {
  readonly code = 'destination_refused';
}

/** The provider could not be reached, or its connection broke before it answered. */
export class ProxyUpstreamUnavailableError extends ProxyError {
  readonly code = 'upstream_unavailable';
}

/** The provider did not answer within the proxy's time. */
export class ProxyUpstreamTimeoutError extends ProxyError {
  readonly code = 'upstream_timeout';
}

/** The provider's answer declared a body larger than the proxy passes back. */
export class ProxyResponseTooLargeError extends ProxyError {
  readonly code = 'upstream_response_too_large';
}
