import { Webhook } from 'standardwebhooks';
import { secureRandomBytes } from '../lib/random.ts';

// Standard Webhooks (https://www.standardwebhooks.com, spec.md "Signature scheme"): the signed
// content is `<webhook-id>.<webhook-timestamp>.<body>`, HMAC-SHA256 under the secret's bytes, sent
// as `v1,<base64>`; several signatures, space-separated, let a rotated secret sign beside the new
// one (docs/decisions/0011).

const SECRET_PREFIX = 'whsec_';
/** The spec asks for 24 to 64 bytes; 32 is the 256-bit key HMAC-SHA256 is built for. */
const SECRET_BYTES = 32;

/** A new endpoint secret, as the spec writes it: `whsec_` + base64 of random bytes. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${secureRandomBytes(SECRET_BYTES).toString('base64')}`;
}

/**
 * The three headers of one attempt. `sentAt` is the attempt's time (the receiver judges its
 * freshness, 5 minutes in the reference libraries), not the event's; the id is the message's,
 * the same on every retry so the receiver can deduplicate.
 */
export function signatureHeaders(messageId: string, sentAt: number, body: string, secrets: readonly string[]): Record<string, string> {
  const timestamp = new Date(Math.floor(sentAt / 1000) * 1000);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp.getTime() / 1000),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(messageId, timestamp, body)).join(' '),
  };
}
