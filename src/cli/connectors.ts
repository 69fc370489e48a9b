import type { AccountConnector } from '../connectors/connector.ts';
import { issueConnectLink } from '../connectors/connect-link-admin.ts';
import { readConnectorStatus } from '../connectors/refresh/connector-status-admin.ts';
import { CLI_OPERATOR } from '../staff/actor.ts';
import { optionalString, orgBySlug, requiredString, UsageError, withStorage, type Command } from './command.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** What the CLI shows of a connector: ids, state and refresh bookkeeping, never a secret. */
function connectorJson(connector: AccountConnector) {
  return {
    id: connector.id,
    account_id: connector.accountId,
    app_connector_id: connector.appConnectorId,
    name: connector.name,
    status: connector.status,
    access_expires_at: iso(connector.accessExpiresAt),
    next_refresh_at: iso(connector.nextRefreshAt),
    last_refreshed_at: iso(connector.lastRefreshedAt),
    last_refresh_error: connector.lastRefreshError === null ? null : { code: connector.lastRefreshError.code, description: connector.lastRefreshError.description },
    refresh_attempts: connector.refreshAttempts,
  };
}

/** `gatehouse connectors status`: GET /api/v2/connector-status from the server's shell. */
export const connectorsStatus: Command = {
  name: 'connectors status',
  summary: "How an organization's connections are doing: account connectors by status, the next background refreshes, and those whose last refresh failed",
  synopsis: 'connectors status --org <slug> [--limit <n>] [--json]',
  options: { org: { type: 'string' }, limit: { type: 'string' } },
  async run({ values, config, clock }) {
    const slug = requiredString(values, 'org');
    const limitText = optionalString(values, 'limit');
    if (limitText !== undefined && !/^(?:[1-9]\d?|100)$/.test(limitText)) throw new UsageError('--limit must be a whole number from 1 to 100');
    const report = await withStorage(config, async (storage) => {
      const org = await orgBySlug(storage, slug);
      return readConnectorStatus({ db: storage.db, clock, org, actor: CLI_OPERATOR }, { limit: limitText === undefined ? undefined : Number(limitText) });
    });
    const json = { counts: { ...report.counts }, next_refreshes: report.nextRefreshes.map(connectorJson), failing: report.failing.map(connectorJson) };
    const counts = Object.entries(report.counts).map(([status, n]) => `  ${status.padEnd(16)} ${n}\n`);
    const next = report.nextRefreshes.map((c) => `  ${iso(c.nextRefreshAt)}  ${c.id}  ${c.name} (account ${c.accountId})\n`);
    const failing = report.failing.map(
      (c) =>
        `  ${c.id}  ${c.status}  ${c.lastRefreshError?.code ?? '-'}${c.refreshAttempts > 0 ? `, ${c.refreshAttempts} failed in a row` : ''}` +
        `${c.status === 'authenticated' && c.nextRefreshAt !== null ? `, next try ${iso(c.nextRefreshAt)}` : ''}  ${c.name} (account ${c.accountId})\n`,
    );
    return {
      json,
      text:
        `Account connectors of ${slug}\n${counts.join('')}` +
        `Next refreshes\n${next.length === 0 ? '  (none scheduled)\n' : next.join('')}` +
        `Failing\n${failing.length === 0 ? '  (none)\n' : failing.join('')}`,
    };
  },
};

/**
 * `gatehouse connectors connect-link`: POST /api/v2/account-connectors/{id}/connect-link from the
 * server's shell. The URL holds a single-use, 5-minute token: printed once, to hand to the customer.
 */
export const connectorsConnectLink: Command = {
  name: 'connectors connect-link',
  summary: "A connect link for a customer: the account connector's updateaccountconnectoroauth URL with a fresh sign-in token for --username, landing on --target-origin",
  synopsis: 'connectors connect-link --org <slug> --connector <account-connector-id> --username <name> --target-origin <origin> [--json]',
  options: { org: { type: 'string' }, connector: { type: 'string' }, username: { type: 'string' }, 'target-origin': { type: 'string' } },
  async run({ values, config, clock }) {
    const slug = requiredString(values, 'org');
    const connector = requiredString(values, 'connector');
    const request = { username: requiredString(values, 'username'), targetOrigin: requiredString(values, 'target-origin') };
    const link = await withStorage(config, async (storage) => {
      const org = await orgBySlug(storage, slug);
      return issueConnectLink({ db: storage.db, clock, org, actor: CLI_OPERATOR, publicUrl: config.publicUrl }, connector, request);
    });
    return { json: { url: link.url, expires_at: iso(link.expiresAt) }, text: `${link.url}
(single use, until ${iso(link.expiresAt)})
` };
  },
};
