import { Type, type TSchema } from '@sinclair/typebox';
import { apiRoute, operationOf, PAGE_QUERY, pageLimit, type ApiCall, type ApiRoute } from '../api/management-api.ts';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH, endpointErrors } from './endpoint-rules.ts';
import type { WebhookDelivery, WebhookEndpoint } from './webhook.ts';
import {
  addWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  rotateWebhookSecret,
  sendTestMessage,
  updateWebhookEndpoint,
  type WebhookOperationContext,
} from './webhook-admin.ts';

// The organization's webhook endpoints. The secret is in the answers of creation and rotation
// only; every other answer says when a rotated-out secret stops signing.

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

function webhookOperationOf(call: ApiCall): WebhookOperationContext {
  if (call.webhooks === undefined) throw new Error('the management API was built without the webhooks (ManagementApiDeps.webhooks)');
  return { ...operationOf(call), webhooks: call.webhooks };
}

const EndpointBody = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Type.String(),
  /** null: every event, including those added later. */
  event_types: Nullable(Type.Array(Type.String())),
  enabled: Type.Boolean(),
  /** Until when the secret replaced by the last rotation still signs beside the current one; null when none does. */
  previous_secret_expires_at: Nullable(Type.String({ format: 'date-time' })),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
const EndpointWithSecretBody = Type.Composite([EndpointBody, Type.Object({ secret: Type.String() })]);

const AttemptBody = Type.Object({
  attempted_at: Type.String({ format: 'date-time' }),
  outcome: Type.Union([Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('refused'), Type.Literal('timeout'), Type.Literal('unreachable')]),
  status_code: Nullable(Type.Integer()),
  duration_ms: Type.Integer(),
  error: Nullable(Type.String()),
});
const DeliveryBody = Type.Object({
  id: Type.String(),
  /** The webhook-id header of every attempt. */
  message_id: Type.String(),
  event_type: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Type.String({ format: 'date-time' })),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  finished_at: Nullable(Type.String({ format: 'date-time' })),
  attempt_log: Type.Array(AttemptBody),
});

const Fields = {
  url: Type.String({ maxLength: MAX_URL_LENGTH }),
  description: Type.String({ maxLength: MAX_DESCRIPTION_LENGTH }),
  event_types: Nullable(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 })),
  enabled: Type.Boolean(),
};
const NewEndpointBody = Type.Object(
  { url: Fields.url, description: Type.Optional(Fields.description), event_types: Type.Optional(Fields.event_types), enabled: Type.Optional(Fields.enabled) },
  { additionalProperties: false },
);
const EndpointChangeBody = Type.Object(
  { url: Type.Optional(Fields.url), description: Type.Optional(Fields.description), event_types: Type.Optional(Fields.event_types), enabled: Type.Optional(Fields.enabled) },
  { additionalProperties: false },
);
const EndpointParams = Type.Object({ webhook_id: Type.String({ maxLength: 100 }) });

function endpointBody(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    event_types: endpoint.eventTypes === null ? null : [...endpoint.eventTypes],
    enabled: endpoint.enabled,
    previous_secret_expires_at: isoOrNull(endpoint.previousSecretExpiresAt),
    created_at: iso(endpoint.createdAt),
    updated_at: iso(endpoint.updatedAt),
  };
}

function deliveryBody(delivery: WebhookDelivery) {
  return {
    id: delivery.id,
    message_id: delivery.messageId,
    event_type: delivery.eventType,
    state: delivery.state,
    attempts: delivery.attempts,
    next_attempt_at: isoOrNull(delivery.nextAttemptAt),
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    created_at: iso(delivery.createdAt),
    finished_at: isoOrNull(delivery.finishedAt),
    attempt_log: delivery.attemptLog.map((attempt) => ({
      attempted_at: iso(attempt.attemptedAt),
      outcome: attempt.outcome,
      status_code: attempt.statusCode,
      duration_ms: attempt.durationMs,
      error: attempt.error,
    })),
  };
}

/** The body's rules that need no store, for a body the schema refused too (one 400 names every field). */
const checkFields = (allowPrivateNetwork: boolean) => (fields: { readonly url?: string; readonly description?: string; readonly event_types?: readonly string[] | null }) =>
  endpointErrors({ url: fields.url, description: fields.description, eventTypes: fields.event_types }, { allowPrivateNetwork });

export const WEBHOOK_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'POST',
    url: '/webhooks',
    permission: 'webhooks:write',
    summary: 'Add a webhook endpoint; the answer holds its signing secret (whsec_…), shown this once',
    tag: 'webhooks',
    schema: { body: NewEndpointBody, response: { 201: EndpointWithSecretBody } },
    // Private networks are judged by the handler, which knows the deployment's setting.
    checkBody: (fields) => checkFields(true)(fields),
    async handler(call) {
      const { body } = call;
      const { endpoint, secret } = await addWebhookEndpoint(webhookOperationOf(call), { url: body.url, description: body.description, eventTypes: body.event_types, enabled: body.enabled });
      return { status: 201, body: { ...endpointBody(endpoint), secret } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/webhooks',
    permission: 'webhooks:read',
    summary: 'List the webhook endpoints, oldest first',
    tag: 'webhooks',
    schema: {
      querystring: Type.Object({ ...PAGE_QUERY }, { additionalProperties: false }),
      response: { 200: Type.Object({ data: Type.Array(EndpointBody), next_cursor: Nullable(Type.String()) }) },
    },
    async handler(call) {
      const page = await listWebhookEndpoints(operationOf(call), { limit: pageLimit(call.query), cursor: call.query.cursor });
      return { body: { data: page.items.map(endpointBody), next_cursor: page.nextCursor } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/webhooks/:webhook_id',
    permission: 'webhooks:read',
    summary: 'A webhook endpoint (never its secret)',
    tag: 'webhooks',
    schema: { params: EndpointParams, response: { 200: EndpointBody } },
    async handler(call) {
      const endpoint = await getWebhookEndpoint(operationOf(call), call.params.webhook_id);
      return { body: endpointBody(endpoint), etag: etagOf(endpoint.updatedAt) };
    },
  }),
  apiRoute({
    method: 'PATCH',
    url: '/webhooks/:webhook_id',
    permission: 'webhooks:write',
    summary: 'Change a webhook endpoint: url, description, event_types (null: every event), enabled. If-Match (the ETag of a read) refuses a change over another one (412)',
    tag: 'webhooks',
    schema: { params: EndpointParams, body: EndpointChangeBody, response: { 200: EndpointBody } },
    checkBody: (fields) => checkFields(true)(fields),
    async handler(call) {
      const { body } = call;
      const endpoint = await updateWebhookEndpoint(
        webhookOperationOf(call),
        call.params.webhook_id,
        { url: body.url, description: body.description, eventTypes: body.event_types, enabled: body.enabled },
        { expectedVersion: versionFromIfMatch(call.ifMatch) },
      );
      return { body: endpointBody(endpoint), etag: etagOf(endpoint.updatedAt) };
    },
  }),
  apiRoute({
    method: 'DELETE',
    url: '/webhooks/:webhook_id',
    permission: 'webhooks:write',
    summary: 'Delete a webhook endpoint with its deliveries, pending ones included',
    tag: 'webhooks',
    schema: { params: EndpointParams, response: { 204: Type.Null() } },
    async handler(call) {
      await deleteWebhookEndpoint(operationOf(call), call.params.webhook_id);
      return { status: 204 };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/webhooks/:webhook_id/rotate-secret',
    permission: 'webhooks:write',
    summary: 'A new signing secret, shown this once; the previous one still signs beside it for 24 hours',
    tag: 'webhooks',
    schema: { params: EndpointParams, response: { 200: EndpointWithSecretBody } },
    async handler(call) {
      const { endpoint, secret } = await rotateWebhookSecret(webhookOperationOf(call), call.params.webhook_id);
      return { body: { ...endpointBody(endpoint), secret } };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/webhooks/:webhook_id/test',
    permission: 'webhooks:write',
    summary: 'Send a webhook.test message to the endpoint now; the answer is its delivery after the first attempt (retried as any other if it failed)',
    tag: 'webhooks',
    schema: { params: EndpointParams, response: { 200: DeliveryBody } },
    async handler(call) {
      return { body: deliveryBody(await sendTestMessage(webhookOperationOf(call), call.params.webhook_id)) };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/webhooks/:webhook_id/deliveries',
    permission: 'webhooks:read',
    summary: 'The endpoint\'s delivery log, newest first: each message, its state and every attempt (status, duration, error)',
    tag: 'webhooks',
    schema: {
      params: EndpointParams,
      querystring: Type.Object({ ...PAGE_QUERY }, { additionalProperties: false }),
      response: { 200: Type.Object({ data: Type.Array(DeliveryBody), next_cursor: Nullable(Type.String()) }) },
    },
    async handler(call) {
      const page = await listWebhookDeliveries(operationOf(call), call.params.webhook_id, { limit: pageLimit(call.query), cursor: call.query.cursor });
      return { body: { data: page.items.map(deliveryBody), next_cursor: page.nextCursor } };
    },
  }),
];
