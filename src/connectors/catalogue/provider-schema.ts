import { type Static, Type } from '@sinclair/typebox';

// The catalogue as its authors write it: snake_case like the wire, most settings optional with
// the defaults of RFC 6749 (loadCatalogue fills them in and maps each entry to a Provider). A
// TypeBox schema rather than only a TypeScript type because the data is checked again at start:
// patterns, closed vocabularies and unknown keys are things a type alone lets through.

const TEMPLATE = Type.String({ minLength: 1, maxLength: 500 });

export const AUTH_MODES = ['oauth2', 'oauth2_client_credentials', 'api_key', 'basic'] as const;

/** A closed list, so that a typo makes a new category nobody filters on. */
export const CATEGORIES = [
  'accounting',
  'communication',
  'crm',
  'developer-tools',
  'documents',
  'e-commerce',
  'events',
  'generic',
  'identity',
  'marketing',
  'nonprofit',
  'payments',
  'productivity',
  'project-management',
  'public-sector',
  'scheduling',
  'social',
  'storage',
  'support',
  'video',
] as const;

/**
 * What a config value may look like, decided by where it goes in a URL: a `subdomain` is one DNS
 * label (`acme` in `acme.zendesk.com`), a `hostname` is dotted labels (`acme.my.salesforce.com`),
 * a `path_segment` one segment of a path (a tenant id), a `url` a whole https base URL (an issuer)
 * that may only open a template. None can hold `/`, `@`, `?`, `#` or `..` where it would change
 * the URL's host or path structure.
 */
export const CONFIG_FORMATS = ['subdomain', 'hostname', 'path_segment', 'url'] as const;

const literals = <const T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));

const ConfigFieldSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }),
    description: Type.String({ minLength: 1, maxLength: 300 }),
    required: Type.Boolean(),
    format: literals(CONFIG_FORMATS),
    /** A regular expression (anchored by the catalogue) the value must match besides its format. */
    pattern: Type.Optional(Type.String({ minLength: 1 })),
    enum: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true })),
    /** Used when the connection gives no value: the provider's usual host, a tenant such as `common`. */
    default: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/** A value from the flow kept beside the tokens, for later URLs (`{instance_url}` in `api_base_url`). */
const KeptMetadataSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }),
    /** The token response (`path` a dotted path in its JSON) or the redirect back (`path` a query parameter). */
    from: literals(['token_response', 'callback'] as const),
    path: Type.String({ minLength: 1, maxLength: 100 }),
    format: literals(CONFIG_FORMATS),
  },
  { additionalProperties: false },
);

const TokenResponseSchema = Type.Object(
  {
    /** Dotted path of the access token (Slack's user token is at `authed_user.access_token`). Default `access_token`. */
    access_token_path: Type.Optional(Type.String({ minLength: 1 })),
    /** Default `refresh_token`. */
    refresh_token_path: Type.Optional(Type.String({ minLength: 1 })),
    /** Default `expires_in`. */
    expires_in_path: Type.Optional(Type.String({ minLength: 1 })),
    /** Default `seconds` (RFC 6749 §5.1). */
    expires_in_unit: Type.Optional(literals(['seconds', 'milliseconds'] as const)),
    /**
     * When the response has no expiry: the lifetime to assume, or absent for a token that does
     * not expire (RFC 6749 §5.1 makes `expires_in` only RECOMMENDED).
     */
    assumed_lifetime_seconds: Type.Optional(Type.Integer({ minimum: 60 })),
    /** Where a refresh token's own lifetime is given, if anywhere (QuickBooks, LinkedIn). */
    refresh_token_expires_in_path: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * What a refresh answers about the refresh token: `rotated` (a new one, the old one may be
     * revoked at once: never refresh twice with it), `same` (returned again unchanged), or
     * `not_returned` (keep the one we hold). Default `rotated`, the safe assumption: it makes the
     * hub store whatever comes back before anything else.
     */
    refresh_token_on_refresh: Type.Optional(literals(['rotated', 'same', 'not_returned'] as const)),
    /** The provider reports errors with HTTP 200 (`{"ok": false}`, `{"error": …}`): read the body, not only the status. */
    errors_with_http_200: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** How the background refresh treats the entry's tokens (connectors/refresh/, docs/decisions/0013). */
const RefreshSchema = Type.Object(
  {
    /** Renew this long before the access token expires. Default 900 (15 minutes); a token living less than twice this gets half its lifetime. */
    margin_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    /** A refresh token that lapses when unused this long (the provider's documented idle lifetime): renewed before it does. */
    refresh_token_idle_seconds: Type.Optional(Type.Integer({ minimum: 120 })),
    /** Error codes of this provider meaning the grant is gone, besides invalid_grant and invalid_client (Slack's token_revoked). */
    reauth_error_codes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { uniqueItems: true })),
  },
  { additionalProperties: false },
);

/** How an API key travels on calls to the provider's API (auth_mode `api_key` only). */
const ApiKeyPlacementSchema = Type.Object(
  {
    in: literals(['header', 'query'] as const),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    /** Put before the key in the header (`Bearer `). */
    prefix: Type.Optional(Type.String({ maxLength: 50 })),
  },
  { additionalProperties: false },
);

const PARAMS = Type.Record(Type.String({ minLength: 1 }), Type.String());

export const ProviderDefinitionSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$' }),
    display_name: Type.String({ minLength: 1, maxLength: 100 }),
    auth_mode: literals(AUTH_MODES),
    categories: Type.Array(literals(CATEGORIES), { minItems: 1, uniqueItems: true }),
    docs_url: Type.String({ pattern: '^https://' }),
    config_fields: Type.Optional(Type.Array(ConfigFieldSchema)),
    authorization_url: Type.Optional(TEMPLATE),
    token_url: Type.Optional(TEMPLATE),
    /** Default: the token URL. */
    refresh_url: Type.Optional(TEMPLATE),
    /** OpenID Connect discovery (`{issuer}/.well-known/openid-configuration`) instead of fixed endpoints. */
    issuer: Type.Optional(TEMPLATE),
    /** Default a space (RFC 6749 §3.3). */
    scope_separator: Type.Optional(literals([' ', ','] as const)),
    default_scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }))),
    authorization_params: Type.Optional(PARAMS),
    token_params: Type.Optional(PARAMS),
    refresh_params: Type.Optional(PARAMS),
    /** Default `client_secret_basic`, the method every server must support (RFC 6749 §2.3.1). */
    client_authentication: Type.Optional(literals(['client_secret_basic', 'client_secret_post'] as const)),
    /** Default `form` (RFC 6749 §4.1.3). */
    token_body_format: Type.Optional(literals(['form', 'json'] as const)),
    /** Default false: on only where the provider is known to accept S256 (RFC 7636). */
    pkce: Type.Optional(Type.Boolean()),
    token_response: Type.Optional(TokenResponseSchema),
    refresh: Type.Optional(RefreshSchema),
    kept_metadata: Type.Optional(Type.Array(KeptMetadataSchema)),
    api_key: Type.Optional(ApiKeyPlacementSchema),
    /** The base of calls made with the credentials; may name kept metadata as well as config fields. */
    api_base_url: Type.Optional(TEMPLATE),
    /** Config that renders every template: the tests render each entry from it, and start-up checks it. */
    example_config: PARAMS,
  },
  { additionalProperties: false },
);

export type ProviderDefinition = Static<typeof ProviderDefinitionSchema>;
export type ConfigFieldDefinition = Static<typeof ConfigFieldSchema>;
