import { loadRootKey, RootKeyError } from '../keys/root-key.ts';
import { createSealer, UnsealError } from '../keys/sealing.ts';
import { rotateSigningKey } from '../keys/key-admin.ts';
import { createSigningKeyService, DEFAULT_SIGNING_ALG, isSigningAlg, listSigningKeys, SIGNING_ALGS, type SigningAlg } from '../keys/signing-keys.ts';
import { CLI_OPERATOR } from '../staff/actor.ts';
import { optionalString, orgBySlug, requiredString, UsageError, withStorage, type Command } from './command.ts';

export const keysRotate: Command = {
  name: 'keys rotate',
  summary: "Replace an organization's signing key; the old one stays published until every token it signed has expired",
  synopsis: `keys rotate --org <slug> [--alg ${SIGNING_ALGS.join('|')}] [--json]`,
  options: { org: { type: 'string' }, alg: { type: 'string' } },
  async run({ values, config, clock }) {
    const slug = requiredString(values, 'org');
    const alg = parseAlg(optionalString(values, 'alg') ?? DEFAULT_SIGNING_ALG);
    const rotated = await withStorage(config, async (storage) => {
      // The server's root key, found, never generated: a new signing key sealed with a key the
      // server does not have could never be opened (and a wrong DATA_DIR gets no file).
      const sealer = createSealer(loadRootKey(config).key);
      const org = await orgBySlug(storage, slug);
      try {
        return await rotateSigningKey({ db: storage.db, clock, org, actor: CLI_OPERATOR }, createSigningKeyService(storage.db, sealer, clock), alg);
      } catch (error) {
        if (!(error instanceof UnsealError)) throw error;
        throw new RootKeyError(
          `the configured root key (id ${sealer.keyId}) cannot open the signing keys of '${slug}' (${error.message}); ` +
            "run with the server's GATEHOUSE_SECRET_KEY or DATA_DIR",
        );
      }
    });
    const retired = rotated.retiredKid === null ? '' : `  retired kid: ${rotated.retiredKid} (published for another ${rotated.publishForSeconds} s)\n`;
    return {
      json: { kid: rotated.kid, retired_kid: rotated.retiredKid, alg },
      text: `Rotated the ${alg} signing key of ${slug}\n  new kid:     ${rotated.kid}\n${retired}`,
    };
  },
};

export const keysList: Command = {
  name: 'keys list',
  summary: "List an organization's signing keys (no key material)",
  synopsis: 'keys list --org <slug> [--json]',
  options: { org: { type: 'string' } },
  async run({ values, config }) {
    const slug = requiredString(values, 'org');
    const keys = await withStorage(config, async (storage) => listSigningKeys(storage.db, (await orgBySlug(storage, slug)).id));
    const json = keys.map((key) => ({
      kid: key.kid,
      alg: key.alg,
      status: key.status,
      created_at: new Date(key.createdAt).toISOString(),
      publish_until: key.publishUntil === null ? null : new Date(key.publishUntil).toISOString(),
    }));
    const lines = json.map((key) => `  ${key.kid}  ${key.alg}  ${key.status.padEnd(7)}  created ${key.created_at}${key.publish_until === null ? '' : `  published until ${key.publish_until}`}\n`);
    return {
      json: { keys: json },
      text: keys.length === 0 ? `${slug} has no signing keys yet (one is created on first use)\n` : `Signing keys of ${slug}, newest first\n${lines.join('')}`,
    };
  },
};

function parseAlg(value: string): SigningAlg {
  if (!isSigningAlg(value)) throw new UsageError(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);
  return value;
}
