import type { ConnectOutcome } from './finish-connect.ts';

/** The redirect variant's destination: targetOrigin as given, with `error=<code>` added when the connection failed. */
export function redirectTarget(outcome: ConnectOutcome): string {
  if (outcome.error === null) return outcome.target;
  const url = new URL(outcome.target);
  url.searchParams.append('error', outcome.error);
  return url.href;
}
