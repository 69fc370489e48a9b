import { addClient } from '../clients/client-admin.ts';
import { InvalidInputError, InvalidInputsError } from '../lib/errors.ts';
import { CLI_OPERATOR } from '../staff/actor.ts';
import { UsageError, optionalString, orgBySlug, requiredString, stringList, withStorage, type Command } from './command.ts';

export const clientCreate: Command = {
  name: 'client create',
  summary: 'Register an OAuth client (an app constituents sign in to)',
  synopsis:
    'client create --org <slug> --name <n> --redirect-uri <uri> [--redirect-uri …] [--post-logout-redirect-uri <uri> …] ' +
    '[--public] [--no-consent] [--grant <type> …] [--scope "<space separated>"] [--code-ttl <seconds>] ' +
    '[--id-token-alg ES256|RS256] [--access-token-format opaque|jwt] [--json]',
  options: {
    org: { type: 'string' },
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    public: { type: 'boolean' },
    consent: { type: 'boolean' },
    grant: { type: 'string', multiple: true },
    scope: { type: 'string' },
    'code-ttl': { type: 'string' },
    'id-token-alg': { type: 'string' },
    'access-token-format': { type: 'string' },
  },
  async run({ values, config, clock }) {
    const slug = requiredString(values, 'org');
    const name = requiredString(values, 'name');
    const codeTtl = optionalString(values, 'code-ttl');
    if (codeTtl !== undefined && !/^\d+$/.test(codeTtl)) throw new UsageError(`--code-ttl must be a whole number of seconds, not '${codeTtl}'`);
    const grants = stringList(values, 'grant');
    const clientType = values.public === true ? 'public' : 'confidential';
    const created = await withStorage(config, (storage) => asOptionErrors(async () => {
      const org = await orgBySlug(storage, slug);
      return addClient({ db: storage.db, clock, org, actor: CLI_OPERATOR }, {
        name,
        clientType,
        redirectUris: stringList(values, 'redirect-uri'),
        postLogoutRedirectUris: stringList(values, 'post-logout-redirect-uri'),
        grantTypes: grants.length === 0 ? undefined : grants,
        scope: optionalString(values, 'scope'),
        consentRequired: typeof values.consent === 'boolean' ? values.consent : undefined,
        codeTtlSeconds: codeTtl === undefined ? undefined : Number(codeTtl),
        idTokenSignedResponseAlg: optionalString(values, 'id-token-alg'),
        accessTokenFormat: optionalString(values, 'access-token-format'),
      });
    }));
    const secretLine =
      created.clientSecret === null ? '  (public client: no secret; it must use PKCE)\n' : `  client_secret: ${created.clientSecret}\n  (shown once: store it now)\n`;
    return {
      json: { client_id: created.client.clientId, client_secret: created.clientSecret },
      text: `Created ${clientType} client '${name}' in ${slug}\n  client_id:     ${created.client.clientId}\n${secretLine}`,
    };
  },
};

/** The options that set each field of a client, as the domain's errors name them (wire names). */
const OPTION_OF_FIELD: Readonly<Record<string, string>> = {
  name: '--name',
  redirect_uris: '--redirect-uri',
  post_logout_redirect_uris: '--post-logout-redirect-uri',
  grant_types: '--grant',
  scope: '--scope',
  code_ttl_seconds: '--code-ttl',
  id_token_signed_response_alg: '--id-token-alg',
  access_token_format: '--access-token-format',
};

/** Runs `work`, renaming the fields of its input errors to the options that set them: `--scope: …`, not `scope: …`. */
async function asOptionErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const rename = (e: InvalidInputError): InvalidInputError => new InvalidInputError(OPTION_OF_FIELD[e.field] ?? e.field, e.message.slice(e.field.length + 2));
    if (error instanceof InvalidInputsError) throw new InvalidInputsError(error.errors.map(rename));
    if (error instanceof InvalidInputError) throw rename(error);
    throw error;
  }
}
