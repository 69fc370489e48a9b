import { checkValue } from './catalogue/templates.ts';
import type { Provider } from './catalogue/provider.ts';
import { hasControlCharacters } from '../lib/text-rules.ts';
import { InvalidInputError } from '../lib/errors.ts';

// The rules of the hub's inputs that need no store: each returns the errors it finds, naming the
// field as the API does (`config.subdomain`, `properties.ClientId`), so one 400 names them all.

/** An account id the org chooses: its own customer id, as it will appear in URLs (`/accounts/{id}/signintoken`). */
const ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const ACCOUNT_ID_RULE = 'must be 1 to 100 letters, digits and . _ - (starting with a letter or digit)';

export function accountIdErrors(id: string, field = 'id'): InvalidInputError[] {
  return ACCOUNT_ID.test(id) ? [] : [new InvalidInputError(field, ACCOUNT_ID_RULE)];
}

export const MAX_SCOPES = 100;
const SCOPE = /^[\x21-\x7e]{1,200}$/;

/** Scopes as a provider's authorization request will carry them: printable, no spaces, nor the provider's separator. */
export function scopesErrors(provider: Provider | undefined, scopes: readonly string[], field = 'scopes'): InvalidInputError[] {
  if (scopes.length > MAX_SCOPES) return [new InvalidInputError(field, `must hold at most ${MAX_SCOPES} scopes`)];
  const separator = provider?.oauth?.scopeSeparator ?? ' ';
  return scopes.flatMap((scope, i) =>
    SCOPE.test(scope) && !scope.includes(separator) ? [] : [new InvalidInputError(`${field}[${i}]`, `must be 1 to 200 printable characters without spaces${separator === ',' ? ' or commas' : ''}`)],
  );
}

/**
 * Config values judged by the provider's config fields: a name it does not declare, or a value
 * off its format, list or pattern, is an error naming `config.<name>`. Required fields are not
 * asked for here: an app connector and its account connectors each hold part of them, and the
 * flow that renders the provider's URLs names what is missing.
 */
export function configErrors(provider: Provider, config: Readonly<Record<string, string>>, options: { readonly allowHttp?: boolean; readonly field?: string } = {}): InvalidInputError[] {
  const field = options.field ?? 'config';
  return Object.entries(config).flatMap(([name, value]) => {
    const spec = provider.configFields.find((f) => f.name === name);
    if (spec === undefined) {
      const known = provider.configFields.map((f) => f.name);
      return [new InvalidInputError(`${field}.${name}`, `is not a config field of ${provider.id}${known.length === 0 ? ' (it takes none)' : ` (it takes: ${known.join(', ')})`}`)];
    }
    const checked = checkValue(spec.format, value, { allowHttp: options.allowHttp === true });
    if ('rule' in checked) return [new InvalidInputError(`${field}.${name}`, checked.rule)];
    if (spec.enum !== null && !spec.enum.includes(value)) return [new InvalidInputError(`${field}.${name}`, `must be one of: ${spec.enum.join(', ')}`)];
    if (spec.pattern !== null && !spec.pattern.test(value)) return [new InvalidInputError(`${field}.${name}`, `must match ${spec.pattern.source}`)];
    return [];
  });
}

export const MAX_PROPERTIES = 50;
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_PROPERTY_VALUE_LENGTH = 4000;

/** Property names are identifiers (ClientId, ApiKey); values are text without control characters. null (PATCH) removes one. */
export function propertiesErrors(properties: Readonly<Record<string, string | null>>, field = 'properties'): InvalidInputError[] {
  const entries = Object.entries(properties);
  if (entries.length > MAX_PROPERTIES) return [new InvalidInputError(field, `must hold at most ${MAX_PROPERTIES} properties`)];
  return entries.flatMap(([name, value]) => {
    if (!PROPERTY_NAME.test(name)) return [new InvalidInputError(`${field}.${name}`, 'is not a property name: a letter, then up to 63 letters, digits and _')];
    if (value === null) return [];
    if (value.length === 0 || value.length > MAX_PROPERTY_VALUE_LENGTH || hasControlCharacters(value)) {
      return [new InvalidInputError(`${field}.${name}`, `must be 1 to ${MAX_PROPERTY_VALUE_LENGTH} characters without control characters`)];
    }
    return [];
  });
}
