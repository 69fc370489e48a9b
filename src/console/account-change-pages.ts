import type { FastifyInstance, FastifyReply } from 'fastify';
import { deleteAccount, getAccount, renameAccount } from '../connectors/account-admin.ts';
import { getAccountConnector, updateAccountConnector, type AccountConnectorChange } from '../connectors/account-connector-admin.ts';
import { getAppConnector } from '../connectors/app-connector-admin.ts';
import { findProviderView } from '../connectors/catalogue/catalogue.ts';
import type { ProviderView } from '../connectors/catalogue/public-view.ts';
import type { AccountConnector, ConnectorAccount } from '../connectors/connector.ts';
import { readForm } from '../http/forms.ts';
import { ForbiddenError } from '../lib/errors.ts';
import type { RawParams } from '../lib/url-encoded.ts';
import { param } from '../oauth/params.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import { connectorOp } from './connector-pages.ts';
import { attemptForm, MISSING_VERSION, type FormProblems } from './forms.ts';
import {
  accountConnectorEditFields,
  accountConnectorValuesOf,
  renderAccountConnectorEdit,
  renderAccountDeleteConfirm,
  renderAccountRename,
  type AccountConnectorFormValues,
} from './pages/account-changes.ts';

/**
 * The changes to Cyclr's accounts and account connectors beyond creating them: rename an account,
 * delete it (confirmed first), and edit a connector (name, config, its own ClientId and write-only
 * ClientSecret) with its version. Each calls the use case of connectors/, which checks the role
 * and audits.
 */
export function registerAccountChangePages(scope: FastifyInstance, deps: ConsoleDeps): void {
  const accountBack = (account: ConnectorAccount): string => `connectors/accounts/${encodeURIComponent(account.id)}`;

  scope.get(
    '/console/connectors/accounts/:accountId/rename',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const account = await getAccount(call.op, call.params.accountId ?? '');
      requireWrite(call);
      return renamePage(call, account, account.name, null);
    }),
  );

  scope.post(
    '/console/connectors/accounts/:accountId/rename',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const account = await getAccount(call.op, call.params.accountId ?? '');
      if (!call.csrfMatches(form, `account-rename:${account.id}`)) return expiredForm(call, `${accountBack(account)}/rename`);
      const name = param(form, 'name') ?? '';
      const outcome = await attemptForm(['name'], () => renameAccount(call.op, account.id, { name }));
      if (!outcome.ok) return renamePage(call, account, name, outcome.problems);
      call.changed();
      return call.redirect(`${accountBack(account)}?flash=account_renamed`);
    }),
  );

  scope.get(
    '/console/connectors/accounts/:accountId/delete',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const account = await getAccount(call.op, call.params.accountId ?? '');
      requireWrite(call);
      return deletePage(call, account, null);
    }),
  );

  scope.post(
    '/console/connectors/accounts/:accountId/delete',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const account = await getAccount(call.op, call.params.accountId ?? '');
      if (!call.csrfMatches(form, `account-delete:${account.id}`)) return expiredForm(call, `${accountBack(account)}/delete`);
      const outcome = await attemptForm([], () => deleteAccount(call.op, account.id));
      if (!outcome.ok) return deletePage(call, account, outcome.problems);
      call.changed();
      return call.redirect('connectors/accounts?flash=account_deleted');
    }),
  );

  scope.get(
    '/console/connectors/account-connectors/:connectorId/edit',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const connector = await getAccountConnector(call.op, call.params.connectorId ?? '');
      requireWrite(call);
      return editPage(call, connector, await providerOf(call, connector), { values: accountConnectorValuesOf(connector), problems: null });
    }),
  );

  scope.post(
    '/console/connectors/account-connectors/:connectorId/edit',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      // Read first: an unknown connector is a 404 page, whatever the form holds.
      const current = await getAccountConnector(call.op, call.params.connectorId ?? '');
      const back = `connectors/account-connectors/${encodeURIComponent(current.id)}`;
      if (!call.csrfMatches(form, `account-connector-update:${current.id}`)) return expiredForm(call, `${back}/edit`);
      const provider = await providerOf(call, current);
      const values = valuesFrom(form, provider);
      const version = param(form, 'version');
      if (version === undefined || !/^\d{1,16}$/.test(version)) return editPage(call, current, provider, { values: accountConnectorValuesOf(current), problems: MISSING_VERSION });
      const outcome = await attemptForm(accountConnectorEditFields(provider), () =>
        updateAccountConnector(connectorOp(call, deps), current.id, changeOf(current, values, { secret: param(form, 'properties.ClientSecret') ?? '', withConfig: provider !== undefined }), {
          expectedVersion: Number(version),
        }),
      );
      if (outcome.ok) {
        call.changed();
        return call.redirect(`${back}?flash=account_connector_updated`);
      }
      if (outcome.problems.stale) {
        const fresh = await getAccountConnector(call.op, current.id);
        return editPage(call, fresh, provider, { values: accountConnectorValuesOf(fresh), problems: outcome.problems });
      }
      return editPage(call, current, provider, { values, problems: outcome.problems, version: Number(version) });
    }),
  );
}

/** Only hides a form from a role that could not use it: each use case refuses such a role anyway. */
function requireWrite(call: ConsoleCall): void {
  if (!call.frame.permissions.has('connectors:write')) throw new ForbiddenError('connectors:write');
}

/** The catalogue entry of the connector's app connector, for its config fields. */
async function providerOf(call: ConsoleCall, connector: AccountConnector): Promise<ProviderView | undefined> {
  return findProviderView((await getAppConnector(call.op, connector.appConnectorId)).provider);
}

/** The form's values as typed (never the secret): config by the entry's fields only. */
function valuesFrom(form: RawParams, provider: ProviderView | undefined): AccountConnectorFormValues {
  const text = (name: string): string => (param(form, name) ?? '').trim();
  return {
    name: param(form, 'name') ?? '',
    clientId: text('properties.ClientId'),
    config: Object.fromEntries((provider?.config_fields ?? []).map((f) => [f.name, text(`config.${f.name}`)])),
  };
}

/**
 * The change the form asks for: config replaced whole by the fields given a value; ClientId set,
 * or removed when emptied; ClientSecret only when typed (write-only: empty keeps the stored one).
 * Other properties (set through the API) are left as they are.
 */
function changeOf(current: AccountConnector, values: AccountConnectorFormValues, form: { readonly secret: string; readonly withConfig: boolean }): AccountConnectorChange {
  const properties: Record<string, string | null> = {};
  if (values.clientId !== '') properties['ClientId'] = values.clientId;
  else if (current.properties['ClientId'] !== undefined) properties['ClientId'] = null;
  if (form.secret !== '') properties['ClientSecret'] = form.secret;
  return {
    name: values.name,
    // Without the provider's entry the form shows no config field: the stored config stays as it is.
    ...(form.withConfig ? { config: Object.fromEntries(Object.entries(values.config).filter(([, value]) => value !== '')) } : {}),
    ...(Object.keys(properties).length === 0 ? {} : { properties }),
  };
}

function renamePage(call: ConsoleCall, account: ConnectorAccount, name: string, problems: FormProblems | null): FastifyReply {
  const body = renderAccountRename({ consoleUrl: call.frame.consoleUrl, account, csrfToken: call.csrf(`account-rename:${account.id}`), name, problems });
  return call.render({ title: 'Rename an account', section: 'connectors', body }, problems?.status ?? 200);
}

function deletePage(call: ConsoleCall, account: ConnectorAccount, problems: FormProblems | null): FastifyReply {
  const body = renderAccountDeleteConfirm({ consoleUrl: call.frame.consoleUrl, account, csrfToken: call.csrf(`account-delete:${account.id}`), problems });
  return call.render({ title: 'Delete an account', section: 'connectors', body }, problems?.status ?? 200);
}

function editPage(
  call: ConsoleCall,
  connector: AccountConnector,
  provider: ProviderView | undefined,
  state: { values: AccountConnectorFormValues; problems: FormProblems | null; version?: number },
): FastifyReply {
  const body = renderAccountConnectorEdit({
    consoleUrl: call.frame.consoleUrl,
    connector,
    provider,
    csrfToken: call.csrf(`account-connector-update:${connector.id}`),
    version: state.version ?? connector.version,
    values: state.values,
    problems: state.problems,
  });
  return call.render({ title: `Edit ${connector.name}`, section: 'connectors', body }, state.problems?.status ?? 200);
}
