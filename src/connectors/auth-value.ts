import { InvalidInputError, InvalidInputsError } from '../lib/errors.ts';
import type { Credentials } from './connector.ts';

// The seed's AuthValue: an account connector's tokens, given as serialized JSON
// {"AccessToken", "RefreshToken", "Expires", "RefreshExpires"} and imported as they are, or "{}":
// "obtain them yourself on the next call".

/** What an AuthValue asks for. */
export type AuthValue = { readonly kind: 'import'; readonly credentials: Credentials } | { readonly kind: 'self_authenticate' };

const FIELDS = ['AccessToken', 'RefreshToken', 'Expires', 'RefreshExpires', 'TokenType'] as const;
const MAX_AUTH_VALUE_LENGTH = 16 * 1024;
const MAX_TOKEN_LENGTH = 8 * 1024;
// RFC 3339 date-time with its offset: a time without one would be read in the server's zone.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/i;

/** The time a date-time names, or NaN; a day the month lacks (Date.parse rolls 02-31 into March) is NaN too. */
function parseDateTime(text: string): number {
  const match = DATE_TIME.exec(text);
  if (match === null) return Number.NaN;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = match[9] === undefined || (Number(match[9]) <= 23 && Number(match[10]) <= 59);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || !offsetOk) return Number.NaN;
  return Date.parse(text);
}

/**
 * Reads a serialized AuthValue, or throws InvalidInputError naming the field at fault
 * (`auth_value` for what is not a JSON object, `auth_value.Expires` for a bad date, …; every
 * field's error at once). The messages never quote the value: it holds tokens.
 */
export function parseAuthValue(text: string, field = 'auth_value'): AuthValue {
  if (text.length > MAX_AUTH_VALUE_LENGTH) throw new InvalidInputError(field, `must be at most ${MAX_AUTH_VALUE_LENGTH} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidInputError(field, 'must be a serialized JSON object ({"AccessToken": …} or {})');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(field, 'must be a serialized JSON object ({"AccessToken": …} or {})');
  const record: Readonly<Record<string, unknown>> = Object.fromEntries(Object.entries(value));
  if (Object.keys(record).length === 0) return { kind: 'self_authenticate' };

  const errors: InvalidInputError[] = Object.keys(record)
    .filter((key) => !(FIELDS as readonly string[]).includes(key))
    .map((key) => new InvalidInputError(`${field}.${key}`, `is not an AuthValue field (they are ${FIELDS.join(', ')})`));
  const tokenField = (key: string, required: boolean): string | null => {
    const item = record[key];
    if (item === undefined || item === null) {
      if (required) errors.push(new InvalidInputError(`${field}.${key}`, 'is required (or send "{}" for the hub to authenticate itself)'));
      return null;
    }
    if (typeof item !== 'string' || item.length === 0 || item.length > MAX_TOKEN_LENGTH || /[\s\x00-\x1f\x7f]/.test(item)) {
      errors.push(new InvalidInputError(`${field}.${key}`, `must be a string of 1 to ${MAX_TOKEN_LENGTH} characters without spaces or control characters`));
      return null;
    }
    return item;
  };
  const date = (key: string): number | null => {
    const item = record[key];
    if (item === undefined || item === null) return null;
    const time = typeof item === 'string' ? parseDateTime(item) : Number.NaN;
    if (Number.isNaN(time)) {
      errors.push(new InvalidInputError(`${field}.${key}`, 'must be a date-time with its offset, such as 2030-10-01T00:00:00Z'));
      return null;
    }
    return time;
  };
  const accessToken = tokenField('AccessToken', true);
  const refreshToken = tokenField('RefreshToken', false);
  const tokenType = tokenField('TokenType', false);
  const accessExpiresAt = date('Expires');
  const refreshExpiresAt = date('RefreshExpires');
  // A missing AccessToken is among the errors, so an import without one never gets here.
  if (accessToken === null || errors.length > 0) throw errors.length === 1 ? errors[0]! : new InvalidInputsError(errors);
  return { kind: 'import', credentials: { accessToken, refreshToken, tokenType: tokenType ?? 'Bearer', accessExpiresAt, refreshExpiresAt, metadata: {} } };
}
