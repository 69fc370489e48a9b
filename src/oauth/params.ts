import { InvalidRequest } from './errors.ts';

/**
 * Request parameters as they arrived: every value of every name, so that a repeated parameter
 * can be refused (RFC 6749 §3.1 and §3.2: "Request and response parameters MUST NOT be included
 * more than once").
 */
export type RawParams = ReadonlyMap<string, readonly string[]>;

/** Parses `a=1&b=2` (query string or urlencoded body) keeping repeats. */
export function parseUrlEncoded(text: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(text)) {
    const values = params.get(name);
    if (values === undefined) params.set(name, [value]);
    else values.push(value);
  }
  return params;
}

/**
 * The single value of `name`, or undefined. An empty value counts as absent (RFC 6749 §3.1:
 * "Parameters sent without a value MUST be treated as if they were omitted").
 */
export function param(params: RawParams, name: string): string | undefined {
  const values = params.get(name)?.filter((v) => v !== '');
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw new InvalidRequest(`The ${name} parameter is repeated.`);
  // No protocol value contains NUL, and PostgreSQL text cannot hold one: refuse it here, once.
  if (values[0]!.includes('\u0000')) throw new InvalidRequest(`The ${name} parameter contains a NUL character.`);
  return values[0];
}

export function requiredParam(params: RawParams, name: string): string {
  const value = param(params, name);
  if (value === undefined) throw new InvalidRequest(`The ${name} parameter is required.`);
  return value;
}
