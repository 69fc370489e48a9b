import { CatalogueEntryError } from './catalogue-errors.ts';
import type { ConfigFormat } from './provider.ts';
import type { ConfigFieldDefinition, ProviderDefinition } from './provider-schema.ts';
import { checkTemplate, checkValue, placeholdersOf } from './templates.ts';

// The rules between an entry's fields that a schema cannot say: which settings each auth mode
// takes, templates naming only what the entry declares, parameters the hub sets itself. Each
// throws a CatalogueEntryError naming the entry and the field.

const OAUTH_SETTINGS = [
  'authorization_url',
  'token_url',
  'refresh_url',
  'issuer',
  'scope_separator',
  'default_scopes',
  'authorization_params',
  'token_params',
  'refresh_params',
  'client_authentication',
  'token_body_format',
  'pkce',
  'token_response',
  'refresh',
] as const;

/** Set by the hub for every request (RFC 6749 §4.1.1, RFC 7636 §4.3): an entry may not override them. */
const RESERVED_AUTHORIZATION_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'];
/** RFC 6749 §4.1.3, §6, §2.3.1 and RFC 7636 §4.5. */
const RESERVED_TOKEN_PARAMS = ['grant_type', 'code', 'redirect_uri', 'client_id', 'client_secret', 'code_verifier', 'refresh_token'];

export function checkEntryRules(entry: ProviderDefinition): void {
  const fail = (field: string, problem: string): never => {
    throw new CatalogueEntryError(entry.id, field, problem);
  };
  const fields = entry.config_fields ?? [];
  fields.forEach((field, index) => checkConfigField(field, `config_fields[${index}]`, fail));
  const fieldNames = fields.map((field) => field.name);
  fieldNames.forEach((name, index) => fieldNames.indexOf(name) !== index && fail(`config_fields[${index}].name`, `'${name}' is declared twice`));
  const kept = entry.kept_metadata ?? [];
  kept.forEach((item, index) => (fieldNames.includes(item.name) || kept.findIndex((other) => other.name === item.name) !== index) && fail(`kept_metadata[${index}].name`, `'${item.name}' is declared twice`));

  checkAuthMode(entry, fail);
  checkTemplates(entry, fields, fail);
  checkParams(entry.authorization_params, 'authorization_params', RESERVED_AUTHORIZATION_PARAMS, fail);
  checkParams(entry.token_params, 'token_params', RESERVED_TOKEN_PARAMS, fail);
  checkParams(entry.refresh_params, 'refresh_params', RESERVED_TOKEN_PARAMS, fail);
  (entry.default_scopes ?? []).forEach((scope, index) => scope.includes(entry.scope_separator ?? ' ') && fail(`default_scopes[${index}]`, 'contains the scope separator'));
  for (const name of Object.keys(entry.example_config)) {
    if (!fieldNames.includes(name)) fail(`example_config.${name}`, 'is not a config field of this entry');
  }
}

type Fail = (field: string, problem: string) => never;

function checkConfigField(field: ConfigFieldDefinition, at: string, fail: Fail): void {
  let pattern: RegExp | null = null;
  if (field.pattern !== undefined) {
    try {
      pattern = new RegExp(`^(?:${field.pattern})$`);
    } catch {
      fail(`${at}.pattern`, 'is not a regular expression');
    }
  }
  const judge = (value: string, where: string): void => {
    const checked = checkValue(field.format, value);
    if ('rule' in checked) fail(where, `${checked.rule} (format ${field.format})`);
    if (pattern !== null && !pattern.test(value)) fail(where, `does not match the field's pattern`);
  };
  field.enum?.forEach((value, index) => judge(value, `${at}.enum[${index}]`));
  if (field.default !== undefined) {
    judge(field.default, `${at}.default`);
    if (field.enum !== undefined && !field.enum.includes(field.default)) fail(`${at}.default`, 'is not one of the enum values');
  }
}

function checkAuthMode(entry: ProviderDefinition, fail: Fail): void {
  const present = OAUTH_SETTINGS.filter((name) => entry[name] !== undefined);
  switch (entry.auth_mode) {
    case 'api_key':
    case 'basic':
      if (present.length > 0) fail(present[0]!, `is not used by auth_mode ${entry.auth_mode}`);
      if (entry.auth_mode === 'api_key' && entry.api_key === undefined) fail('api_key', 'is required by auth_mode api_key (where the key goes)');
      if (entry.auth_mode === 'basic' && entry.api_key !== undefined) fail('api_key', 'is not used by auth_mode basic');
      return;
    case 'oauth2':
      if (entry.api_key !== undefined) fail('api_key', 'is not used by auth_mode oauth2');
      if (entry.issuer !== undefined) {
        for (const name of ['authorization_url', 'token_url', 'refresh_url'] as const) {
          if (entry[name] !== undefined) fail(name, 'must be absent when the endpoints are discovered from issuer');
        }
        return;
      }
      if (entry.authorization_url === undefined) fail('authorization_url', 'is required by auth_mode oauth2 (or an issuer to discover it from)');
      if (entry.token_url === undefined) fail('token_url', 'is required by auth_mode oauth2 (or an issuer to discover it from)');
      return;
    case 'oauth2_client_credentials':
      if (entry.api_key !== undefined) fail('api_key', 'is not used by auth_mode oauth2_client_credentials');
      for (const name of ['authorization_url', 'authorization_params', 'pkce'] as const) {
        if (entry[name] !== undefined) fail(name, 'is not used by auth_mode oauth2_client_credentials (no browser, no code)');
      }
      if (entry.issuer !== undefined && entry.token_url !== undefined) fail('token_url', 'must be absent when the endpoints are discovered from issuer');
      if (entry.issuer === undefined && entry.token_url === undefined) fail('token_url', 'is required by auth_mode oauth2_client_credentials (or an issuer to discover it from)');
      return;
  }
}

function checkTemplates(entry: ProviderDefinition, fields: readonly ConfigFieldDefinition[], fail: Fail): void {
  const formatOfField = (name: string): ConfigFormat | undefined => fields.find((field) => field.name === name)?.format;
  const formatOfAny = (name: string): ConfigFormat | undefined => formatOfField(name) ?? entry.kept_metadata?.find((kept) => kept.name === name)?.format;
  for (const name of ['authorization_url', 'token_url', 'refresh_url', 'issuer', 'api_base_url'] as const) {
    const template = entry[name];
    if (template === undefined) continue;
    // Only the API base may use what the flow returns: the flow's own endpoints are needed before it.
    const problem = checkTemplate(template, name === 'api_base_url' ? formatOfAny : formatOfField);
    if (problem !== null) fail(name, problem);
    if (name === 'api_base_url') continue;
    for (const placeholder of placeholdersOf(template)) {
      const field = fields.find((candidate) => candidate.name === placeholder)!;
      if (!field.required && field.default === undefined) fail(name, `placeholder {${placeholder}} names an optional field without a default`);
    }
  }
}

function checkParams(params: Readonly<Record<string, string>> | undefined, at: string, reserved: readonly string[], fail: Fail): void {
  for (const name of Object.keys(params ?? {})) {
    if (reserved.includes(name)) fail(`${at}.${name}`, 'is set by the hub on every request, not by the catalogue');
  }
}
