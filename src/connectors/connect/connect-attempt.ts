// The connect flow's values (a leaf): a pending attempt as the repository returns it.

/** How an attempt ends: a 303 to the target, or a page that posts the callback message to it. */
export type ConnectFinish = 'redirect' | 'post_message';

/** From the browser's start at updateaccountconnectoroauth until the provider's redirect back. */
export interface ConnectAttempt {
  readonly orgId: string;
  readonly id: string;
  readonly stateHash: string;
  readonly accountConnectorId: string;
  readonly accountUserId: string;
  readonly browserHash: string;
  /** The vault value of the PKCE verifier (connectAttemptVerifierAad), or null when the entry has no PKCE. */
  readonly sealedCodeVerifier: string | null;
  /** As given: an origin or a URL whose origin is one of the org's connect target origins. */
  readonly target: string;
  readonly callbackMessage: string | null;
  readonly finish: ConnectFinish;
  readonly expiresAt: number;
  readonly createdAt: number;
}

/** An attempt lives ten minutes: long enough to sign in at a provider, short enough that a leaked state is soon worthless. */
export const CONNECT_ATTEMPT_LIFETIME_MS = 10 * 60_000;

export const connectAttemptVerifierAad = (id: string): string => `connector_auth_attempt:${id}:code_verifier`;
