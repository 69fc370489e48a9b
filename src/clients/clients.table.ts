export interface ClientsTable {
  /** The client_id: random, globally unique, so it can never name a client of another org. */
  id: string;
  org_id: string;
  name: string;
  client_type: 'confidential' | 'public';
  /** SHA-256 of the client secret (base64url); null for public clients. */
  secret_hash: string | null;
  /** JSON array of exact redirect URIs. */
  redirect_uris: string;
  /** JSON array of exact post-logout redirect URIs. */
  post_logout_redirect_uris: string;
  /** JSON array of grant types. */
  grant_types: string;
  /** Space-separated scopes the client may request. */
  scope: string;
  consent_required: number;
  /** Overrides the org's authorization code lifetime; null uses the org's. */
  code_ttl_seconds: number | null;
  status: 'active' | 'pending' | 'rejected' | 'suspended';
  /** Algorithm of this client's ID tokens (OpenID Connect Dynamic Registration §2). */
  id_token_signed_response_alg: 'ES256' | 'RS256';
  /** `opaque` (default), or `jwt` for RFC 9068 JWT access tokens. */
  access_token_format: 'opaque' | 'jwt';
  /** SHA-256 of the secret replaced by the last rotation, accepted until `previous_secret_expires_at`. */
  previous_secret_hash: string | null;
  previous_secret_expires_at: number | null;
  /** Who registered the client: staff (CLI, API), the public registration page, or RFC 7591 dynamic registration. */
  registration_source: 'staff' | 'registration_page' | 'dynamic';
  /** The person who asked for a registration (page or dynamic); null for staff-created clients. */
  requester_name: string | null;
  requester_email: string | null;
  /** Why the requester wants access, shown to the staff who approve or reject. */
  request_reason: string | null;
  /**
   * The networks the client authenticated from recently (clients/auth-networks.ts): JSON, at most
   * 16 `{"network": <keyed pseudonym>, "last_seen_ms": …}`. Not part of its settings: written
   * without touching updated_at (the version of its settings, as ETags show it).
   */
  auth_networks: string;
  created_at: number;
  updated_at: number;
}
