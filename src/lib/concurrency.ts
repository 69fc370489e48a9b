import { ConflictError, StaleVersionError } from './errors.ts';

/**
 * Thrown by one attempt of a use case whose conditional UPDATE (`… WHERE updated_at = <read>`)
 * matched no row: another change committed between its read and its write.
 */
export class LostRaceError extends Error {
  constructor() {
    super('a concurrent change committed between the read and the write');
  }
}

/**
 * Runs `attempt` (a read, the rules, a conditional write: all inside the caller's transaction)
 * and settles a lost race the way the caller asked:
 * - with `expectedVersion` (If-Match), the caller's copy is now stale: StaleVersionError (412);
 * - without, the caller asked for its change whatever the current version: the attempt reads
 *   again and runs once more on the version now current. Losing twice in a row is a
 *   ConflictError (409) to retry, rather than a loop under contention.
 */
export async function retryOnceOnLostRace<T>(what: string, expectedVersion: number | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof LostRaceError)) throw error;
      if (expectedVersion !== undefined) throw new StaleVersionError(`${what} was changed at the same time; read it again`);
      if (tries >= 2) throw new ConflictError('version', `${what} was changed by other requests at the same time; try again`);
    }
  }
}
