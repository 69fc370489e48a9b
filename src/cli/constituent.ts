import { createConstituent } from '../accounts/constituents.ts';
import { optionalString, orgBySlug, requiredString, withStorage, type Command } from './command.ts';

export const constituentCreate: Command = {
  name: 'constituent create',
  summary: 'Create a constituent account that can sign in to the org\'s apps',
  synopsis: 'constituent create --org <slug> --username <login> --password <pw> [--email <e>] [--name <display>] [--json]',
  options: {
    org: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
  },
  async run({ values, config, clock }) {
    const slug = requiredString(values, 'org');
    const input = {
      username: requiredString(values, 'username'),
      password: requiredString(values, 'password'),
      email: optionalString(values, 'email'),
      name: optionalString(values, 'name'),
    };
    const created = await withStorage(config, async (storage) => {
      const org = await orgBySlug(storage, slug);
      return createConstituent(storage.db, clock, org.id, input);
    });
    return {
      json: { account_id: created.accountId, username: created.username },
      text: `Created constituent '${created.username}' in ${slug}\n  account id: ${created.accountId}\n`,
    };
  },
};
