import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addConstituent,
  disableConstituent,
  enableConstituent,
  endConstituentSession,
  endConstituentSessions,
  getConstituent,
  listConstituentGrants,
  listConstituentSessions,
  revokeConstituentGrant,
  searchConstituents,
  setConstituentPassword,
  updateConstituent,
} from '../src/accounts/constituent-admin.ts';
import { listAuditEvents } from '../src/audit/audit.ts';
import { readAuditLog } from '../src/audit/audit-admin.ts';
import { addClient, changeClientStatus, changeRegistrationPolicy, clientStatusCounts, deleteClient, getClient, getRegistrationPolicy, listClients, rotateClientSecret, updateClient } from '../src/clients/client-admin.ts';
import { createAccount, deleteAccount, getAccount, listAccounts, listAccountUsers, renameAccount } from '../src/connectors/account-admin.ts';
import {
  addAccountConnector,
  deauthenticateAccountConnector,
  disableAccountConnector,
  enableAccountConnector,
  deleteAccountConnector,
  getAccountConnector,
  listAccountConnectors,
  updateAccountConnector,
} from '../src/connectors/account-connector-admin.ts';
import { issueConnectLink } from '../src/connectors/connect-link-admin.ts';
import { readConnectorStatus } from '../src/connectors/refresh/connector-status-admin.ts';
import { addAppConnector, deleteAppConnector, getAppConnector, listAppConnectors, updateAppConnector } from '../src/connectors/app-connector-admin.ts';
import type { ConnectorOperationContext } from '../src/connectors/connector-context.ts';
import { readCredentials } from '../src/connectors/credentials-admin.ts';
import { proxyRequest } from '../src/connectors/proxy/proxy-admin.ts';
import { createOutboundClient } from '../src/outbound/outbound-client.ts';
import { createUpstreamClient } from '../src/connectors/upstream/upstream-client.ts';
import { createVault } from '../src/connectors/vault/vault.ts';
import { rotateSigningKey } from '../src/keys/key-admin.ts';
import { createSigningKeyService } from '../src/keys/signing-keys.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { systemClock } from '../src/lib/clock.ts';
import { ForbiddenError } from '../src/lib/errors.ts';
import { changeOrganization, getOrganization, readOrganization } from '../src/orgs/org-admin.ts';
import { liveSsoSessions, tokensIssuedPerDay } from '../src/oauth/activity-admin.ts';
import { connectorStatusCounts } from '../src/connectors/refresh/connector-status-admin.ts';
import { defineCustomScope, listCustomScopes, removeCustomScope } from '../src/orgs/scope-admin.ts';
import { CLI_OPERATOR, type Actor, type OperationContext } from '../src/staff/actor.ts';
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey } from '../src/staff/api-key-admin.ts';
import { PERMISSIONS, type Permission } from '../src/staff/permissions.ts';
import { addStaffUser, disableStaffUser, enableStaffUser, getStaffUser, listStaffRoles, listStaffUsers, setStaffPassword, staffAccessOf, updateStaffUser } from '../src/staff/staff-admin.ts';
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
} from '../src/webhooks/webhook-admin.ts';
import { seedClient, seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

/** An API key's actor whose role grants everything but `missing`. */
function actorWithout(missing: Permission): Actor {
  return { type: 'api_key', id: 'key_test', staffUserId: 'stf_test', ip: '192.0.2.1', permissions: new Set(PERMISSIONS.filter((p) => p !== missing)) };
}

/**
 * Every staff operation checks the permission it needs itself, whatever the transport that calls
 * it (the API checks its route's too, before the body is read; the CLI and the console rely on
 * this): an actor lacking it is refused with ForbiddenError, and nothing is written, the audit log
 * included.
 */
describe.each(DIALECTS)('staff operations refuse an actor without their permission (%s)', (dialect) => {
  let store: TestStore;
  let seeded: SeededOrg;
  let clientId: string;
  let staffUserId: string;
  let keyId: string;

  beforeAll(async () => {
    store = await createTestStore(dialect);
    seeded = await seedOrg(store.storage.db, 'use-case-permissions');
    clientId = (await seedClient(store.storage.db, seeded.org.id)).clientId;
    const staff = await addStaffUser(operator(CLI_OPERATOR), { email: 'dev@example.org', role: 'developer', withApiKey: true });
    staffUserId = staff.user.id;
    keyId = (await listApiKeys(operator(CLI_OPERATOR), staffUserId))[0]!.id;
  });
  afterAll(async () => store.dispose());

  const operator = (actor: Actor): OperationContext => ({ db: store.storage.db, clock: systemClock, org: seeded.org, actor });
  const accountId = () => seeded.constituent.accountId;
  const hub = (ctx: OperationContext): ConnectorOperationContext => ({ ...ctx, vault: createVault(store.storage.db, createSealer(Buffer.alloc(32, 7)), systemClock), allowHttpUrls: false });
  const webhooks = (ctx: OperationContext): WebhookOperationContext => ({ ...ctx, webhooks: { sealer: createSealer(Buffer.alloc(32, 7)), outbound: createOutboundClient(), allowPrivateNetwork: false } });

  const cases: ReadonlyArray<readonly [string, Permission, (ctx: OperationContext) => unknown]> = [
    ['addClient', 'clients:write', (ctx) => addClient(ctx, { name: 'App', clientType: 'confidential', redirectUris: ['https://app.example.org/cb'] })],
    ['listClients', 'clients:read', (ctx) => listClients(ctx, { limit: 10 })],
    ['getClient', 'clients:read', (ctx) => getClient(ctx, clientId)],
    ['updateClient', 'clients:write', (ctx) => updateClient(ctx, clientId, { name: 'Renamed' })],
    ['rotateClientSecret', 'clients:write', (ctx) => rotateClientSecret(ctx, clientId)],
    ['changeClientStatus', 'clients:write', (ctx) => changeClientStatus(ctx, clientId, 'suspend')],
    ['deleteClient', 'clients:write', (ctx) => deleteClient(ctx, clientId)],
    ['getRegistrationPolicy', 'org:read', (ctx) => getRegistrationPolicy(ctx)],
    ['changeRegistrationPolicy', 'org:write', (ctx) => changeRegistrationPolicy(ctx, { mode: 'approval', initialAccessToken: 'none' })],
    ['addConstituent', 'constituents:write', (ctx) => addConstituent(ctx, { username: 'bob', password: 'a long enough passphrase' })],
    ['getConstituent', 'constituents:read', (ctx) => getConstituent(ctx, accountId())],
    ['searchConstituents', 'constituents:read', (ctx) => searchConstituents(ctx, { limit: 10 })],
    ['updateConstituent', 'constituents:write', (ctx) => updateConstituent(ctx, accountId(), { name: 'Renamed' })],
    ['disableConstituent', 'constituents:write', (ctx) => disableConstituent(ctx, accountId())],
    ['enableConstituent', 'constituents:write', (ctx) => enableConstituent(ctx, accountId())],
    ['setConstituentPassword', 'constituents:write', (ctx) => setConstituentPassword(ctx, accountId(), 'another long passphrase')],
    ['listConstituentGrants', 'constituents:read', (ctx) => listConstituentGrants(ctx, accountId())],
    ['revokeConstituentGrant', 'constituents:write', (ctx) => revokeConstituentGrant(ctx, accountId(), clientId)],
    ['listConstituentSessions', 'constituents:read', (ctx) => listConstituentSessions(ctx, accountId())],
    ['endConstituentSessions', 'constituents:write', (ctx) => endConstituentSessions(ctx, accountId())],
    ['endConstituentSession', 'constituents:write', (ctx) => endConstituentSession(ctx, accountId(), 'AAAAAAAAAAAAAAAA')],
    ['getOrganization', 'org:read', (ctx) => getOrganization(ctx)],
    // The console's settings and overview (helper E): counts only, so org:read.
    ['readOrganization', 'org:read', (ctx) => readOrganization(ctx)],
    ['liveSsoSessions', 'org:read', (ctx) => liveSsoSessions(ctx, { days: 14 })],
    ['tokensIssuedPerDay', 'org:read', (ctx) => tokensIssuedPerDay(ctx, { days: 14 })],
    ['clientStatusCounts', 'org:read', (ctx) => clientStatusCounts(ctx)],
    ['connectorStatusCounts', 'org:read', (ctx) => connectorStatusCounts(ctx)],
    ['changeOrganization', 'org:write', (ctx) => changeOrganization(ctx, { name: 'Renamed' })],
    ['listCustomScopes', 'org:read', (ctx) => listCustomScopes(ctx)],
    ['defineCustomScope', 'org:write', (ctx) => defineCustomScope(ctx, 'membership', { description: 'Membership', attributes: [] })],
    ['removeCustomScope', 'org:write', (ctx) => removeCustomScope(ctx, 'membership')],
    ['rotateSigningKey', 'org:write', (ctx) => rotateSigningKey(ctx, createSigningKeyService(store.storage.db, createSealer(Buffer.alloc(32, 7)), systemClock), 'ES256')],
    ['listStaffUsers', 'staff:read', (ctx) => listStaffUsers(ctx, { limit: 10 })],
    ['getStaffUser', 'staff:read', (ctx) => getStaffUser(ctx, staffUserId)],
    ['listStaffRoles', 'staff:read', (ctx) => listStaffRoles(ctx)],
    ['staffAccessOf', 'staff:read', (ctx) => staffAccessOf(ctx, [staffUserId])],
    ['addStaffUser', 'staff:write', (ctx) => addStaffUser(ctx, { email: 'new@example.org' })],
    ['updateStaffUser', 'staff:write', (ctx) => updateStaffUser(ctx, staffUserId, { name: 'Renamed' })],
    ['disableStaffUser', 'staff:write', (ctx) => disableStaffUser(ctx, staffUserId)],
    ['enableStaffUser', 'staff:write', (ctx) => enableStaffUser(ctx, staffUserId)],
    ['setStaffPassword', 'staff:write', (ctx) => setStaffPassword(ctx, staffUserId, 'another long passphrase')],
    ['listApiKeys', 'staff:read', (ctx) => listApiKeys(ctx, staffUserId)],
    ['createApiKey', 'staff:write', (ctx) => createApiKey(ctx, staffUserId)],
    ['rotateApiKey', 'staff:write', (ctx) => rotateApiKey(ctx, keyId)],
    ['revokeApiKey', 'staff:write', (ctx) => revokeApiKey(ctx, keyId)],
    ['readAuditLog', 'audit:read', (ctx) => readAuditLog(ctx, { limit: 10 })],
    ['createAccount', 'connectors:write', (ctx) => createAccount(ctx, { name: 'Customer' })],
    ['listAccounts', 'connectors:read', (ctx) => listAccounts(ctx, { limit: 10 })],
    ['getAccount', 'connectors:read', (ctx) => getAccount(ctx, 'cust')],
    ['renameAccount', 'connectors:write', (ctx) => renameAccount(ctx, 'cust', { name: 'Renamed' })],
    ['deleteAccount', 'connectors:write', (ctx) => deleteAccount(ctx, 'cust')],
    ['listAccountUsers', 'connectors:read', (ctx) => listAccountUsers(ctx, 'cust', { limit: 10 })],
    ['addAppConnector', 'connectors:write', (ctx) => addAppConnector(hub(ctx), { provider: 'zendesk', name: 'Zendesk', clientSecret: 's' })],
    ['listAppConnectors', 'connectors:read', (ctx) => listAppConnectors(ctx, { limit: 10 })],
    ['getAppConnector', 'connectors:read', (ctx) => getAppConnector(ctx, 'apc_x')],
    ['updateAppConnector', 'connectors:write', (ctx) => updateAppConnector(hub(ctx), 'apc_x', { name: 'Renamed' })],
    ['deleteAppConnector', 'connectors:write', (ctx) => deleteAppConnector(ctx, 'apc_x')],
    ['addAccountConnector', 'connectors:write', (ctx) => addAccountConnector(hub(ctx), 'cust', { appConnectorId: 'apc_x' })],
    ['listAccountConnectors', 'connectors:read', (ctx) => listAccountConnectors(ctx, 'cust', { limit: 10 })],
    ['getAccountConnector', 'connectors:read', (ctx) => getAccountConnector(ctx, 'acn_x')],
    ['updateAccountConnector', 'connectors:write', (ctx) => updateAccountConnector(hub(ctx), 'acn_x', { name: 'Renamed' })],
    ['deauthenticateAccountConnector', 'connectors:write', (ctx) => deauthenticateAccountConnector(hub(ctx), 'acn_x')],
    ['disableAccountConnector', 'connectors:write', (ctx) => disableAccountConnector(hub(ctx), 'acn_x')],
    ['enableAccountConnector', 'connectors:write', (ctx) => enableAccountConnector(hub(ctx), 'acn_x')],
    ['deleteAccountConnector', 'connectors:write', (ctx) => deleteAccountConnector(ctx, 'acn_x')],
    ['issueConnectLink', 'connectors:write', (ctx) => issueConnectLink({ ...ctx, publicUrl: 'https://gatehouse.example' }, 'acn_x', { username: 'u', targetOrigin: 'https://partner.example' })],
    ['readConnectorStatus', 'connectors:read', (ctx) => readConnectorStatus(ctx)],
    ['readCredentials', 'connectors:write', (ctx) => readCredentials({ ...hub(ctx), upstream: createUpstreamClient({ outbound: createOutboundClient() }), publicUrl: 'https://gatehouse.example' }, 'acn_x')],
    ['addWebhookEndpoint', 'webhooks:write', (ctx) => addWebhookEndpoint(webhooks(ctx), { url: 'https://hooks.example.com/in' })],
    ['listWebhookEndpoints', 'webhooks:read', (ctx) => listWebhookEndpoints(ctx, { limit: 10 })],
    ['getWebhookEndpoint', 'webhooks:read', (ctx) => getWebhookEndpoint(ctx, 'whk_x')],
    ['updateWebhookEndpoint', 'webhooks:write', (ctx) => updateWebhookEndpoint(webhooks(ctx), 'whk_x', { description: 'Renamed' })],
    ['deleteWebhookEndpoint', 'webhooks:write', (ctx) => deleteWebhookEndpoint(ctx, 'whk_x')],
    ['rotateWebhookSecret', 'webhooks:write', (ctx) => rotateWebhookSecret(webhooks(ctx), 'whk_x')],
    ['sendTestMessage', 'webhooks:write', (ctx) => sendTestMessage(webhooks(ctx), 'whk_x')],
    ['listWebhookDeliveries', 'webhooks:read', (ctx) => listWebhookDeliveries(ctx, 'whk_x', { limit: 10 })],
    [
      'proxyRequest',
      'connectors:write',
      (ctx) =>
        proxyRequest({ ...hub(ctx), upstream: createUpstreamClient({ outbound: createOutboundClient() }), outbound: createOutboundClient(), publicUrl: 'https://gatehouse.example' }, 'acn_x', {
          method: 'GET',
          rawPath: 'x',
          rawQuery: '',
          headers: {},
          body: undefined,
          bodyLength: undefined,
          timeoutMs: undefined,
          signal: new AbortController().signal,
        }),
    ],
  ];

  it.each(cases)('%s needs %s', async (_name, permission, run) => {
    const before = await listAuditEvents(store.storage.db, seeded.org.id, { limit: 1000 });
    const refused = await Promise.resolve()
      .then(() => run(operator(actorWithout(permission))))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect((refused as ForbiddenError).permission).toBe(permission);
    expect(await listAuditEvents(store.storage.db, seeded.org.id, { limit: 1000 })).toEqual(before);
  });

  it('the same operations run for an actor holding the permission (the refusals above are not for another reason)', async () => {
    const client = await getClient(operator(actorWithout('audit:read')), clientId);
    expect(client.clientId).toBe(clientId);
    expect((await readAuditLog(operator(actorWithout('clients:write')), { limit: 10 })).entries.length).toBeGreaterThan(0);
  });
});
