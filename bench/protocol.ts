/**
 * What a benchmark server child tells the orchestrator once it listens (over IPC), and the fixture
 * values both kinds of server are configured with, so the client side of the benchmark is the same
 * code for both.
 */

/** The constituent both servers know; oidc-provider's `findAccount` answers the same claims Gatehouse stores. */
export const BENCH_USER = Object.freeze({
  username: 'alice',
  password: 'correct horse battery staple',
  email: 'alice@example.org',
  name: 'Alice Example',
});

/** Registered for the code-flow client on both servers; never contacted (the benchmark reads the Location header). */
export const REDIRECT_URI = 'https://app.example.org/callback';

/** What the code flows ask for: an ID token and the profile and email claims at userinfo. */
export const USER_SCOPE = 'openid profile email';

/** The service client's scope (client_credentials). */
export const SERVICE_SCOPE = 'api';

export interface ClientCredentials {
  readonly id: string;
  readonly secret: string;
}

export interface ServerReady {
  readonly type: 'ready';
  /** e.g. `gatehouse-sqlite`, `oidc-provider`. */
  readonly name: string;
  /** The issuer; discovery is at `issuer + /.well-known/openid-configuration`. */
  readonly issuer: string;
  /** Confidential client with authorization_code + refresh_token, no consent prompt. */
  readonly webClient: ClientCredentials;
  /** Confidential client with client_credentials only. */
  readonly serviceClient: ClientCredentials;
  /** Where the server keeps its state, for the report (a file path, a PostgreSQL schema, memory). */
  readonly store: string;
  /** Gatehouse only: an authenticated account connector's credentials path and the staff API key's Authorization header. */
  readonly connectorCredentials?: { readonly path: string; readonly authorization: string };
  /** Gatehouse only, when started with BENCH_RESOURCE_URL: the proxy path of an api-key connector to that server, and the same Authorization. */
  readonly connectorProxy?: { readonly path: string; readonly authorization: string };
}

/** The environment variable that gives a Gatehouse bench server the resource server's URL (bench/resource-server.ts). */
export const RESOURCE_URL_ENV = 'BENCH_RESOURCE_URL';

/** The calibration server (bench/ceiling-server.ts): no OAuth, only a URL. */
export interface ServerListening {
  readonly type: 'listening';
  readonly url: string;
}

export interface ServerFailed {
  readonly type: 'failed';
  readonly message: string;
}

export type ServerMessage = ServerReady | ServerListening | ServerFailed;

export function isServerMessage(value: unknown): value is ServerMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'ready' || type === 'listening' || type === 'failed';
}

/** Sends a message to the parent, or prints it as one JSON line when started by hand. */
export function tellParent(message: ServerMessage): void {
  if (process.send !== undefined) process.send(message);
  else process.stdout.write(`${JSON.stringify(message)}\n`);
}
