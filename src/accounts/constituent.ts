// The constituent's value types: a leaf, so the repository and every domain file can name them
// without importing each other.

export type ConstituentStatus = 'active' | 'disabled';

/** What an attribute may hold: JSON scalars, released to clients as claims of the same type. */
export type AttributeValue = string | number | boolean | null;

/** A constituent as the rest of the system sees it: no password hash. */
export interface Constituent {
  readonly orgId: string;
  readonly accountId: string;
  readonly loginName: string;
  readonly email: string | null;
  readonly emailVerified: boolean;
  readonly displayName: string | null;
  readonly pictureUrl: string | null;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly status: ConstituentStatus;
  readonly updatedAt: number;
}

/** A constituent as its administrators see it: the account plus when it was created. */
export interface ConstituentRecord extends Constituent {
  readonly createdAt: number;
}
