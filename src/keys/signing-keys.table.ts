export interface SigningKeysTable {
  org_id: string;
  /** JWK `kid`: random, unique within the org. */
  kid: string;
  alg: 'ES256' | 'RS256';
  /** Public JWK as JSON (kty, crv/x/y or n/e, kid, alg, use). */
  public_jwk: string;
  /** Private JWK as JSON, sealed under the root key with associated data `signing_key:<org_id>:<kid>`. */
  private_jwk_sealed: string;
  created_at: number;
  /** When a rotation stopped this key signing; null while it is the org's active key for its alg. */
  retired_at: number | null;
  /** After this, a retired key leaves the JWKS: every token it signed has expired. */
  publish_until: number | null;
}
