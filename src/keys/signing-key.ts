// What a signing key is, for the domain (signing-keys.ts) and its repository alike: types and one
// pure guard, importing nothing of keys/, so that neither imports the other for them.

/** The JWS algorithms (RFC 7518 §3.1) an organization signs with. */
export const SIGNING_ALGS = ['ES256', 'RS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export function isSigningAlg(value: unknown): value is SigningAlg {
  return typeof value === 'string' && (SIGNING_ALGS as readonly string[]).includes(value);
}

/** A signing key as stored: the private JWK only sealed. */
export interface StoredSigningKey {
  readonly orgId: string;
  readonly kid: string;
  readonly alg: SigningAlg;
  /** Public JWK as JSON. */
  readonly publicJwk: string;
  /** Private JWK as JSON, sealed with associated data `signing_key:<org_id>:<kid>`. */
  readonly privateJwkSealed: string;
  readonly createdAt: number;
  readonly retiredAt: number | null;
  readonly publishUntil: number | null;
}

/** What may be shown about a key: no key material. */
export interface SigningKeyInfo {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly status: 'active' | 'retired';
  readonly createdAt: number;
  readonly retiredAt: number | null;
  readonly publishUntil: number | null;
}
