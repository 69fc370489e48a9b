import { InvalidInputError } from './errors.ts';

/**
 * Opaque pagination cursors: the sort key of the last item returned, as base64url JSON. Clients
 * pass them back unchanged; anything else is refused as invalid input, never a 500.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInputError('cursor', 'is not a cursor returned by this API');
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((v, i) => typeof v !== shape[i])) {
    throw new InvalidInputError('cursor', 'is not a cursor returned by this API');
  }
  return key as (string | number)[];
}
