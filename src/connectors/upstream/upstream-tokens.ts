// The tokens a provider's token endpoint gave, read by the catalogue entry's rules. A value type
// only (a leaf), for the connect flow and the credentials endpoint to store.

export interface UpstreamTokens {
  readonly accessToken: string;
  /** `Bearer` unless the provider says otherwise (its casing normalized for bearer, RFC 6750 §4 is case-insensitive). */
  readonly tokenType: string;
  /** Milliseconds since the epoch; null for a token that does not expire (no expires_in and no assumed lifetime). */
  readonly expiresAt: number | null;
  /** The refresh token given, or on a refresh without one, the one refreshed with (kept). Null when there is none. */
  readonly refreshToken: string | null;
  /** When the refresh token expires, when the provider says (QuickBooks, LinkedIn); kept from before when it is kept. */
  readonly refreshExpiresAt: number | null;
  /** The scopes granted when the answer says (RFC 6749 §5.1), split by the entry's separator; null when it does not. */
  readonly scopes: readonly string[] | null;
  /** The entry's kept metadata from the token response (`instance_url`), over what the caller had. */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * A refresh answered a refresh token other than the one used: the old one may be dead already,
   * so the new one must be stored before anything else can fail. Always false for a code exchange.
   */
  readonly refreshTokenRotated: boolean;
}
