/**
 * The staff capability's values, as its domain, use cases and edges see them: no rows, no
 * storage. A leaf: it imports nothing of the capability.
 */

export type StaffUserStatus = 'active' | 'disabled';

export interface StaffUser {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: string;
  readonly status: StaffUserStatus;
  readonly hasPassword: boolean;
  readonly createdAt: number;
  /** The version an If-Match names: every change moves it forward. */
  readonly updatedAt: number;
}

/** An API key as listed: its public prefix and dates, never the secret. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly staffUserId: string;
  readonly prefix: string;
  readonly label: string | null;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

/** The staff user behind an audit event's actor: the user itself, or the owner of the API key it used. */
export interface ActorUser {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
}
