import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { collectInvalid, InvalidInputError, NotFoundError, throwIfInvalid } from '../lib/errors.ts';
import { isValidScopeToken } from '../lib/scope.ts';
import { changeSettings } from './orgs.ts';
import type { CustomScope } from './settings.ts';

/** Scopes with a meaning fixed by OpenID Connect Core §5.4 and §11: an org cannot redefine them. */
const RESERVED_SCOPES = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);
/** Claims with a fixed meaning: a custom attribute must not masquerade as one. */
const RESERVED_CLAIMS = new Set([
  'sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid', 'at_hash',
  'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website',
  'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'address', 'updated_at',
  'account_id', 'client_id', 'scope',
]);
const ATTRIBUTE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export function checkAttributeName(name: string, field = 'attributes'): string {
  // The rules without the name, for the edges that must not echo what was typed (the console's field errors).
  if (!ATTRIBUTE_NAME.test(name)) throw new InvalidInputError(field, `'${name}' is not a valid attribute name: use lowercase letters, digits and _ (starting with a letter, up to 64)`, { rule: 'each attribute name must be lowercase letters, digits and _ (starting with a letter, up to 64)' });
  if (RESERVED_CLAIMS.has(name)) throw new InvalidInputError(field, `'${name}' is a standard claim and cannot be a custom attribute`, { rule: 'a standard claim (name, email, sub, …) cannot be a custom attribute' });
  return name;
}

/** How a write of custom scopes meets what others did since it was asked for. */
export interface CustomScopeWriteOptions {
  /** The organization's `updatedAt` the caller read (a form): StaleVersionError if it changed since. */
  readonly expectedVersion?: number;
  /** Refuse to redefine an existing scope (a form adding one must not overwrite another's). */
  readonly onlyIfNew?: boolean;
}

/** A custom scope with its name, as listed. */
export interface NamedCustomScope extends CustomScope {
  readonly name: string;
}

/**
 * Custom scopes are kept as the keys of one JSON object, and `__proto__` is the one key such an
 * object does not hold like the others: an assignment to it replaces the prototype, and JSON
 * bodies carrying it are refused by Fastify's parser (prototype poisoning). Other names of
 * Object.prototype (`constructor`, `toString`) are ordinary keys, which every lookup reads with
 * Object.hasOwn. Refused when a scope is set; one stored before can still be deleted.
 */
const UNSTORABLE_SCOPE_NAMES = new Set(['__proto__']);

// The messages name the rule, not the name: it comes from the API's path (PUT and DELETE
// /api/v2/scopes/{name}), and a 404 or 400 never quotes the path it answers.
function checkScopeName(name: string): string {
  if (!isValidScopeToken(name) || name.length > 64) throw new InvalidInputError('name', 'must be a scope token (RFC 6749 §3.3: printable ASCII without spaces, quotes or backslashes) of at most 64 characters');
  if (RESERVED_SCOPES.has(name)) throw new InvalidInputError('name', 'is a scope defined by OpenID Connect, which cannot be redefined');
  return name;
}

/**
 * What setCustomScope would refuse of this scope, every bad field named at once: its name, its
 * description, its attributes. A field left undefined is not judged (a request's field its schema
 * already refused).
 */
export function customScopeErrors(name: string | undefined, scope: Partial<CustomScope>): readonly InvalidInputError[] {
  return judgeCustomScope(name, scope).errors;
}

function judgeCustomScope(name: string | undefined, scope: Partial<CustomScope>): { errors: InvalidInputError[]; checked: Partial<CustomScope> } {
  const errors: InvalidInputError[] = [];
  if (name !== undefined) {
    collectInvalid(errors, () => checkScopeName(name));
    if (UNSTORABLE_SCOPE_NAMES.has(name)) errors.push(new InvalidInputError('name', 'is reserved; choose another name'));
  }
  const description = scope.description?.trim();
  if (description !== undefined && (description.length === 0 || description.length > 200)) errors.push(new InvalidInputError('description', 'must be 1 to 200 characters'));
  const attributes = scope.attributes === undefined ? undefined : collectInvalid(errors, () => [...new Set(scope.attributes!.map((a) => checkAttributeName(a)))]);
  return { errors, checked: { description, attributes } };
}

/** An org's custom scopes, sorted by name. */
export function namedCustomScopes(scopes: Readonly<Record<string, CustomScope>>): NamedCustomScope[] {
  return Object.entries(scopes)
    .map(([name, scope]) => ({ name, description: scope.description, attributes: scope.attributes }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Defines (or redefines) an org's custom scope and the constituent attributes it releases at
 * userinfo, e.g. Neos's `patreon` releasing `patreon_tier`. Staff do it through defineCustomScope
 * (scope-admin.ts), which checks their permission and records it.
 */
export async function setCustomScope(
  db: Executor,
  clock: Clock,
  orgId: string,
  name: string,
  scope: CustomScope,
  options: CustomScopeWriteOptions = {},
): Promise<{ readonly scope: NamedCustomScope; readonly created: boolean }> {
  const { errors, checked } = judgeCustomScope(name, scope);
  throwIfInvalid(errors);
  const { description, attributes } = checked as CustomScope;
  const created = await changeCustomScopes(db, clock, orgId, (scopes) => {
    // Object.hasOwn, not the destructured value: `toString` would find Object.prototype's.
    const exists = Object.hasOwn(scopes, name);
    if (options.onlyIfNew === true && exists) throw new InvalidInputError('name', 'is the name of a custom scope already: choose another, or edit that scope');
    const { [name]: _existing, ...others } = scopes;
    return { scopes: { ...others, [name]: { description, attributes } }, result: !exists };
  }, options);
  return { scope: { name, description, attributes }, created };
}

/**
 * Removes a custom scope. Userinfo reads the scopes at every call, so its attributes stop being
 * released at once, tokens already issued included; discovery stops advertising it.
 */
export async function deleteCustomScope(db: Executor, clock: Clock, orgId: string, name: string): Promise<void> {
  checkScopeName(name);
  await changeCustomScopes(db, clock, orgId, (scopes) => {
    if (!Object.hasOwn(scopes, name)) throw new NotFoundError('scope', name);
    const { [name]: _removed, ...others } = scopes;
    return { scopes: others, result: undefined };
  });
}

function changeCustomScopes<T>(
  db: Executor,
  clock: Clock,
  orgId: string,
  change: (scopes: Readonly<Record<string, CustomScope>>) => { scopes: Record<string, CustomScope>; result: T },
  options: { readonly expectedVersion?: number } = {},
): Promise<T> {
  return changeSettings(db, clock, orgId, (settings) => {
    const { scopes, result } = change(settings.customScopes);
    return { settings: { ...settings, customScopes: scopes }, result };
  }, options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion });
}
