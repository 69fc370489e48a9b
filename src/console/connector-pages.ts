import type { FastifyInstance, FastifyReply } from 'fastify';
import { addAppConnector, deleteAppConnector, getAppConnector, listAppConnectors, updateAppConnector, type AppConnectorChange } from '../connectors/app-connector-admin.ts';
import { findProviderView, listProviderViews } from '../connectors/catalogue/catalogue.ts';
import type { ProviderView } from '../connectors/catalogue/public-view.ts';
import { connectRedirectUri } from '../connectors/connect/connect-deps.ts';
import type { ConnectorOperationContext } from '../connectors/connector-context.ts';
import type { AppConnector } from '../connectors/connector.ts';
import { readConnectorStatus } from '../connectors/refresh/connector-status-admin.ts';
import { readForm, readQuery } from '../http/forms.ts';
import { ForbiddenError, NotFoundError } from '../lib/errors.ts';
import type { RawParams } from '../lib/url-encoded.ts';
import { param } from '../oauth/params.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import { flashKeyOf } from './flash.ts';
import { attemptForm, MISSING_VERSION, type FormProblems } from './forms.ts';
import {
  appConnectorFields,
  appConnectorValuesOf,
  renderAppConnectorForm,
  renderAppConnectorView,
  renderConnectorsHome,
  renderInstallPage,
  renderLibrary,
  type AppConnectorFormValues,
} from './pages/app-connectors.ts';

/** App connectors per page of the connectors page: one statement whatever the org holds. */
export const APP_CONNECTORS_PER_PAGE = 50;

/** The connector hub's operation context of a console call: the staff user's, with the process's vault. */
export function connectorOp(call: ConsoleCall, deps: ConsoleDeps): ConnectorOperationContext {
  return { ...call.op, vault: deps.connectors.vault, allowHttpUrls: deps.connectors.allowHttpUrls };
}

/**
 * Cyclr's "Connectors > Application Connector Library": the org's connections by status, the
 * catalogue (searched in memory: it is code, not rows), installing a provider with the org's app
 * credentials (the secret write-only), its settings with their version, and its removal. Every
 * action calls connectors/app-connector-admin.ts, which checks the role and audits.
 */
export function registerConnectorPages(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get(
    '/console/connectors',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const cursor = param(readQuery(call.request), 'cursor');
      const page = await listAppConnectors(call.op, { limit: APP_CONNECTORS_PER_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      const status = await readConnectorStatus(call.op, { limit: 10 });
      const providers = new Map(listProviderViews().map((p) => [p.id, p]));
      const body = renderConnectorsHome({ consoleUrl: call.frame.consoleUrl, apps: page.items, nextCursor: page.nextCursor, providers, status, canWrite: call.frame.permissions.has('connectors:write') });
      return call.render({ title: 'Connectors', section: 'connectors', body, flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.get(
    '/console/connectors/library',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      // The catalogue is public to the org's staff through the API as well; the section needs connectors:read.
      if (!call.frame.permissions.has('connectors:read')) throw new ForbiddenError('connectors:read');
      const query = readQuery(call.request);
      const q = (param(query, 'q') ?? '').trim().slice(0, 100);
      const category = param(query, 'category') ?? '';
      const all = listProviderViews();
      const needle = q.toLowerCase();
      const providers = all.filter((p) => (needle === '' || p.display_name.toLowerCase().includes(needle) || p.id.includes(needle)) && (category === '' || p.categories.includes(category)));
      const categories = [...new Set(all.flatMap((p) => p.categories))].sort();
      const body = renderLibrary({ consoleUrl: call.frame.consoleUrl, providers, categories, query: q, category: categories.includes(category) ? category : '', canWrite: call.frame.permissions.has('connectors:write') });
      return call.render({ title: 'Application connector library', section: 'connectors', body });
    }),
  );

  scope.get(
    '/console/connectors/install/:provider',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      // Only hides the form from a role that could not use it: addAppConnector refuses such a role anyway.
      if (!call.frame.permissions.has('connectors:write')) throw new ForbiddenError('connectors:write');
      const provider = providerOf(call.params.provider);
      const values: AppConnectorFormValues = { name: provider.display_name, clientId: '', scopes: '', config: Object.fromEntries(provider.config_fields.flatMap((f) => (f.default === undefined ? [] : [[f.name, f.default]]))) };
      return installPage(call, deps.publicUrl, provider, values, null);
    }),
  );

  scope.post(
    '/console/connectors/install/:provider',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const provider = providerOf(call.params.provider);
      if (!call.csrfMatches(form, `app-connector-install:${provider.id}`)) return expiredForm(call, `connectors/install/${encodeURIComponent(provider.id)}`);
      const values = valuesFrom(form, provider);
      const secret = param(form, 'client_secret');
      const outcome = await attemptForm(appConnectorFields(provider), () =>
        addAppConnector(connectorOp(call, deps), {
          provider: provider.id,
          name: values.name,
          ...(values.clientId.trim() === '' ? {} : { clientId: values.clientId.trim() }),
          ...(secret === undefined ? {} : { clientSecret: secret }),
          scopes: scopesOf(values.scopes),
          config: filled(values.config),
        }),
      );
      if (!outcome.ok) return installPage(call, deps.publicUrl, provider, values, outcome.problems);
      call.changed();
      return call.redirect(`connectors/apps/${encodeURIComponent(outcome.value.id)}?flash=app_connector_installed`);
    }),
  );

  scope.get(
    '/console/connectors/apps/:appId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const app = await getAppConnector(call.op, call.params.appId ?? '');
      return appPage(call, deps.publicUrl, app, { values: appConnectorValuesOf(app), problems: null, flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.post(
    '/console/connectors/apps/:appId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      // Read first: an unknown app connector is a 404 page, whatever the form holds.
      const current = await getAppConnector(call.op, call.params.appId ?? '');
      const back = `connectors/apps/${encodeURIComponent(current.id)}`;
      if (!call.csrfMatches(form, `app-connector-update:${current.id}`)) return expiredForm(call, back);
      const provider = findProviderView(current.provider);
      if (provider === undefined) throw new NotFoundError('provider', current.provider);
      const values = valuesFrom(form, provider);
      const version = param(form, 'version');
      if (version === undefined || !/^\d{1,16}$/.test(version)) return appPage(call, deps.publicUrl, current, { values: appConnectorValuesOf(current), problems: MISSING_VERSION });
      const secret = param(form, 'client_secret');
      const change: AppConnectorChange = {
        name: values.name,
        clientId: values.clientId.trim() === '' ? null : values.clientId.trim(),
        // Write-only: empty keeps the stored secret.
        ...(secret === undefined ? {} : { clientSecret: secret }),
        scopes: scopesOf(values.scopes),
        config: filled(values.config),
      };
      const outcome = await attemptForm(appConnectorFields(provider), () => updateAppConnector(connectorOp(call, deps), current.id, change, { expectedVersion: Number(version) }));
      if (outcome.ok) {
        call.changed();
        return call.redirect(`${back}?flash=app_connector_updated`);
      }
      if (outcome.problems.stale) {
        const fresh = await getAppConnector(call.op, current.id);
        return appPage(call, deps.publicUrl, fresh, { values: appConnectorValuesOf(fresh), problems: outcome.problems });
      }
      return appPage(call, deps.publicUrl, current, { values, problems: outcome.problems, version: Number(version) });
    }),
  );

  scope.post(
    '/console/connectors/apps/:appId/delete',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const current = await getAppConnector(call.op, call.params.appId ?? '');
      if (!call.csrfMatches(form, `app-connector-delete:${current.id}`)) return expiredForm(call, `connectors/apps/${encodeURIComponent(current.id)}`);
      const outcome = await attemptForm([], () => deleteAppConnector(call.op, current.id));
      if (!outcome.ok) return appPage(call, deps.publicUrl, current, { values: appConnectorValuesOf(current), problems: outcome.problems });
      call.changed();
      return call.redirect('connectors?flash=app_connector_removed');
    }),
  );
}

function providerOf(id: string | undefined): ProviderView {
  const provider = findProviderView(id ?? '');
  if (provider === undefined) throw new NotFoundError('provider', id ?? '');
  return provider;
}

/** The form's values as typed (never the secret): config by the entry's fields only. */
function valuesFrom(form: RawParams, provider: ProviderView): AppConnectorFormValues {
  const text = (name: string): string => param(form, name) ?? '';
  return {
    name: text('name'),
    clientId: text('client_id'),
    scopes: text('scopes'),
    config: Object.fromEntries(provider.config_fields.map((f) => [f.name, text(`config.${f.name}`).trim()])),
  };
}

function scopesOf(raw: string): string[] {
  return raw.split(/\s+/).filter((scope) => scope !== '');
}

/** The config fields given a value (an empty field is not set). */
function filled(config: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== ''));
}

function installPage(call: ConsoleCall, publicUrl: string, provider: ProviderView, values: AppConnectorFormValues, problems: FormProblems | null): FastifyReply {
  const form = renderAppConnectorForm({
    action: `${call.frame.consoleUrl}/connectors/install/${encodeURIComponent(provider.id)}`,
    csrfToken: call.csrf(`app-connector-install:${provider.id}`),
    provider,
    values,
    problems,
    secretSet: null,
    submitLabel: 'Install',
  });
  // The redirect URI is known before the app exists at the provider, which usually asks for it first.
  const body = renderInstallPage({ provider, redirectUri: connectRedirectUri(publicUrl, call.op.org.slug), form });
  return call.render({ title: `Install ${provider.display_name}`, section: 'connectors', body }, problems?.status ?? 200);
}

function appPage(call: ConsoleCall, publicUrl: string, app: AppConnector, state: { values: AppConnectorFormValues; problems: FormProblems | null; version?: number; flash?: ReturnType<typeof flashKeyOf> }): FastifyReply {
  const canWrite = call.frame.permissions.has('connectors:write');
  const provider = findProviderView(app.provider);
  const id = encodeURIComponent(app.id);
  const body = renderAppConnectorView({
    consoleUrl: call.frame.consoleUrl,
    app,
    provider,
    // The address app-connectors.routes.ts gives as redirect_uri: the one the connect flow sends.
    redirectUri: connectRedirectUri(publicUrl, call.op.org.slug),
    deleteToken: canWrite ? call.csrf(`app-connector-delete:${app.id}`) : null,
    edit:
      canWrite && provider !== undefined
        ? {
            action: `${call.frame.consoleUrl}/connectors/apps/${id}`,
            csrfToken: call.csrf(`app-connector-update:${app.id}`),
            provider,
            values: state.values,
            problems: state.problems,
            secretSet: app.sealedClientSecret !== null,
            version: state.version ?? app.updatedAt,
            submitLabel: 'Save changes',
          }
        : null,
  });
  return call.render({ title: app.name, section: 'connectors', body, flash: state.flash ?? null }, state.problems?.status ?? 200);
}
