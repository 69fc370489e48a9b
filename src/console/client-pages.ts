import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Client } from '../clients/client.ts';
import { DEFAULT_CLIENT_SCOPE } from '../clients/clients.ts';
import { addClient, getClient, listClients, rotateClientSecret, SECRET_ROTATION_GRACE_SECONDS, updateClient, type ClientChange } from '../clients/client-admin.ts';
import { readForm, readQuery } from '../http/forms.ts';
import { ForbiddenError } from '../lib/errors.ts';
import type { RawParams } from '../lib/url-encoded.ts';
import { param } from '../oauth/params.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import { flashKeyOf } from './flash.ts';
import { attemptForm, lines, MISSING_VERSION, type FormProblems } from './forms.ts';
import { renderLifecycleActions } from './pages/client-lifecycle.ts';
import { CLIENT_FIELDS, formValuesOf, hasWidget, renderClientForm, renderClientList, renderClientView, renderSecretPage, type ClientFormValues } from './pages/clients.ts';

/** Clients per page of the list: the list is one statement whatever the org holds. */
export const CLIENTS_PER_PAGE = 50;

/**
 * The OAuth configuration (Neon's seed): the clients, a new one (its secret shown once), one
 * client's settings with the version they were read at, and its secret's rotation. Every action
 * calls the use case of clients/client-admin.ts, which checks the role and audits.
 */
export function registerClientPages(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get(
    '/console/clients',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const cursor = param(readQuery(call.request), 'cursor');
      const page = await listClients(call.op, { limit: CLIENTS_PER_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      const body = renderClientList({ consoleUrl: call.frame.consoleUrl, clients: page.clients, nextCursor: page.nextCursor, canWrite: call.frame.permissions.has('clients:write') });
      return call.render({ title: 'OAuth clients', section: 'clients', body, flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.get(
    '/console/clients/new',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      // Only hides the form from a role that could not use it: addClient refuses such a role anyway.
      if (!call.frame.permissions.has('clients:write')) throw new ForbiddenError('clients:write');
      const values: ClientFormValues = { name: '', clientType: 'confidential', redirectUris: '', postLogoutRedirectUris: '', scope: DEFAULT_CLIENT_SCOPE, consentRequired: call.op.org.settings.consentRequiredByDefault, codeTtlSeconds: '' };
      return newClientPage(call, values, null);
    }),
  );

  scope.post(
    '/console/clients',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      if (!call.csrfMatches(form, 'client-create')) return expiredForm(call, 'clients/new');
      const values = valuesFrom(form, { isNew: true });
      const outcome = await attemptForm(CLIENT_FIELDS, () =>
        addClient(call.op, {
          name: values.name,
          clientType: values.clientType,
          redirectUris: lines(values.redirectUris),
          postLogoutRedirectUris: lines(values.postLogoutRedirectUris),
          scope: values.scope,
          consentRequired: values.consentRequired,
          ...(values.codeTtlSeconds.trim() === '' ? {} : { codeTtlSeconds: Number(values.codeTtlSeconds) }),
        }),
      );
      if (!outcome.ok) return newClientPage(call, values, outcome.problems);
      call.changed();
      const { client, clientSecret } = outcome.value;
      if (clientSecret === null) return call.redirect(`clients/${encodeURIComponent(client.clientId)}?flash=client_created`);
      return secretPage(call, client, clientSecret, { rotated: false });
    }),
  );

  scope.get(
    '/console/clients/:clientId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const client = await getClient(call.op, call.params.clientId ?? '');
      return clientPage(call, client, { values: formValuesOf(client), problems: null, flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.post(
    '/console/clients/:clientId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
            const form = await readForm(call.request);
      // Read first: an unknown client is a 404 page, whatever the form holds.
      const current = await getClient(call.op, call.params.clientId ?? '');
      if (!call.csrfMatches(form, `client-update:${current.clientId}`)) return expiredForm(call, `clients/${encodeURIComponent(current.clientId)}`);
      const values = valuesFrom(form, { isNew: false, clientType: current.clientType });
      const version = param(form, 'version');
      if (version === undefined || !/^\d{1,16}$/.test(version)) return clientPage(call, current, { values: formValuesOf(current), problems: MISSING_VERSION });
      const change: ClientChange = {
        name: values.name,
        redirectUris: lines(values.redirectUris),
        postLogoutRedirectUris: lines(values.postLogoutRedirectUris),
        scope: values.scope,
        consentRequired: values.consentRequired,
        codeTtlSeconds: values.codeTtlSeconds.trim() === '' ? null : Number(values.codeTtlSeconds),
      };
      const outcome = await attemptForm(CLIENT_FIELDS, () => updateClient(call.op, current.clientId, change, { expectedVersion: Number(version) }));
      if (outcome.ok) {
        call.changed();
        return call.redirect(`clients/${encodeURIComponent(outcome.value.clientId)}?flash=client_updated`);
      }
      if (outcome.problems.stale) {
        // The form again with the values now stored and their version: what the person would overwrite.
        const fresh = await getClient(call.op, current.clientId);
        return clientPage(call, fresh, { values: formValuesOf(fresh), problems: outcome.problems });
      }
      return clientPage(call, current, { values, problems: outcome.problems, version: Number(version) });
    }),
  );

  scope.post(
    '/console/clients/:clientId/rotate-secret',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
            const form = await readForm(call.request);
      const current = await getClient(call.op, call.params.clientId ?? '');
      if (!call.csrfMatches(form, `client-rotate:${current.clientId}`)) return expiredForm(call, `clients/${encodeURIComponent(current.clientId)}`);
      const outcome = await attemptForm([], () => rotateClientSecret(call.op, current.clientId));
      if (!outcome.ok) return clientPage(call, current, { values: formValuesOf(current), problems: outcome.problems });
      call.changed();
      return secretPage(call, outcome.value.client, outcome.value.clientSecret, { rotated: true });
    }),
  );
}

/** The form's values as typed: strings kept as they are (the use case judges them), the checkbox as its presence. */
function valuesFrom(form: RawParams, options: { readonly isNew: boolean; readonly clientType?: Client['clientType'] }): ClientFormValues {
  const text = (name: string): string => param(form, name) ?? '';
  return {
    name: text('name'),
    clientType: options.isNew ? (text('client_type') === 'public' ? 'public' : 'confidential') : (options.clientType ?? 'confidential'),
    redirectUris: text('redirect_uris'),
    postLogoutRedirectUris: text('post_logout_redirect_uris'),
    scope: text('scope'),
    consentRequired: param(form, 'consent_required') !== undefined,
    codeTtlSeconds: text('code_ttl_seconds'),
  };
}

function newClientPage(call: ConsoleCall, values: ClientFormValues, problems: FormProblems | null): FastifyReply {
  const body = renderClientForm({
    action: `${call.frame.consoleUrl}/clients`,
    csrfToken: call.csrf('client-create'),
    values,
    problems,
    isNew: true,
    orgCodeTtlSeconds: call.op.org.settings.codeTtlSeconds,
    submitLabel: 'Create client',
  });
  return call.render({ title: 'New client', section: 'clients', body }, problems?.status ?? 200);
}

function clientPage(call: ConsoleCall, client: Client, state: { values: ClientFormValues; problems: FormProblems | null; version?: number; flash?: ReturnType<typeof flashKeyOf> }): FastifyReply {
  const canWrite = call.frame.permissions.has('clients:write');
  const widgetUrl = `${call.request.org.issuer}/widget.js`;
  const body = renderClientView({
    consoleUrl: call.frame.consoleUrl,
    widgetUrl,
    client,
    now: call.op.clock(),
    graceHours: SECRET_ROTATION_GRACE_SECONDS / 3600,
    rotateToken: canWrite ? call.csrf(`client-rotate:${client.clientId}`) : null,
    lifecycle: canWrite ? renderLifecycleActions({ consoleUrl: call.frame.consoleUrl, client }) : null,
    edit: canWrite
      ? {
          action: `${call.frame.consoleUrl}/clients/${encodeURIComponent(client.clientId)}`,
          csrfToken: call.csrf(`client-update:${client.clientId}`),
          // The version the values shown were read at: a refused form keeps the one it was opened with.
          version: state.version ?? client.updatedAt,
          values: state.values,
          problems: state.problems,
          isNew: false,
          orgCodeTtlSeconds: call.op.org.settings.codeTtlSeconds,
          submitLabel: 'Save changes',
        }
      : null,
  });
  return call.render({ title: client.name, section: 'clients', body, flash: state.flash ?? null, extraScripts: hasWidget(client) ? [widgetUrl] : [] }, state.problems?.status ?? 200);
}

function secretPage(call: ConsoleCall, client: Client, clientSecret: string, options: { readonly rotated: boolean }): FastifyReply {
  const body = renderSecretPage({ consoleUrl: call.frame.consoleUrl, client, clientSecret, rotated: options.rotated });
  return call.render({ title: options.rotated ? 'New client secret' : 'Client created', section: 'clients', body });
}
