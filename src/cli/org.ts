import { issuerFor } from '../config/config.ts';
import { addOrganization } from '../orgs/org-admin.ts';
import { CLI_OPERATOR } from '../staff/actor.ts';
import { optionalString, withStorage, type Command } from './command.ts';

export const orgCreate: Command = {
  name: 'org create',
  summary: 'Create an organization (an OAuth/OpenID provider at PUBLIC_URL/o/<slug>)',
  synopsis: 'org create <slug> [--name "<display name>"] [--json]',
  positionals: ['slug'],
  options: { name: { type: 'string' } },
  async run({ values, positionals, config, clock }) {
    const slug = positionals[0]!;
    const org = await withStorage(config, (storage) => addOrganization({ db: storage.db, clock, actor: CLI_OPERATOR }, { slug, name: optionalString(values, 'name') }));
    const issuer = issuerFor(config, org.slug);
    return {
      json: { id: org.id, slug: org.slug, name: org.name, issuer },
      text: `Created organization '${org.name}'\n  id:     ${org.id}\n  slug:   ${org.slug}\n  issuer: ${issuer}\n`,
    };
  },
};
