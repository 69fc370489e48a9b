import { InvalidInputError } from './errors.ts';

// Rules for text people type that every capability shares: names (of people, apps,
// organizations) and email addresses. Login names, which only constituents have, stay in
// accounts/identifiers.ts.

const CONTROL_CHARACTERS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** True when the value holds control or invisible formatting characters (NUL, CR, LF, bidi marks…). */
export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}

// Deliberately loose (RFC 5321 allows far more than any regular expression should try to judge):
// one @, no white space, a dot in the domain, at most 254 characters (RFC 5321 §4.5.3.1.3).
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkEmail(raw: string, field = 'email'): string {
  const email = raw.trim();
  if (email.length > 254 || !EMAIL_PATTERN.test(email) || CONTROL_CHARACTERS.test(email)) {
    throw new InvalidInputError(field, `'${raw}' is not an email address`, { rule: 'must be an email address (at most 254 characters)' });
  }
  return email;
}

/** The key under which emails are unique and looked up. */
export function emailKey(email: string): string {
  return email.toLowerCase();
}

export function checkDisplayName(raw: string, field = 'name'): string {
  const name = raw.trim().normalize('NFC');
  if (name.length === 0 || [...name].length > 200) throw new InvalidInputError(field, 'must be 1 to 200 characters');
  if (CONTROL_CHARACTERS.test(name)) throw new InvalidInputError(field, 'must not contain control characters');
  return name;
}
