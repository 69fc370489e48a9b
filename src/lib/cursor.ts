import { InvalidInputError } from './errors.ts';

/**
 * Opaque pagination cursors: the sort key of the last item returned, as base64url JSON. Clients
 * pass them back unchanged; anything else is refused as invalid input, never a 500.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The parts of a cursor a key can hold: `integer`, a safe integer (every integer key is a bigint
 * column of milliseconds, and PostgreSQL refuses a fraction or a number out of its range with an
 * error); `string`, text without NUL (which PostgreSQL text cannot hold).
 */
export type CursorPart = 'integer' | 'string';

/** A cursor far longer than any this API returns is refused before it is decoded. */
const MAX_CURSOR_LENGTH = 512;

export function decodeCursor(cursor: string, shape: readonly CursorPart[]): (string | number)[] {
  const invalid = new InvalidInputError('cursor', 'is not a cursor returned by this API');
  if (cursor.length > MAX_CURSOR_LENGTH) throw invalid;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(key) || key.length !== shape.length || !key.every((part, i) => fits(part, shape[i]!))) throw invalid;
  return key as (string | number)[];
}

function fits(part: unknown, kind: CursorPart): boolean {
  return kind === 'integer' ? Number.isSafeInteger(part) : typeof part === 'string' && !part.includes('\u0000');
}
