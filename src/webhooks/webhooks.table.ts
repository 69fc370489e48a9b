// Row types of the webhooks' tables (migration 0016). Only db/database.ts and the webhooks'
// repositories import them.

export interface WebhookEndpointsTable {
  org_id: string;
  /** `whk_…` */
  id: string;
  url: string;
  description: string;
  /** A JSON array of event types; null: every event. */
  event_types: string | null;
  enabled: number;
  /** Sealed under the root key; associated data `webhook_endpoint:<org id>:<id>`. */
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookMessagesTable {
  org_id: string;
  /** `msg_…`: the `webhook-id` header, the same on every attempt. */
  id: string;
  event_type: string;
  payload: string;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  org_id: string;
  id: string;
  endpoint_id: string;
  message_id: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

export interface WebhookAttemptsTable {
  org_id: string;
  id: string;
  delivery_id: string;
  attempted_at: number;
  outcome: 'delivered' | 'failed' | 'refused' | 'timeout' | 'unreachable';
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}
