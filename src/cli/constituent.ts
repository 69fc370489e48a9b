import { addConstituent } from '../accounts/constituent-admin.ts';
import { CLI_OPERATOR } from '../staff/actor.ts';
import { optionalString, orgBySlug, requiredString, stringList, UsageError, withStorage, type Command } from './command.ts';

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
      password: requiredString(values, 'password'),
      email: optionalString(values, 'email'),
      name: optionalString(values, 'name'),
      attributes: Object.fromEntries(stringList(values, 'attribute').map(parseAttribute)),
    };
    const created = await withStorage(config, async (storage) => {
      const org = await orgBySlug(storage, slug);
      return addConstituent({ db: storage.db, clock, org, actor: CLI_OPERATOR }, input);
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
