import { isIP } from 'node:net';
import { InvalidInputError } from '../lib/errors.ts';
import { hasControlCharacters } from '../lib/text-rules.ts';
import { OutboundRefused } from '../outbound/outbound-errors.ts';
import { parseDestination } from '../outbound/destination.ts';
import { judgeAddress } from '../outbound/public-address.ts';
import { WEBHOOK_EVENT_TYPES } from './webhook.ts';

// The rules of an endpoint's fields, judged when it is saved. The URL is judged again at every
// delivery (outbound/ resolves the host then, and refuses a private address): a name that
// resolved publicly when saved may not any more.

export const MAX_URL_LENGTH = 2000;
export const MAX_DESCRIPTION_LENGTH = 500;

export interface EndpointFields {
  readonly url?: string;
  readonly description?: string;
  readonly eventTypes?: readonly string[] | null;
}

/** Every broken rule of the fields given, each naming its field as the API does. */
export function endpointErrors(fields: EndpointFields, options: { readonly allowPrivateNetwork: boolean }): InvalidInputError[] {
  const errors: InvalidInputError[] = [];
  if (fields.url !== undefined) {
    const problem = urlProblem(fields.url, options);
    if (problem !== undefined) errors.push(new InvalidInputError('url', problem));
  }
  if (fields.description !== undefined && (fields.description.length > MAX_DESCRIPTION_LENGTH || hasControlCharacters(fields.description))) {
    errors.push(new InvalidInputError('description', `must be at most ${MAX_DESCRIPTION_LENGTH} characters without control characters`));
  }
  if (fields.eventTypes !== undefined && fields.eventTypes !== null) {
    const known = WEBHOOK_EVENT_TYPES as readonly string[];
    const unknown = fields.eventTypes.filter((type) => !known.includes(type));
    if (fields.eventTypes.length === 0) errors.push(new InvalidInputError('event_types', 'must name at least one event type, or be null for every event'));
    else if (unknown.length > 0) errors.push(new InvalidInputError('event_types', `must be event types of: ${known.join(', ')}`));
  }
  return errors;
}

/**
 * Why the URL may not receive webhooks, or undefined. Without resolving its host (a name is
 * judged at delivery): an absolute https URL without credentials, whose host is no literal
 * non-public address nor `localhost`, unless private networks are allowed.
 */
function urlProblem(raw: string, options: { readonly allowPrivateNetwork: boolean }): string | undefined {
  if (raw.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let hostname: string;
  try {
    ({ hostname } = parseDestination(raw, options));
  } catch (error) {
    if (error instanceof OutboundRefused) return error.rule === 'url' ? 'must be an absolute URL' : error.message.slice(error.destination.length + 2);
    throw error;
  }
  if (options.allowPrivateNetwork) return undefined;
  const hint = ' (OUTBOUND_ALLOW_PRIVATE_NETWORK=true allows it for development)';
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return `must not name a loopback host${hint}`;
  if (isIP(hostname) !== 0) {
    const verdict = judgeAddress(hostname);
    if (!verdict.public) return `must not be a non-public address: ${verdict.range}${hint}`;
  }
  return undefined;
}
