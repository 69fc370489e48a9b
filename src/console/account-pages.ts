import type { FastifyInstance, FastifyReply } from 'fastify';
import { createAccount, getAccount, listAccounts } from '../connectors/account-admin.ts';
import {
  addAccountConnector,
  deauthenticateAccountConnector,
  disableAccountConnector,
  enableAccountConnector,
  getAccountConnector,
  listAccountConnectors,
  listOrgAccountConnectors,
} from '../connectors/account-connector-admin.ts';
import { getAppConnector, listAppConnectors } from '../connectors/app-connector-admin.ts';
import { issueConnectLink } from '../connectors/connect-link-admin.ts';
import { ACCOUNT_CONNECTOR_STATUSES, type AccountConnector, type AccountConnectorStatus, type ConnectorAccount } from '../connectors/connector.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { readForm, readQuery } from '../http/forms.ts';
import { param } from '../oauth/params.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import { connectorOp } from './connector-pages.ts';
import { flashKeyOf, type FlashKey } from './flash.ts';
import { attemptForm, type FormProblems } from './forms.ts';
import { renderAccountConnectorView, renderAccountList, renderAccountView, renderConnectLinkPage, renderConnectorsByStatus, type ConnectLinkForm } from './pages/accounts.ts';
import { statusLabel } from './pages/app-connectors.ts';
import { renderAccountManage } from './pages/account-changes.ts';
import { html } from '../http/html.ts';

/** Accounts per page, and connectors per page of an account: one statement each whatever the org holds. */
export const ACCOUNTS_PER_PAGE = 50;
/** The app connectors offered when adding a connector (and naming those listed): one page of them. */
const APPS_OFFERED = 100;

/**
 * Cyclr's accounts and account connectors: the accounts (a new one), an account's connectors with
 * their status (a new one), one connector's state with deauthenticate, disable and enable, and a
 * connect link for a customer, shown once. Every action calls the use case of connectors/, which
 * checks the role and audits.
 */
export function registerAccountPages(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get(
    '/console/connectors/accounts',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => accountsPage(call, { values: { id: '', name: '' }, problems: null, flash: flashKeyOf(param(readQuery(call.request), 'flash')) })),
  );

  scope.post(
    '/console/connectors/accounts',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      if (!call.csrfMatches(form, 'account-create')) return expiredForm(call, 'connectors/accounts');
      const values = { id: (param(form, 'id') ?? '').trim(), name: param(form, 'name') ?? '' };
      const outcome = await attemptForm(['id', 'name'], () => createAccount(call.op, { name: values.name, ...(values.id === '' ? {} : { id: values.id }) }));
      if (!outcome.ok) return accountsPage(call, { values, problems: outcome.problems });
      call.changed();
      return call.redirect(`connectors/accounts/${encodeURIComponent(outcome.value.id)}?flash=account_created`);
    }),
  );

  scope.get(
    '/console/connectors/accounts/:accountId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const account = await getAccount(call.op, call.params.accountId ?? '');
      return accountPage(call, account, { values: { appConnectorId: '', name: '' }, problems: null, flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.post(
    '/console/connectors/accounts/:accountId/connectors',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const account = await getAccount(call.op, call.params.accountId ?? '');
      if (!call.csrfMatches(form, `account-connector-add:${account.id}`)) return expiredForm(call, `connectors/accounts/${encodeURIComponent(account.id)}`);
      const values = { appConnectorId: param(form, 'app_connector_id') ?? '', name: (param(form, 'name') ?? '').trim() };
      const outcome = await attemptForm(['app_connector_id', 'name'], () =>
        addAccountConnector(connectorOp(call, deps), account.id, { appConnectorId: values.appConnectorId, ...(values.name === '' ? {} : { name: values.name }) }),
      );
      if (!outcome.ok) return accountPage(call, account, { values, problems: outcome.problems });
      call.changed();
      return call.redirect(`connectors/account-connectors/${encodeURIComponent(outcome.value.id)}?flash=account_connector_added`);
    }),
  );

  scope.get(
    '/console/connectors/account-connectors',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const query = readQuery(call.request);
      const status = param(query, 'status') ?? '';
      if (!(ACCOUNT_CONNECTOR_STATUSES as readonly string[]).includes(status)) throw new InvalidInputError('status', `must be one of ${ACCOUNT_CONNECTOR_STATUSES.join(', ')}`);
      const cursor = param(query, 'cursor');
      const page = await listOrgAccountConnectors(call.op, { limit: ACCOUNTS_PER_PAGE, status: status as AccountConnectorStatus, ...(cursor === undefined ? {} : { cursor }) });
      const body = renderConnectorsByStatus({ consoleUrl: call.frame.consoleUrl, status: status as AccountConnectorStatus, connectors: page.items, nextCursor: page.nextCursor });
      return call.render({ title: `Connectors: ${statusLabel(status as AccountConnectorStatus)}`, section: 'connectors', body });
    }),
  );

  scope.get(
    '/console/connectors/account-connectors/:connectorId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const connector = await getAccountConnector(call.op, call.params.connectorId ?? '');
      return connectorPage(call, connector, { flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  // Deauthenticate, disable, enable: a button each, no field, the use case deciding (a repeated click changes nothing).
  const ACTIONS = [
    ['deauthenticate', deauthenticateAccountConnector, 'account_connector_deauthenticated'],
    ['disable', disableAccountConnector, 'account_connector_disabled'],
    ['enable', enableAccountConnector, 'account_connector_enabled'],
  ] as const satisfies ReadonlyArray<readonly [string, unknown, FlashKey]>;
  for (const [action, run, flash] of ACTIONS) {
    scope.post(
      `/console/connectors/account-connectors/:connectorId/${action}`,
      CONSOLE_PAGE,
      consoleHandler(deps, async (call) => {
        const form = await readForm(call.request);
        const current = await getAccountConnector(call.op, call.params.connectorId ?? '');
        const back = `connectors/account-connectors/${encodeURIComponent(current.id)}`;
        if (!call.csrfMatches(form, `account-connector-${action}:${current.id}`)) return expiredForm(call, back);
        const outcome = await attemptForm([], () => run(connectorOp(call, deps), current.id));
        if (!outcome.ok) return connectorPage(call, current, { problems: outcome.problems });
        call.changed();
        return call.redirect(`${back}?flash=${flash}`);
      }),
    );
  }

  scope.post(
    '/console/connectors/account-connectors/:connectorId/connect-link',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const current = await getAccountConnector(call.op, call.params.connectorId ?? '');
      if (!call.csrfMatches(form, `connect-link:${current.id}`)) return expiredForm(call, `connectors/account-connectors/${encodeURIComponent(current.id)}`);
      const values = { username: param(form, 'username') ?? '', targetOrigin: param(form, 'target_origin') ?? '' };
      const outcome = await attemptForm(['username', 'target_origin'], () => issueConnectLink({ ...call.op, publicUrl: deps.publicUrl }, current.id, values));
      if (!outcome.ok) return connectorPage(call, current, { link: { values, problems: outcome.problems } });
      // The link holds a single-use token: on this answer only (every console page is no-store), never in a redirect.
      const body = renderConnectLinkPage({ consoleUrl: call.frame.consoleUrl, connector: current, url: outcome.value.url, expiresAt: outcome.value.expiresAt });
      return call.render({ title: 'Connect link', section: 'connectors', body });
    }),
  );
}

async function accountsPage(call: ConsoleCall, state: { values: { id: string; name: string }; problems: FormProblems | null; flash?: FlashKey | null }): Promise<FastifyReply> {
  const cursor = call.request.method === 'GET' ? param(readQuery(call.request), 'cursor') : undefined;
  const page = await listAccounts(call.op, { limit: ACCOUNTS_PER_PAGE, ...(cursor === undefined ? {} : { cursor }) });
  const create = call.frame.permissions.has('connectors:write') ? { csrfToken: call.csrf('account-create'), values: state.values, problems: state.problems } : null;
  const body = renderAccountList({ consoleUrl: call.frame.consoleUrl, accounts: page.items, nextCursor: page.nextCursor, create });
  return call.render({ title: 'Accounts', section: 'connectors', body, flash: state.flash ?? null }, state.problems?.status ?? 200);
}

async function accountPage(call: ConsoleCall, account: ConnectorAccount, state: { values: { appConnectorId: string; name: string }; problems: FormProblems | null; flash?: FlashKey | null }): Promise<FastifyReply> {
  const cursor = call.request.method === 'GET' ? param(readQuery(call.request), 'cursor') : undefined;
  const page = await listAccountConnectors(call.op, account.id, { limit: ACCOUNTS_PER_PAGE, ...(cursor === undefined ? {} : { cursor }) });
  const apps = await listAppConnectors(call.op, { limit: APPS_OFFERED });
  const add = call.frame.permissions.has('connectors:write') ? { csrfToken: call.csrf(`account-connector-add:${account.id}`), values: state.values, problems: state.problems } : null;
  const view = renderAccountView({ consoleUrl: call.frame.consoleUrl, account, connectors: page.items, nextCursor: page.nextCursor, apps: new Map(apps.items.map((app) => [app.id, app])), add });
  const body = add === null ? view : html`${view}${renderAccountManage({ consoleUrl: call.frame.consoleUrl, account })}`;
  return call.render({ title: account.name, section: 'connectors', body, flash: state.flash ?? null }, state.problems?.status ?? 200);
}

async function connectorPage(
  call: ConsoleCall,
  connector: AccountConnector,
  state: { flash?: FlashKey | null; problems?: FormProblems; link?: { values: ConnectLinkForm['values']; problems: FormProblems } },
): Promise<FastifyReply> {
  const canWrite = call.frame.permissions.has('connectors:write');
  // Its app connector, for the name (one row by key; the store keeps it while a connector uses it).
  const app = await getAppConnector(call.op, connector.appConnectorId);
  const origins = call.op.org.settings.connectTargetOrigins;
  const body = renderAccountConnectorView({
    consoleUrl: call.frame.consoleUrl,
    connector,
    app,
    actions: canWrite
      ? { deauthenticate: call.csrf(`account-connector-deauthenticate:${connector.id}`), disable: call.csrf(`account-connector-disable:${connector.id}`), enable: call.csrf(`account-connector-enable:${connector.id}`) }
      : null,
    link: canWrite ? { csrfToken: call.csrf(`connect-link:${connector.id}`), origins, values: state.link?.values ?? { username: '', targetOrigin: origins[0] ?? '' }, problems: state.link?.problems ?? null } : null,
    problems: state.problems ?? null,
  });
  const status = state.link?.problems.status ?? state.problems?.status ?? 200;
  return call.render({ title: connector.name, section: 'connectors', body, flash: state.flash ?? null }, status);
}
