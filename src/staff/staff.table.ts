export interface StaffUsersTable {
  id: string;
  org_id: string;
  email: string;
  /** email lowercased, unique per org. */
  email_key: string;
  display_name: string | null;
  role: string;
  /** argon2id PHC string; null for an integration user that only ever uses API keys. */
  password_hash: string | null;
  status: 'active' | 'disabled';
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  org_id: string;
  staff_user_id: string;
  /** The public part of the key, unique, used to find the row; shown in listings. */
  prefix: string;
  /** SHA-256 of the secret part (base64url); the secret itself is shown once and never stored. */
  secret_hash: string;
  label: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** An API v1 session, opened with an API key (`POST /api/v1/login`). */
export interface ApiSessionsTable {
  /** SHA-256 of the userSessionId. */
  id_hash: string;
  org_id: string;
  api_key_id: string;
  staff_user_id: string;
  created_at: number;
  /** Idle timeout runs from here. */
  last_used_at: number;
  /** Absolute end. */
  expires_at: number;
  ended_at: number | null;
}

export interface StaffSessionsTable {
  /** SHA-256 of the staff session cookie. */
  id_hash: string;
  org_id: string;
  staff_user_id: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}
