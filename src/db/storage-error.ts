/** The store cannot be opened or used. The message says what is wrong and what to do. */
export class StorageError extends Error {}

/** True when a statement failed because a UNIQUE or PRIMARY KEY constraint would be broken. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  // PostgreSQL SQLSTATE 23505 unique_violation.
  if (code === '23505') return true;
  // SQLite extended result codes SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555).
  return code === 'ERR_SQLITE_ERROR' && (errcode === 2067 || errcode === 1555);
}
