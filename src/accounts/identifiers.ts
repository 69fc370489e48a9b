import { InvalidInputError } from '../lib/errors.ts';
import { hasControlCharacters } from '../lib/text-rules.ts';

/**
 * A login name as typed, checked: 1-128 characters, no control or invisible formatting characters,
 * no white space at either end. Returns it NFC-normalized.
 */
export function checkLoginName(raw: string, field = 'username'): string {
  const loginName = raw.normalize('NFC');
  const length = [...loginName].length;
  if (length === 0 || length > 128) throw new InvalidInputError(field, 'must be 1 to 128 characters');
  if (loginName.trim() !== loginName) throw new InvalidInputError(field, 'must not start or end with white space');
  if (hasControlCharacters(loginName)) throw new InvalidInputError(field, 'must not contain control characters');
  return loginName;
}

/** The key under which login names are unique and looked up: 'Alice', 'alice' and 'ＡＬＩＣＥ' are one login. */
export function loginNameKey(loginName: string): string {
  return loginName.normalize('NFKC').toLowerCase();
}
