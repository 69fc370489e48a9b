// The webhooks' values: a leaf, importing nothing of the capability.

/** Every event an endpoint may subscribe to (docs/guides and README list what each carries). */
export const WEBHOOK_EVENT_TYPES = [
  'connector.connected',
  'connector.refresh_failed',
  'connector.needs_reauth',
  'connector.recovered',
  'connector.deauthenticated',
  'client.registration_requested',
  'client.approved',
  'client.rejected',
  'client.suspended',
  'client.reactivated',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The type of the message `POST /api/v2/webhooks/{id}/test` sends: to that endpoint only, subscribed or not. */
export const TEST_EVENT_TYPE = 'webhook.test';

export interface WebhookEndpoint {
  readonly orgId: string;
  readonly id: string;
  readonly url: string;
  readonly description: string;
  /** null: every event, including those added later. */
  readonly eventTypes: readonly WebhookEventType[] | null;
  readonly enabled: boolean;
  /** Sealed (webhookSecretAad); opened only to sign. */
  readonly sealedSecret: string;
  /** The secret before the last rotation, and until when it still signs beside the new one. */
  readonly sealedPreviousSecret: string | null;
  readonly previousSecretExpiresAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';
export type AttemptOutcome = 'delivered' | 'failed' | 'refused' | 'timeout' | 'unreachable';

export interface DeliveryAttempt {
  readonly id: string;
  readonly attemptedAt: number;
  readonly outcome: AttemptOutcome;
  readonly statusCode: number | null;
  readonly durationMs: number;
  /** A short reason, never a secret nor the receiver's body. */
  readonly error: string | null;
}

/** One message to one endpoint, and how its sending went. */
export interface WebhookDelivery {
  readonly orgId: string;
  readonly id: string;
  readonly endpointId: string;
  /** The `webhook-id` of every attempt. */
  readonly messageId: string;
  readonly eventType: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly finishedAt: number | null;
  readonly attemptLog: readonly DeliveryAttempt[];
}

/** Associated data of an endpoint's sealed secrets: a value copied to another row fails to open. */
export function webhookSecretAad(orgId: string, endpointId: string): string {
  return `webhook_endpoint:${orgId}:${endpointId}`;
}

/** Whether an endpoint receives events of `type`. */
export function subscribes(endpoint: Pick<WebhookEndpoint, 'enabled' | 'eventTypes'>, type: string): boolean {
  return endpoint.enabled && (endpoint.eventTypes === null || (endpoint.eventTypes as readonly string[]).includes(type));
}
