import { issuerFor } from '../config/config.ts';
import { inTransaction } from '../db/transaction.ts';
import { createOrganization } from '../orgs/orgs.ts';
import { recordAudit } from '../audit/audit.ts';
import { cliAuditEvent, optionalString, withStorage, type Command } from './command.ts';

export const orgCreate: Command = {
  name: 'org create',
  summary: 'Create an organization (an OAuth/OpenID provider at PUBLIC_URL/o/<slug>)',
  synopsis: 'org create <slug> [--name "<display name>"] [--json]',
  positionals: ['slug'],
  options: { name: { type: 'string' } },
  async run({ values, positionals, config, clock }) {
    const slug = positionals[0]!;
    const org = await withStorage(config, (storage) =>
      inTransaction(storage.db, async (trx) => {
        const created = await createOrganization(trx, clock, { slug, name: optionalString(values, 'name') });
        await recordAudit(trx, clock, created.id, cliAuditEvent({ action: 'org.created', target: { type: 'organization', id: created.id }, details: { slug: created.slug } }));
        return created;
      }),
    );
    const issuer = issuerFor(config, org.slug);
    return {
      json: { id: org.id, slug: org.slug, name: org.name, issuer },
      text: `Created organization '${org.name}'\n  id:     ${org.id}\n  slug:   ${org.slug}\n  issuer: ${issuer}\n`,
    };
  },
};
