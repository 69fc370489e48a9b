import { CLI_OPERATOR } from '../staff/actor.ts';
import { STAFF_ROLES } from '../staff/roles.ts';
import { addStaffUser } from '../staff/staff-admin.ts';
import { optionalString, orgBySlug, requiredString, withStorage, type Command } from './command.ts';

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
    const input = {
      email: requiredString(values, 'email'),
      name: optionalString(values, 'name'),
      role: optionalString(values, 'role'),
      password: optionalString(values, 'password'),
      withApiKey: values['api-key'] === true,
    };
    const created = await withStorage(config, async (storage) => addStaffUser({ db: storage.db, clock, org: await orgBySlug(storage, slug), actor: CLI_OPERATOR }, input));
    const keyLine = created.apiKey === null ? '' : `  api key: ${created.apiKey}\n  (shown once: store it now)\n`;
    return {
      json: { user_id: created.user.id, api_key: created.apiKey },
      text: `Created staff user ${input.email} (${created.user.role}) in ${slug}\n  user id: ${created.user.id}\n${keyLine}`,
    };
  },
};
