import type { AuthMode, Provider } from './provider.ts';

// What GET /api/v2/connector-providers shows of an entry: enough for a partner to pick a
// provider and fill in a connection's config, nothing of how the hub talks to it. snake_case,
// as on the wire; a public contract (issue 11): add fields, never rename.

export interface ConfigFieldView {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  readonly format: string;
  /** Anchored, as the hub applies it (`^(?:…)$`). */
  readonly pattern?: string;
  readonly enum?: readonly string[];
  readonly default?: string;
}

export interface ProviderView {
  readonly id: string;
  readonly display_name: string;
  readonly auth_mode: AuthMode;
  readonly categories: readonly string[];
  readonly docs_url: string;
  readonly config_fields: readonly ConfigFieldView[];
  /** Used when an app connector names no scopes. */
  readonly default_scopes: readonly string[];
}

export function providerView(provider: Provider): ProviderView {
  return {
    id: provider.id,
    display_name: provider.displayName,
    auth_mode: provider.authMode,
    categories: [...provider.categories],
    docs_url: provider.docsUrl,
    config_fields: provider.configFields.map((field) => ({
      name: field.name,
      description: field.description,
      required: field.required,
      format: field.format,
      ...(field.pattern === null ? {} : { pattern: field.pattern.source }),
      ...(field.enum === null ? {} : { enum: [...field.enum] }),
      ...(field.default === null ? {} : { default: field.default }),
    })),
    default_scopes: [...(provider.oauth?.defaultScopes ?? [])],
  };
}

/** Every entry, ordered by id (a stable order for listings and ETags). */
export function providerViews(providers: Iterable<Provider>): ProviderView[] {
  return [...providers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(providerView);
}
