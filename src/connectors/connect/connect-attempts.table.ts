// Row type of the connect flow's pending attempts (migration 0015). Only db/database.ts and
// connect-attempts.repository.ts import it.

export interface ConnectorAuthAttemptsTable {
  org_id: string;
  /** `cna_…`: named in the code verifier's associated data. */
  id: string;
  /** SHA-256 of the `state` sent to the provider: the callback finds its attempt by it. */
  state_hash: string;
  account_connector_id: string;
  /** The account user whose sign-in token started the attempt (for the audit event). */
  account_user_id: string;
  /** SHA-256 of the browser-binding cookie of the browser that started it. */
  browser_hash: string;
  /** A vault value, associated data `connector_auth_attempt:<id>:code_verifier`; null when the entry has no PKCE. */
  code_verifier: string | null;
  /** As the partner gave it: an origin, or a URL to send the browser back to. */
  target_origin: string;
  callback_message: string | null;
  /** `redirect` (303 to target_origin) or `post_message` (a page posting callback_message to it). */
  finish: 'redirect' | 'post_message';
  expires_at: number;
  created_at: number;
}
