import { InvalidInputError } from '../lib/errors.ts';

// The origins a connector hub connect flow may end at (issue 11): where the browser is sent, or
// the origin a postMessage is addressed to. Exact origins only, so that the check at the end of a
// flow is one string comparison, never a judgement of a URL.

export const MAX_CONNECT_TARGET_ORIGINS = 50;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * `https://host[:port]`, as the browser writes an origin (lowercase, no default port, no path or
 * trailing slash); `http://` only for a loopback host, where a partner develops its page.
 */
export function checkConnectTargetOrigin(value: string, field: string): string {
  const rule = 'must be an origin, https://host[:port] as a browser writes it (lowercase, no path, no trailing slash); http only for localhost, 127.0.0.1 or [::1]';
  if (!URL.canParse(value)) throw new InvalidInputError(field, rule);
  const url = new URL(value);
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure || url.origin !== value) throw new InvalidInputError(field, rule);
  return value;
}

/** Every origin judged, each error naming its index (`connect_target_origins[2]`); duplicates are kept once. */
export function checkConnectTargetOrigins(values: readonly string[], field = 'connect_target_origins'): { readonly origins: readonly string[]; readonly errors: readonly InvalidInputError[] } {
  if (values.length > MAX_CONNECT_TARGET_ORIGINS) return { origins: [], errors: [new InvalidInputError(field, `must hold at most ${MAX_CONNECT_TARGET_ORIGINS} origins`)] };
  const errors: InvalidInputError[] = [];
  const origins = values.flatMap((value, i) => {
    try {
      return [checkConnectTargetOrigin(value, `${field}[${i}]`)];
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      errors.push(error);
      return [];
    }
  });
  return { origins: [...new Set(origins)], errors };
}
