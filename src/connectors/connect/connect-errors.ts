// Why the connect flow stops before anything is redirected or posted. Each is shown to the
// person in the browser as an error page with its status; its texts are fixed (they never quote
// the request: a token, a state or an origin given is not echoed back).

export type ConnectRefusalReason =
  /** The query lacks a parameter, or repeats one. */
  | 'bad_request'
  /** The sign-in token is unknown, used, expired, or of another account than the connector's. */
  | 'token_refused'
  /** targetOrigin is not one of the org's connect target origins. */
  | 'origin_not_allowed'
  /** The connector is disabled, or not one that an authorization-code flow can connect, or lacks its app's client id. */
  | 'not_connectable'
  /** The provider's settings could not give an authorization URL (discovery failed, a config value is missing). */
  | 'provider_unavailable'
  /** The callback's state names no pending attempt: unknown, tampered, already used, or expired. */
  | 'attempt_unknown'
  /** The callback came to another browser than the one that started the attempt. */
  | 'other_browser';

const TEXTS: Readonly<Record<ConnectRefusalReason, { readonly status: number; readonly title: string; readonly message: string }>> = {
  bad_request: { status: 400, title: 'Invalid request', message: 'This connection link is incomplete: it needs id, token and targetOrigin, each given once.' },
  token_refused: {
    status: 403,
    title: 'This link is not valid',
    message: 'This connection link was already used, has expired, or is not for this connection. Go back to the application and start again.',
  },
  origin_not_allowed: {
    status: 400,
    title: 'Destination not allowed',
    message: 'The page to return to after connecting is not one this organization allows. Ask the application’s owner to add its origin to the organization’s connect target origins.',
  },
  not_connectable: { status: 400, title: 'Cannot connect', message: 'This connection cannot be authorized in the browser: it is disabled, its provider does not use the authorization code flow, or its app has no client id.' },
  provider_unavailable: { status: 502, title: 'Provider unavailable', message: 'The provider of this connection could not be reached or is not set up correctly. Try again later, or ask the application’s owner to check its settings.' },
  attempt_unknown: {
    status: 400,
    title: 'This page has expired',
    message: 'This connection attempt is unknown, was already completed, or expired. Go back to the application and connect again.',
  },
  other_browser: { status: 400, title: 'This page has expired', message: 'This connection attempt was started in another browser. Go back to the application and connect again from this browser.' },
};

export class ConnectRefused extends Error {
  readonly reason: ConnectRefusalReason;
  readonly status: number;
  readonly title: string;
  /** Safe to show: a fixed text. */
  readonly description: string;
  constructor(reason: ConnectRefusalReason, options?: ErrorOptions) {
    const text = TEXTS[reason];
    super(`connect flow refused: ${reason}`, options);
    this.name = 'ConnectRefused';
    this.reason = reason;
    this.status = text.status;
    this.title = text.title;
    this.description = text.message;
  }
}
