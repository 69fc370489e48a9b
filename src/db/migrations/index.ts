import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.ts';

/** Every migration, in order. Names sort in application order; never rename or edit a landed one. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_foundation': m0001,
};
