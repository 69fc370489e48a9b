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

/** True when a statement failed because a FOREIGN KEY constraint would be broken (a row still referenced, or a reference to none). */
export function isForeignKeyViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  // PostgreSQL SQLSTATE 23503 foreign_key_violation. SQLite: SQLITE_CONSTRAINT_FOREIGNKEY (787) for
  // a reference to no row; an ON DELETE RESTRICT refusal comes as SQLITE_CONSTRAINT_TRIGGER (1811)
  // with the same "FOREIGN KEY constraint failed" message, which alone tells it from a trigger's.
  if (code === '23503') return true;
  if (code !== 'ERR_SQLITE_ERROR') return false;
  return errcode === 787 || (errcode === 1811 && error instanceof Error && error.message === 'FOREIGN KEY constraint failed');
}

/**
 * A driver error that means the store itself is unusable (locked, read-only, full, gone), as a
 * StorageError with advice; undefined for anything else (a bug, or a constraint the caller maps).
 */
export function asStorageError(error: unknown): StorageError | undefined {
  if (error instanceof StorageError) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errcode, message } = error as { code?: unknown; errcode?: unknown; message?: unknown };
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') {
    // SQLite primary result codes: 5 BUSY, 6 LOCKED, 8 READONLY, 10 IOERR, 11 CORRUPT, 13 FULL, 26 NOTADB.
    switch (errcode & 0xff) {
      case 5:
      case 6:
        return new StorageError('the SQLite database stayed locked by another process past the busy timeout; retry, or stop the process holding it');
      case 8:
        return new StorageError('the SQLite database is read-only; check the permissions of DATA_DIR and its files');
      case 10:
      case 13:
        return new StorageError(`the SQLite database could not be written (${String(message)}); check the disk holding DATA_DIR`);
      case 11:
      case 26:
        return new StorageError('the SQLite database is corrupt; restore it from a backup');
    }
  }
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P01' || code === '57P03') {
    return new StorageError(`lost the connection to PostgreSQL (${String(code)}); is the server running?`);
  }
  return undefined;
}
