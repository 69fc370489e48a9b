export interface ConstituentsTable {
  org_id: string;
  /** Short, stable, never reused within the org; the OpenID `sub` and Neon's `account_id`. */
  account_id: string;
  login_name: string;
  /** login_name case-folded (NFKC, lowercase): unique per org, so 'Alice' and 'alice' are one login. */
  login_name_key: string;
  email: string | null;
  /** email lowercased: unique per org, so sign-in by email finds one account. */
  email_key: string | null;
  email_verified: number;
  display_name: string | null;
  picture_url: string | null;
  /** argon2id PHC string; null for an account that cannot sign in with a password yet. */
  password_hash: string | null;
  /** JSON object of org-defined attributes, released by custom scopes. */
  attributes: string;
  status: 'active' | 'disabled';
  created_at: number;
  updated_at: number;
}
