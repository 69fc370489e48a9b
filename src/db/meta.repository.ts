import type { Executor } from './database.ts';

/**
 * Records `key` once. True when this call recorded it, false when it was already there: the way
 * to do a one-time step (such as creating the demo organization) exactly once, even when two
 * processes start together.
 */
export async function claimMetaKey(db: Executor, key: string, value: string): Promise<boolean> {
  const inserted = await db
    .insertInto('gatehouse_meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  return inserted !== undefined;
}
