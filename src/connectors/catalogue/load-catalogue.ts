import { Value } from '@sinclair/typebox/value';
import { CatalogueEntryError, InvalidTemplateValueError, MissingTemplateValueError } from './catalogue-errors.ts';
import { checkEntryRules } from './entry-rules.ts';
import type { ConfigField, OAuthSettings, Provider } from './provider.ts';
import { type ProviderDefinition, ProviderDefinitionSchema } from './provider-schema.ts';
import { renderUrlTemplate } from './templates.ts';

export type Catalogue = ReadonlyMap<string, Provider>;

/** A token is renewed 15 minutes before it expires unless its entry says otherwise (docs/decisions/0013). */
export const DEFAULT_REFRESH_MARGIN_SECONDS = 900;

/**
 * Checks every definition and returns the providers by id. The first mistake throws a
 * CatalogueEntryError naming the entry and the field (`catalogue entry 'zendesk': token_url:
 * unknown placeholder {sub}`): the schema, the rules between fields (entry-rules.ts), then each
 * template rendered from the entry's example config, so a pattern that refuses its own example
 * is caught here and not by the first customer.
 */
export function loadCatalogue(definitions: readonly unknown[]): Catalogue {
  const providers = new Map<string, Provider>();
  definitions.forEach((definition, index) => {
    const entry = entryName(definition, index);
    if (!Value.Check(ProviderDefinitionSchema, definition)) {
      const schemaError = Value.Errors(ProviderDefinitionSchema, definition).First();
      throw new CatalogueEntryError(entry, fieldOfPath(schemaError?.path ?? ''), schemaError === undefined ? 'is malformed' : describeSchemaError(schemaError));
    }
    const checked = definition;
    if (providers.has(checked.id)) throw new CatalogueEntryError(entry, 'id', 'is used by an earlier entry');
    checkEntryRules(checked);
    const provider = toProvider(checked);
    renderExamples(provider, checked);
    providers.set(provider.id, provider);
  });
  return providers;
}

function entryName(definition: unknown, index: number): string {
  if (typeof definition === 'object' && definition !== null && 'id' in definition && typeof definition.id === 'string') return definition.id;
  return `#${index}`;
}

/** `/config_fields/0/pattern` → `config_fields[0].pattern`. */
function fieldOfPath(path: string): string {
  const parts = path.split('/').slice(1);
  if (parts.length === 0) return '(entry)';
  return parts.map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

function describeSchemaError(error: { readonly message: string; readonly schema: unknown }): string {
  const schema = error.schema;
  // A union of literals (auth_mode, format…) says "Expected union value"; name the choices instead.
  if (typeof schema === 'object' && schema !== null && 'anyOf' in schema && Array.isArray(schema.anyOf)) {
    const choices = schema.anyOf.map((member: unknown) => (typeof member === 'object' && member !== null && 'const' in member ? JSON.stringify(member.const) : null));
    if (choices.every((choice) => choice !== null)) return `must be one of ${choices.join(', ')}`;
  }
  return error.message.toLowerCase();
}

function toProvider(definition: ProviderDefinition): Provider {
  const configFields: ConfigField[] = (definition.config_fields ?? []).map((field) => ({
    name: field.name,
    description: field.description,
    required: field.required,
    format: field.format,
    pattern: field.pattern === undefined ? null : new RegExp(`^(?:${field.pattern})$`),
    enum: field.enum ?? null,
    default: field.default ?? null,
  }));
  return Object.freeze({
    id: definition.id,
    displayName: definition.display_name,
    authMode: definition.auth_mode,
    categories: Object.freeze([...definition.categories]),
    docsUrl: definition.docs_url,
    configFields: Object.freeze(configFields),
    oauth: definition.auth_mode === 'oauth2' || definition.auth_mode === 'oauth2_client_credentials' ? oauthSettings(definition) : null,
    apiKey: definition.api_key === undefined ? null : { in: definition.api_key.in, name: definition.api_key.name, prefix: definition.api_key.prefix ?? '' },
    keptMetadata: Object.freeze((definition.kept_metadata ?? []).map((kept) => ({ ...kept }))),
    apiBaseUrl: definition.api_base_url ?? null,
    exampleConfig: Object.freeze({ ...definition.example_config }),
  });
}

function oauthSettings(definition: ProviderDefinition): OAuthSettings {
  const response = definition.token_response ?? {};
  const tokenUrl = definition.token_url;
  return {
    endpoints:
      definition.issuer !== undefined || tokenUrl === undefined
        ? { kind: 'discovered', issuer: definition.issuer ?? '' }
        : { kind: 'templated', authorizationUrl: definition.authorization_url ?? null, tokenUrl, refreshUrl: definition.refresh_url ?? tokenUrl },
    scopeSeparator: definition.scope_separator ?? ' ',
    defaultScopes: Object.freeze([...(definition.default_scopes ?? [])]),
    authorizationParams: Object.freeze({ ...definition.authorization_params }),
    tokenParams: Object.freeze({ ...definition.token_params }),
    refreshParams: Object.freeze({ ...definition.refresh_params }),
    clientAuthentication: definition.client_authentication ?? 'client_secret_basic',
    tokenBodyFormat: definition.token_body_format ?? 'form',
    pkce: definition.pkce ?? false,
    tokenResponse: {
      accessTokenPath: response.access_token_path ?? 'access_token',
      refreshTokenPath: response.refresh_token_path ?? 'refresh_token',
      expiresInPath: response.expires_in_path ?? 'expires_in',
      expiresInUnit: response.expires_in_unit ?? 'seconds',
      assumedLifetimeSeconds: response.assumed_lifetime_seconds ?? null,
      refreshTokenExpiresInPath: response.refresh_token_expires_in_path ?? null,
      refreshTokenOnRefresh: response.refresh_token_on_refresh ?? 'rotated',
      errorsWithHttp200: response.errors_with_http_200 ?? false,
    },
    refresh: {
      marginMs: (definition.refresh?.margin_seconds ?? DEFAULT_REFRESH_MARGIN_SECONDS) * 1000,
      refreshTokenIdleMs: definition.refresh?.refresh_token_idle_seconds === undefined ? null : definition.refresh.refresh_token_idle_seconds * 1000,
      reauthErrorCodes: Object.freeze([...(definition.refresh?.reauth_error_codes ?? [])]),
    },
  };
}

const URL_TEMPLATES = ['authorization_url', 'token_url', 'refresh_url', 'issuer', 'api_base_url'] as const;

/** Renders each template from the example config (api_base_url only when it needs no kept metadata). */
function renderExamples(provider: Provider, definition: ProviderDefinition): void {
  for (const name of URL_TEMPLATES) {
    const template = definition[name];
    if (template === undefined) continue;
    if (name === 'api_base_url' && provider.keptMetadata.some((kept) => template.includes(`{${kept.name}}`))) continue;
    try {
      renderUrlTemplate(provider, template, { config: provider.exampleConfig });
    } catch (error) {
      if (error instanceof MissingTemplateValueError) throw new CatalogueEntryError(provider.id, `example_config.${error.field.slice('config.'.length)}`, `is missing, and ${name} needs it`);
      if (error instanceof InvalidTemplateValueError) throw new CatalogueEntryError(provider.id, `example_config.${error.field.slice('config.'.length)}`, error.rule);
      throw error;
    }
  }
}
