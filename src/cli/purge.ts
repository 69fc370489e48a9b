import { purgeExpiredConnectorRows } from '../connectors/purge.ts';
import { purgeExpired } from '../oauth/purge.ts';
import { purgeFinishedWebhookDeliveries } from '../webhooks/purge.ts';
import { withStorage, type Command } from './command.ts';

/** `gatehouse purge`: what the server does every 10 minutes, at once (after a long stop, or from cron). */
export const purge: Command = {
  name: 'purge',
  summary: 'Delete expired codes, tokens, families, SSO sessions, pending sign-ins, connector sign-in tokens and connect attempts, and webhook deliveries finished over 30 days ago (the server does it every 10 minutes)',
  synopsis: 'purge [--json]',
  options: {},
  async run({ config, clock }) {
    const deleted = await withStorage(config, async (storage) => ({
      ...(await purgeExpired(storage.db, clock)),
      ...(await purgeExpiredConnectorRows(storage.db, clock)),
      ...(await purgeFinishedWebhookDeliveries(storage.db, clock)),
    }));
    const lines = Object.entries(deleted).map(([table, count]) => `  ${table.padEnd(24)} ${count}\n`);
    return { json: { deleted }, text: `Deleted expired rows\n${lines.join('')}` };
  },
};
