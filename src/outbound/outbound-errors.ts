/**
 * What can go wrong with a call to a provider, before any provider's meaning is read into it.
 * Messages name the destination as origin and path only (`https://login.example.com/oauth/token`):
 * never a query string, a body, a header's value or the URL's credentials, so that they may be
 * logged and shown to staff. The connector layer translates these into its own vocabulary
 * (upstream unavailable, upstream rejected); they never surface as Gatehouse's protocol errors.
 */
export abstract class OutboundError extends Error {
  abstract readonly code: 'outbound_refused' | 'outbound_timeout' | 'outbound_too_large' | 'outbound_network_error' | 'outbound_bad_response';
  /** Origin and path of the request, or `(unparsable URL)`. */
  readonly destination: string;
  constructor(destination: string, message: string, options?: ErrorOptions) {
    super(`${destination}: ${message}`, options);
    this.name = new.target.name;
    this.destination = destination;
  }
}

/** The rule an OutboundRefused request broke. */
export type RefusalRule =
  /** Not an absolute http(s) URL at all. */
  | 'url'
  /** A scheme other than https: (http: too unless private networks are allowed). */
  | 'scheme'
  /** `user:password@` in the URL: credentials go in headers, where they are never logged. */
  | 'credentials_in_url'
  /** The host is, or resolves to, an address that is not public. */
  | 'address'
  /** A JSON body that cannot be serialized (a BigInt, a cycle, undefined). */
  | 'body'
  /** A header the client sets itself (Host, Content-Length…), or one Node refuses to send. */
  | 'header';

/** The request was not sent: it breaks a rule of where and how Gatehouse calls out. Not retryable. */
export class OutboundRefused extends OutboundError {
  readonly code = 'outbound_refused';
  readonly rule: RefusalRule;
  /**
   * The refused address, when the rule is 'address'. Not in the message: for a host name, it is
   * what the deployment's DNS answered, which is the operator's to read in a log, not a caller's.
   */
  readonly address: string | undefined;
  constructor(destination: string, rule: RefusalRule, message: string, options: { readonly address?: string } = {}) {
    super(destination, message);
    this.rule = rule;
    this.address = options.address;
  }
}

/** No connection, or no whole answer, within the time allowed. Retryable. */
export class OutboundTimeout extends OutboundError {
  readonly code = 'outbound_timeout';
  /** 'connect': no TCP connection (and TLS handshake) in time; 'response': no whole response in time (DNS included). */
  readonly phase: 'connect' | 'response';
  readonly timeoutMs: number;
  constructor(destination: string, phase: 'connect' | 'response', timeoutMs: number) {
    super(destination, phase === 'connect' ? `no connection within ${timeoutMs} ms` : `no complete response within ${timeoutMs} ms`);
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/** The response was bigger than allowed; reading stopped there and the connection was closed. */
export class OutboundTooLarge extends OutboundError {
  readonly code = 'outbound_too_large';
  readonly limitBytes: number;
  constructor(destination: string, limitBytes: number) {
    super(destination, `the response is larger than the ${limitBytes} bytes allowed`);
    this.limitBytes = limitBytes;
  }
}

/**
 * The host could not be resolved, or the connection failed or broke (refused, reset, TLS
 * certificate not valid for the host…). `reason` is Node's error code (`ECONNREFUSED`,
 * `ENOTFOUND`, `ERR_TLS_CERT_ALTNAME_INVALID`…). Retryable, but for a certificate error.
 */
export class OutboundNetworkError extends OutboundError {
  readonly code = 'outbound_network_error';
  readonly reason: string;
  constructor(destination: string, reason: string, message: string, options?: ErrorOptions) {
    super(destination, `${message} (${reason})`, options);
    this.reason = reason;
  }
}

/** The response arrived but cannot be read as asked (not JSON). Its content is never quoted. */
export class OutboundBadResponse extends OutboundError {
  readonly code = 'outbound_bad_response';
  /** The response's status, for the connector layer to tell an error page from a broken success. */
  readonly status: number;
  constructor(destination: string, status: number, message: string) {
    super(destination, message);
    this.status = status;
  }
}
