import { preparePassword } from '../accounts/passwords.ts';
import { STAFF_ROLES } from '../staff/roles.ts';
import { inTransaction } from '../db/transaction.ts';
import { recordAudit } from '../audit/audit.ts';
import { createStaffUser } from '../staff/staff.ts';
import { cliAuditEvent, optionalString, orgBySlug, requiredString, withStorage, type Command } from './command.ts';

export const staffCreate: Command = {
  name: 'staff create',
  summary: 'Create a staff user, optionally with an API key',
  synopsis: `staff create --org <slug> --email <e> [--name <n>] [--role <${STAFF_ROLES.join('|')}>] [--password <pw>] [--api-key] [--json]`,
  options: {
    org: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    password: { type: 'string' },
    'api-key': { type: 'boolean' },
  },
  async run({ values, config, clock }) {
    const slug = requiredString(values, 'org');
    const password = optionalString(values, 'password');
    const input = {
      email: requiredString(values, 'email'),
      name: optionalString(values, 'name'),
      role: optionalString(values, 'role'),
      // Hashed before the transaction: argon2id would hold SQLite's write lock (and the server's writers) meanwhile.
      password: password === undefined ? undefined : await preparePassword(password),
      withApiKey: values['api-key'] === true,
    };
    const created = await withStorage(config, async (storage) => {
      const org = await orgBySlug(storage, slug);
      return inTransaction(storage.db, async (trx) => {
        const result = await createStaffUser(trx, clock, org.id, input);
        await recordAudit(trx, clock, org.id, cliAuditEvent({ action: 'staff.created', target: { type: 'staff_user', id: result.userId }, details: { role: result.role, api_key: result.apiKey !== null } }));
        return result;
      });
    });
    const keyLine = created.apiKey === null ? '' : `  api key: ${created.apiKey}\n  (shown once: store it now)\n`;
    return {
      json: { user_id: created.userId, api_key: created.apiKey },
      text: `Created staff user ${input.email} (${created.role}) in ${slug}\n  user id: ${created.userId}\n${keyLine}`,
    };
  },
};
