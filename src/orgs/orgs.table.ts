export interface OrganizationsTable {
  id: string;
  /** Lowercase letters, digits and dashes; the `<slug>` of the issuer `PUBLIC_URL/o/<slug>`. */
  slug: string;
  display_name: string;
  /** JSON of OrgSettings. */
  settings: string;
  /** The next constituent account number: only ever grows, so account IDs are never reused. */
  next_account_number: number;
  created_at: number;
  updated_at: number;
}
