import { registerConstituent } from '../accounts/constituent-admin.ts';
import { preparePassword } from '../accounts/passwords.ts';
import { inTransaction } from '../db/transaction.ts';
import { recordAudit } from '../audit/audit.ts';
import { cliAuditEvent, optionalString, orgBySlug, requiredString, stringList, UsageError, withStorage, type Command } from './command.ts';

export const constituentCreate: Command = {
  name: 'constituent create',
  summary: 'Create a constituent account that can sign in to the org\'s apps',
  synopsis: 'constituent create --org <slug> --username <login> --password <pw> [--email <e>] [--name <display>] [--attribute <name>=<value> …] [--json]',
  options: {
    org: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    attribute: { type: 'string', multiple: true },
  },
  async run({ values, config, clock }) {
    const slug = requiredString(values, 'org');
    const input = {
      username: requiredString(values, 'username'),
      email: optionalString(values, 'email'),
      name: optionalString(values, 'name'),
      attributes: Object.fromEntries(stringList(values, 'attribute').map(parseAttribute)),
    };
    // Hashed before the transaction: argon2id would hold SQLite's write lock (and the server's writers) meanwhile.
    const password = await preparePassword(requiredString(values, 'password'));
    const created = await withStorage(config, async (storage) => {
      const org = await orgBySlug(storage, slug);
      return inTransaction(storage.db, async (trx) => {
        const result = await registerConstituent(trx, clock, org.id, input, { password });
        await recordAudit(trx, clock, org.id, cliAuditEvent({ action: 'constituent.created', target: { type: 'constituent', id: result.accountId }, details: { has_password: true } }));
        return result;
      });
    });
    return {
      json: { account_id: created.accountId, username: created.loginName },
      text: `Created constituent '${created.loginName}' in ${slug}\n  account id: ${created.accountId}\n`,
    };
  },
};

function parseAttribute(pair: string): [string, string] {
  const equals = pair.indexOf('=');
  if (equals <= 0) throw new UsageError(`--attribute takes <name>=<value>, not '${pair}'`);
  return [pair.slice(0, equals), pair.slice(equals + 1)];
}
