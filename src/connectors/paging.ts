import { decodeCursor, encodeCursor } from '../lib/cursor.ts';

export interface PageQuery {
  readonly limit: number;
  /** The nextCursor of the previous page. */
  readonly cursor?: string;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

/** A page of a list ordered by (createdAt, id): one more row is read to know whether another page follows. */
export async function pageByCreation<T extends { readonly createdAt: number; readonly id: string }>(
  query: PageQuery,
  load: (page: { readonly limit: number; readonly after?: readonly [number, string] }) => Promise<T[]>,
): Promise<Page<T>> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ['integer', 'string']);
  const rows = await load({ limit: query.limit + 1, ...(after === undefined ? {} : { after: [Number(after[0]), String(after[1])] as const }) });
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor([last.createdAt, last.id]) : null };
}
