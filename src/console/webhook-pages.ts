import type { FastifyInstance, FastifyReply } from 'fastify';
import { readForm, readQuery } from '../http/forms.ts';
import { ForbiddenError } from '../lib/errors.ts';
import type { RawParams } from '../lib/url-encoded.ts';
import { param } from '../oauth/params.ts';
import type { WebhookEndpoint } from '../webhooks/webhook.ts';
import {
  addWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  rotateWebhookSecret,
  SECRET_GRACE_MS,
  sendTestMessage,
  updateWebhookEndpoint,
  type WebhookOperationContext,
} from '../webhooks/webhook-admin.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import { flashKeyOf, type FlashKey } from './flash.ts';
import { attemptForm, MISSING_VERSION, type FormProblems } from './forms.ts';
import { renderWebhookDeleteConfirm, renderWebhookForm, renderWebhookList, renderWebhookSecretPage, renderWebhookView, WEBHOOK_FIELDS, webhookValuesOf, type WebhookFormValues } from './pages/webhooks.ts';

/** Endpoints per page (an org has at most 50), and deliveries per page of an endpoint's log. */
export const WEBHOOKS_PER_PAGE = 50;
export const DELIVERIES_PER_PAGE = 20;

/**
 * The org's webhook endpoints: the list, a new one (its secret shown once), one endpoint's
 * settings with their version, its secret's rotation, a test message, and its delivery log with
 * every attempt. Every action calls webhooks/webhook-admin.ts, which checks the role and audits.
 */
export function registerWebhookPages(scope: FastifyInstance, deps: ConsoleDeps): void {
  const op = (call: ConsoleCall): WebhookOperationContext => ({ ...call.op, webhooks: deps.webhooks });

  scope.get(
    '/console/webhooks',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const query = readQuery(call.request);
      const cursor = param(query, 'cursor');
      const page = await listWebhookEndpoints(call.op, { limit: WEBHOOKS_PER_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      const body = renderWebhookList({ consoleUrl: call.frame.consoleUrl, endpoints: page.items, nextCursor: page.nextCursor, canWrite: call.frame.permissions.has('webhooks:write') });
      return call.render({ title: 'Webhooks', section: 'webhooks', body, flash: flashKeyOf(param(query, 'flash')) });
    }),
  );

  scope.get(
    '/console/webhooks/new',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      // Only hides the form from a role that could not use it: addWebhookEndpoint refuses such a role anyway.
      if (!call.frame.permissions.has('webhooks:write')) throw new ForbiddenError('webhooks:write');
      return newPage(call, { url: '', description: '', eventTypes: null, enabled: true }, null);
    }),
  );

  scope.post(
    '/console/webhooks',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      if (!call.csrfMatches(form, 'webhook-create')) return expiredForm(call, 'webhooks/new');
      const values = valuesFrom(form);
      const outcome = await attemptForm(WEBHOOK_FIELDS, () => addWebhookEndpoint(op(call), { url: values.url.trim(), description: values.description, eventTypes: values.eventTypes, enabled: values.enabled }));
      if (!outcome.ok) return newPage(call, values, outcome.problems);
      call.changed();
      return secretPage(call, outcome.value.endpoint, outcome.value.secret, { rotated: false });
    }),
  );

  scope.get(
    '/console/webhooks/:webhookId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const endpoint = await getWebhookEndpoint(call.op, call.params.webhookId ?? '');
      return endpointPage(call, endpoint, { values: webhookValuesOf(endpoint), problems: null, flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.post(
    '/console/webhooks/:webhookId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      // Read first: an unknown endpoint is a 404 page, whatever the form holds.
      const current = await getWebhookEndpoint(call.op, call.params.webhookId ?? '');
      const back = `webhooks/${encodeURIComponent(current.id)}`;
      if (!call.csrfMatches(form, `webhook-update:${current.id}`)) return expiredForm(call, back);
      const values = valuesFrom(form);
      const version = param(form, 'version');
      if (version === undefined || !/^\d{1,16}$/.test(version)) return endpointPage(call, current, { values: webhookValuesOf(current), problems: MISSING_VERSION });
      const outcome = await attemptForm(WEBHOOK_FIELDS, () =>
        updateWebhookEndpoint(op(call), current.id, { url: values.url.trim(), description: values.description, eventTypes: values.eventTypes, enabled: values.enabled }, { expectedVersion: Number(version) }),
      );
      if (outcome.ok) {
        call.changed();
        return call.redirect(`${back}?flash=webhook_updated`);
      }
      if (outcome.problems.stale) {
        const fresh = await getWebhookEndpoint(call.op, current.id);
        return endpointPage(call, fresh, { values: webhookValuesOf(fresh), problems: outcome.problems });
      }
      return endpointPage(call, current, { values, problems: outcome.problems, version: Number(version) });
    }),
  );

  scope.post(
    '/console/webhooks/:webhookId/rotate-secret',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const current = await getWebhookEndpoint(call.op, call.params.webhookId ?? '');
      if (!call.csrfMatches(form, `webhook-rotate:${current.id}`)) return expiredForm(call, `webhooks/${encodeURIComponent(current.id)}`);
      const outcome = await attemptForm([], () => rotateWebhookSecret(op(call), current.id));
      if (!outcome.ok) return endpointPage(call, current, { values: webhookValuesOf(current), problems: outcome.problems });
      call.changed();
      return secretPage(call, outcome.value.endpoint, outcome.value.secret, { rotated: true });
    }),
  );

  scope.post(
    '/console/webhooks/:webhookId/test',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const current = await getWebhookEndpoint(call.op, call.params.webhookId ?? '');
      const back = `webhooks/${encodeURIComponent(current.id)}`;
      if (!call.csrfMatches(form, `webhook-test:${current.id}`)) return expiredForm(call, back);
      // Sent before the answer; its result is the newest delivery of the log the redirect shows.
      const outcome = await attemptForm([], () => sendTestMessage(op(call), current.id));
      if (!outcome.ok) return endpointPage(call, current, { values: webhookValuesOf(current), problems: outcome.problems });
      return call.redirect(`${back}?flash=${outcome.value.state === 'delivered' ? 'webhook_test_delivered' : 'webhook_test_failed'}`);
    }),
  );

  // Deleting, confirmed on a page of its own first (the endpoint's log goes with it).
  scope.get(
    '/console/webhooks/:webhookId/delete',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const current = await getWebhookEndpoint(call.op, call.params.webhookId ?? '');
      // Only hides the confirmation from a role that could not confirm: deleteWebhookEndpoint refuses it anyway.
      if (!call.frame.permissions.has('webhooks:write')) throw new ForbiddenError('webhooks:write');
      return deletePage(call, current, null);
    }),
  );

  scope.post(
    '/console/webhooks/:webhookId/delete',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const current = await getWebhookEndpoint(call.op, call.params.webhookId ?? '');
      if (!call.csrfMatches(form, `webhook-delete:${current.id}`)) return expiredForm(call, `webhooks/${encodeURIComponent(current.id)}/delete`);
      const outcome = await attemptForm([], () => deleteWebhookEndpoint(call.op, current.id));
      if (!outcome.ok) return deletePage(call, current, outcome.problems);
      call.changed();
      return call.redirect('webhooks?flash=webhook_deleted');
    }),
  );
}

function deletePage(call: ConsoleCall, endpoint: WebhookEndpoint, problems: FormProblems | null): FastifyReply {
  const body = renderWebhookDeleteConfirm({ consoleUrl: call.frame.consoleUrl, endpoint, csrfToken: call.csrf(`webhook-delete:${endpoint.id}`), problems });
  return call.render({ title: 'Delete a webhook endpoint', section: 'webhooks', body }, problems?.status ?? 200);
}

/** The form's values as typed: "every event" unless "only these" is chosen (then the boxes ticked, maybe none: the use case says so). */
function valuesFrom(form: RawParams): WebhookFormValues {
  const some = param(form, 'event_scope') === 'some';
  return {
    url: param(form, 'url') ?? '',
    description: param(form, 'description') ?? '',
    eventTypes: some ? [...new Set(form.get('event_types') ?? [])].slice(0, 50) : null,
    enabled: param(form, 'enabled') !== undefined,
  };
}

function newPage(call: ConsoleCall, values: WebhookFormValues, problems: FormProblems | null): FastifyReply {
  const body = renderWebhookForm({ action: `${call.frame.consoleUrl}/webhooks`, csrfToken: call.csrf('webhook-create'), values, problems, submitLabel: 'Create endpoint' });
  return call.render({ title: 'New webhook endpoint', section: 'webhooks', body }, problems?.status ?? 200);
}

async function endpointPage(call: ConsoleCall, endpoint: WebhookEndpoint, state: { values: WebhookFormValues; problems: FormProblems | null; version?: number; flash?: FlashKey | null }): Promise<FastifyReply> {
  const canWrite = call.frame.permissions.has('webhooks:write');
  const cursor = call.request.method === 'GET' ? param(readQuery(call.request), 'cursor') : undefined;
  const log = await listWebhookDeliveries(call.op, endpoint.id, { limit: DELIVERIES_PER_PAGE, ...(cursor === undefined ? {} : { cursor }) });
  const body = renderWebhookView({
    consoleUrl: call.frame.consoleUrl,
    endpoint,
    now: call.op.clock(),
    deliveries: log.items,
    nextCursor: log.nextCursor,
    graceHours: SECRET_GRACE_MS / 3_600_000,
    actions: canWrite ? { rotate: call.csrf(`webhook-rotate:${endpoint.id}`), test: call.csrf(`webhook-test:${endpoint.id}`) } : null,
    edit: canWrite
      ? {
          action: `${call.frame.consoleUrl}/webhooks/${encodeURIComponent(endpoint.id)}`,
          csrfToken: call.csrf(`webhook-update:${endpoint.id}`),
          version: state.version ?? endpoint.updatedAt,
          values: state.values,
          problems: state.problems,
          submitLabel: 'Save changes',
        }
      : null,
  });
  return call.render({ title: 'Webhook endpoint', section: 'webhooks', body, flash: state.flash ?? null }, state.problems?.status ?? 200);
}

function secretPage(call: ConsoleCall, endpoint: WebhookEndpoint, secret: string, options: { readonly rotated: boolean }): FastifyReply {
  const body = renderWebhookSecretPage({ consoleUrl: call.frame.consoleUrl, endpoint, secret, rotated: options.rotated });
  return call.render({ title: options.rotated ? 'New signing secret' : 'Endpoint created', section: 'webhooks', body });
}
