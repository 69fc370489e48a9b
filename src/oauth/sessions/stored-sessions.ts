// SSO sessions, pending authorization requests (interactions) and remembered consent as the
// protocol writes and reads them, in TypeScript's names: sessions.repository.ts maps them to and
// from rows, so that no domain file sees a row. Types only, importing nothing: the repository and
// the domain both import them. Times are milliseconds since the epoch.

/** A constituent's single sign-on session at one organization, shared by all its clients. */
export interface NewSsoSession {
  /** SHA-256 of the session cookie's value. */
  readonly idHash: string;
  readonly orgId: string;
  readonly accountId: string;
  /** When the constituent last authenticated (OpenID Connect `auth_time`). */
  readonly authTime: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface StoredSsoSession extends NewSsoSession {
  readonly endedAt: number | null;
}

/** A validated authorization request waiting for the constituent to sign in and consent. */
export interface NewInteraction {
  /** Random, in the sign-in page's URL; useless without the browser it is bound to. */
  readonly id: string;
  readonly orgId: string;
  readonly clientId: string;
  /** The validated request's parameters (all but the client id), kept as JSON. */
  readonly request: object;
  /** SHA-256 of the browser-binding cookie set when the request arrived (login CSRF defence). */
  readonly browserBindingHash: string;
  /** Random token every form of this interaction must echo. */
  readonly csrfToken: string;
  /** The client network it came from, as a keyed hash: pending requests are counted per network. */
  readonly clientNetwork: string;
  /** Set once the constituent signed in during this interaction. */
  readonly accountId: string | null;
  readonly authTime: number | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface StoredInteraction extends Omit<NewInteraction, 'request'> {
  /** What NewInteraction's `request` was, read back from its JSON: the caller knows its shape. */
  readonly request: unknown;
}

/** Remembered consent: the scopes a constituent allowed a client. */
export interface ConsentGrant {
  readonly orgId: string;
  readonly accountId: string;
  readonly clientId: string;
  /** Space-separated, as in a request. */
  readonly scope: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}
