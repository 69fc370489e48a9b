import { defineCustomScope } from '../orgs/scope-admin.ts';
import { CLI_OPERATOR } from '../staff/actor.ts';
import { orgBySlug, requiredString, stringList, withStorage, type Command } from './command.ts';

export const scopeSet: Command = {
  name: 'scope set',
  summary: 'Define an org-specific scope and the constituent attributes it releases at userinfo',
  synopsis: 'scope set --org <slug> --name <scope> --description "<plain words>" [--attribute <name> …] [--json]',
  options: {
    org: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    attribute: { type: 'string', multiple: true },
  },
  async run({ values, config, clock }) {
    const slug = requiredString(values, 'org');
    const name = requiredString(values, 'name');
    const scope = { description: requiredString(values, 'description'), attributes: stringList(values, 'attribute') };
    await withStorage(config, async (storage) => {
      const org = await orgBySlug(storage, slug);
      await defineCustomScope({ db: storage.db, clock, org, actor: CLI_OPERATOR }, name, scope);
    });
    return {
      json: { scope: name, description: scope.description, attributes: scope.attributes },
      text: `Scope '${name}' of ${slug} releases: ${scope.attributes.length === 0 ? '(no attributes)' : scope.attributes.join(', ')}\n`,
    };
  },
};
