import type { Executor } from '../db/database.ts';
import { decodeCursor, encodeCursor } from '../lib/cursor.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { emailKey } from '../lib/text-rules.ts';
import { checkAttributeName } from '../orgs/custom-scopes.ts';
import type { ConstituentRecord, ConstituentStatus } from './constituent.ts';
import * as repository from './constituents.repository.ts';
import { loginNameKey } from './identifiers.ts';

export interface ConstituentSearch {
  readonly limit: number;
  /** Opaque, from a previous page's nextCursor. */
  readonly cursor?: string;
  /** Exact login name, compared as login names are unique (case-insensitive, NFKC). */
  readonly loginName?: string;
  /** Exact email, case-insensitive. */
  readonly email?: string;
  /** A prefix of the login name or of the email, case-insensitive. */
  readonly q?: string;
  readonly status?: ConstituentStatus;
  /** `name:value`: a custom attribute equal to value (`tier:gold`, `age:42`, `vip:true`). */
  readonly attribute?: string;
}

export interface ConstituentPage {
  readonly constituents: ConstituentRecord[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

/** One page of the org's constituents in creation order; every filter given must match. */
export async function findConstituentsPage(db: Executor, orgId: string, search: ConstituentSearch): Promise<ConstituentPage> {
  const after = search.cursor === undefined ? undefined : decodeCursor(search.cursor, ['integer', 'string']);
  const found = await repository.searchConstituentsPage(
    db,
    orgId,
    {
      ...(search.loginName === undefined ? {} : { loginNameKey: loginNameKey(search.loginName.normalize('NFC')) }),
      ...(search.email === undefined ? {} : { emailKey: emailKey(search.email.trim()) }),
      ...(search.q === undefined ? {} : { prefix: { loginNameKey: loginNameKey(search.q.normalize('NFC')), emailKey: emailKey(search.q.trim()) } }),
      ...(search.status === undefined ? {} : { status: search.status }),
      ...(search.attribute === undefined ? {} : { attribute: parseAttributeFilter(search.attribute) }),
    },
    { limit: search.limit + 1, ...(after === undefined ? {} : { after: { createdAt: after[0] as number, accountId: after[1] as string } }) },
  );
  const constituents = found.slice(0, search.limit);
  const last = constituents.at(-1);
  return { constituents, nextCursor: found.length > search.limit && last !== undefined ? encodeCursor([last.createdAt, last.accountId]) : null };
}

function parseAttributeFilter(raw: string): { name: string; value: string } {
  const colon = raw.indexOf(':');
  if (colon <= 0) throw new InvalidInputError('attribute', `takes name:value, not '${raw}'`);
  return { name: checkAttributeName(raw.slice(0, colon), 'attribute'), value: raw.slice(colon + 1) };
}
