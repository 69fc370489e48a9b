import { InvalidInputError } from '../lib/errors.ts';

/** The ETag of a record at a version (its updated_at). */
export function etagOf(version: number): string {
  return `"v${version}"`;
}

/** The version an If-Match header names, undefined without one; `*` means any. */
export function versionFromIfMatch(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"v(\d{1,16})"\s*$/.exec(ifMatch);
  if (match === null) throw new InvalidInputError('if-match', 'must be an ETag returned by this API');
  return Number(match[1]);
}
