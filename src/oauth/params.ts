import type { RawParams } from '../lib/url-encoded.ts';
import { InvalidRequest } from './errors.ts';

/**
 * The protocol reads its request parameters as RawParams (lib/url-encoded.ts): every value of
 * every name, so that a repeated parameter can be refused (RFC 6749 §3.1 and §3.2: "Request and
 * response parameters MUST NOT be included more than once").
 */
export type { RawParams };

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
