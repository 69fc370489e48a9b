// What can go wrong opening or sealing a vault value. Messages name the organization and the data
// key (ids, no secret) and never the plaintext or the ciphertext, so they may be logged as they are.

/** Why a sealed value did not open. */
export type VaultOpenFailure =
  /** Not a vault value at all: truncated, another format, or sealed under the root key instead. */
  | 'malformed'
  /**
   * Its data key is not one of this organization's: sealed for another organization (each has its
   * own keys), or its key was deleted.
   */
  | 'unknown_key'
  /**
   * AES-GCM refused it: the ciphertext or its tag was altered, or it was sealed for another row or
   * column (another associated data). The two cannot be told apart, by design.
   */
  | 'rejected';

/** A sealed value that does not open for this organization and row. The caller decides what that means (a connector needing re-authentication, a 500 of its own). */
export class VaultOpenError extends Error {
  readonly failure: VaultOpenFailure;
  constructor(failure: VaultOpenFailure, message: string) {
    super(message);
    this.name = 'VaultOpenError';
    this.failure = failure;
  }
}

/**
 * A data key of the store does not open under the configured root key: the server runs with
 * another root key than the one that sealed the organization's keys, or the key's row was altered.
 * Nothing can be sealed or opened for the organization until the right root key is configured.
 */
export class DataKeyUnavailableError extends Error {
  readonly orgId: string;
  readonly keyId: string;
  constructor(orgId: string, keyId: string, reason: string) {
    super(`data key ${keyId} of organization ${orgId} does not open under the configured root key (${reason})`);
    this.name = 'DataKeyUnavailableError';
    this.orgId = orgId;
    this.keyId = keyId;
  }
}
