import { randomBase32 } from './random.ts';

/**
 * Identifier kinds and their prefixes. A prefix tells a person reading a log or a support ticket
 * what an id names; the 20 base32 characters after it (100 bits) make ids unguessable and
 * globally unique, so an id of one organization can never name a record of another.
 */
export const ID_PREFIXES = {
  organization: 'org',
  staffUser: 'stf',
  apiKey: 'key',
  auditEvent: 'evt',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomBase32(20)}`;
}
