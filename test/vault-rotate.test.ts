import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnectAttempt } from '../src/connectors/connect/connect-attempts.repository.ts';
import { connectAttemptVerifierAad } from '../src/connectors/connect/connect-attempt.ts';
import { accountConnectorCredentialsAad, accountConnectorSecretsAad, appConnectorSecretAad } from '../src/connectors/connector.ts';
import { rotateVaultKey, sealedColumns } from '../src/connectors/vault-admin.ts';
import { resealColumn, type SealedColumn } from '../src/connectors/vault/reseal.ts';
import { createVault, dataKeyIdOf, type Vault } from '../src/connectors/vault/vault.ts';
import { createSealer } from '../src/keys/sealing.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import type { Organization } from '../src/orgs/organization.ts';
import { CLI_OPERATOR } from '../src/staff/actor.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { gatehouse, onlyJson } from './helpers/cli.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

// `gatehouse vault rotate` (issue 11): every vault column of an organization moves to a new data
// key while the server runs on the same store, each value still opening to what it was.

type Json = Record<string, any>;

describe.each(DIALECTS)('vault rotate on %s', (dialect) => {
  const rootKey = randomBytes(32);
  let server: TestServer;
  /** The rotating process's vault (the CLI's), apart from the server's. */
  let vault: Vault;
  const orgs = new Map<string, { readonly org: Organization; readonly apiKey: string }>();

  beforeAll(async () => {
    server = await startTestServer(dialect, { rootKey });
    const db = server.store.storage.db;
    for (const slug of ['acme', 'other', 'cli']) {
      const org = await createOrganization(db, systemClock, { slug });
      const apiKey = (await createStaffUser(db, systemClock, org.id, { email: `dev@${slug}.example`, role: 'developer', withApiKey: true })).apiKey!;
      orgs.set(slug, { org, apiKey });
    }
    vault = createVault(db, createSealer(rootKey), systemClock);
  });
  afterAll(async () => {
    await server?.close();
  });

  const db = () => server.store.storage.db;
  const orgOf = (slug: string) => orgs.get(slug)!.org;
  const ctx = (slug: string) => ({ db: db(), clock: systemClock, org: orgOf(slug), actor: CLI_OPERATOR, vault, allowHttpUrls: true });

  async function api(slug: string, method: string, path: string, body?: unknown) {
    const response = await fetch(`${server.url}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${slug}:${orgs.get(slug)!.apiKey}`).toString('base64')}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Json) };
  }

  /** One app connector with a client secret, `count` account connectors with a secret property and tokens, and a pending connect attempt for each. */
  async function seed(slug: string, count: number) {
    const app = await api(slug, 'POST', '/app-connectors', {
      provider: 'zendesk',
      name: 'Zendesk',
      client_id: 'zd-client',
      client_secret: `client-secret-${slug}`,
      scopes: ['read'],
      config: { subdomain: slug },
    });
    expect(app.status, JSON.stringify(app.json)).toBe(201);
    const account = await api(slug, 'POST', '/accounts', { name: 'Customer' });
    expect(account.status).toBe(201);
    const connectors: Array<{ id: string; accessToken: string; secret: string; verifier: string; attemptId: string }> = [];
    for (let i = 0; i < count; i++) {
      const accessToken = `access-${slug}-${i}-${randomBytes(6).toString('hex')}`;
      const secret = `their-secret-${slug}-${i}`;
      const created = await api(slug, 'POST', `/accounts/${account.json!.id}/connectors`, {
        app_connector_id: app.json!.id,
        properties: { ClientId: 'their-client', ClientSecret: secret },
        config: { subdomain: slug },
        auth_value: JSON.stringify({ AccessToken: accessToken, RefreshToken: `refresh-${slug}-${i}`, Expires: '2031-01-01T00:00:00Z' }),
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const id = String(created.json!.id);
      const verifier = `verifier-${slug}-${i}-${randomBytes(8).toString('hex')}`;
      const attemptId = `att_${randomBytes(8).toString('hex')}`;
      const now = Date.now();
      await insertConnectAttempt(db(), {
        orgId: orgOf(slug).id,
        id: attemptId,
        stateHash: `state-${attemptId}`,
        accountConnectorId: id,
        accountUserId: 'user-1',
        browserHash: 'browser',
        sealedCodeVerifier: await vault.seal(orgOf(slug).id, verifier, connectAttemptVerifierAad(attemptId)),
        target: 'https://app.example',
        callbackMessage: null,
        finish: 'redirect',
        expiresAt: now + 600_000,
        createdAt: now,
      });
      connectors.push({ id, accessToken, secret, verifier, attemptId });
    }
    return { appId: String(app.json!.id), clientSecret: `client-secret-${slug}`, connectors };
  }

  /** Every vault value of the org as stored, with the plaintext it opens to. */
  async function openedValues(slug: string) {
    const orgId = orgOf(slug).id;
    const values: Array<{ id: string; keyId: string; plaintext: string }> = [];
    for (const column of sealedColumns(db())) {
      for (const value of await column.listAfter(orgId, null, 1000)) {
        values.push({ id: `${column.name}/${value.id}`, keyId: dataKeyIdOf(value.ciphertext), plaintext: await vault.open(orgId, value.ciphertext, value.aad) });
      }
    }
    return values;
  }

  it('re-seals every value of the organization under the new key, each opening as before, and leaves another organization alone', async () => {
    const seeded = await seed('acme', 3);
    await seed('other', 1);
    const otherBefore = await db().selectFrom('account_connectors').selectAll().where('org_id', '=', orgOf('other').id).execute();
    const acmeBefore = await openedValues('acme');
    const versionsBefore = await db().selectFrom('account_connectors').select(['id', 'version', 'updated_at']).where('org_id', '=', orgOf('acme').id).orderBy('id').execute();
    const oldKeyId = acmeBefore[0]!.keyId;

    const sleeps: number[] = [];
    const rotation = await rotateVaultKey(ctx('acme'), { batchSize: 2, pauseMs: 5, settleMs: 0, sleep: async (ms) => void sleeps.push(ms) });

    expect(rotation.retiredKeyId).toBe(oldKeyId);
    expect(rotation.keyId).not.toBe(oldKeyId);
    expect(rotation.settled).toBe(false);
    expect(rotation.columns).toEqual([
      { column: 'app_connectors.client_secret', resealed: 1, changedMeanwhile: 0, unopenable: [] },
      { column: 'account_connectors.secret_properties', resealed: 3, changedMeanwhile: 0, unopenable: [] },
      { column: 'account_connectors.credentials', resealed: 3, changedMeanwhile: 0, unopenable: [] },
      { column: 'connector_auth_attempts.code_verifier', resealed: 3, changedMeanwhile: 0, unopenable: [] },
    ]);
    // A pause before each batch after a column's first: three columns of three values in batches of two.
    expect(sleeps).toEqual([5, 5, 5]);

    const after = await openedValues('acme');
    expect(after.map((v) => [v.id, v.plaintext])).toEqual(acmeBefore.map((v) => [v.id, v.plaintext]));
    expect(new Set(after.map((v) => v.keyId))).toEqual(new Set([rotation.keyId]));
    expect(after.find((v) => v.id.startsWith('app_connectors'))!.plaintext).toBe(seeded.clientSecret);
    expect(after.filter((v) => v.id.startsWith('connector_auth_attempts')).map((v) => v.plaintext).sort()).toEqual(seeded.connectors.map((c) => c.verifier).sort());
    // Re-sealing changes nothing a refresh's lease or an If-Match relies on.
    expect(await db().selectFrom('account_connectors').select(['id', 'version', 'updated_at']).where('org_id', '=', orgOf('acme').id).orderBy('id').execute()).toEqual(versionsBefore);

    // The running server, whose active key in memory is the retired one, opens the new key's values.
    for (const connector of seeded.connectors) {
      const read = await api('acme', 'GET', `/account-connectors/${connector.id}/credentials`);
      expect(read.status, JSON.stringify(read.json)).toBe(200);
      expect(read.json!.access_token).toBe(connector.accessToken);
    }

    expect(await db().selectFrom('account_connectors').selectAll().where('org_id', '=', orgOf('other').id).execute()).toEqual(otherBefore);
    expect((await vault.listDataKeys(orgOf('other').id)).map((k) => k.status)).toEqual(['active']);
    expect((await vault.listDataKeys(orgOf('acme').id)).map((k) => [k.id, k.status])).toEqual([
      [rotation.keyId, 'active'],
      [oldKeyId, 'retired'],
    ]);

    const events = await db().selectFrom('audit_events').selectAll().where('org_id', '=', orgOf('acme').id).where('action', '=', 'vault.rotated').execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.actor_type).toBe('cli');
    expect(events[0]!.target_id).toBe(rotation.keyId);
    expect(JSON.parse(events[0]!.details)).toEqual({ retired_key_id: oldKeyId, resealed: 10, changed_meanwhile: 0, unopenable: 0, settled: false });
  });

  it('keeps a value another writer stored between the read and the write, and its second pass moves what a lagging process sealed under the retired key', async () => {
    const orgId = orgOf('acme').id;
    const connectorId = (await seed('acme', 1)).connectors[0]!.id;
    // A server process that has sealed for the org: its active key stays in memory after the rotation.
    const lagging = createVault(db(), createSealer(rootKey), systemClock);
    await lagging.seal(orgId, 'warm-up', 'test:warm-up');
    const rotation = await vault.rotateDataKey(orgId);

    const refreshed = JSON.stringify({ access_token: 'refreshed-meanwhile', token_type: 'Bearer' });
    let storedMeanwhile = '';
    const credentials = sealedColumns(db()).find((c) => c.name === 'account_connectors.credentials')!;
    const racing: SealedColumn = {
      ...credentials,
      async replaceIfUnchanged(id, value) {
        if (value.id === connectorId && storedMeanwhile === '') {
          // A refresh stores its new tokens (sealed under the key it holds) after the pass read the old ones.
          storedMeanwhile = await lagging.seal(orgId, refreshed, accountConnectorCredentialsAad(connectorId));
          await db().updateTable('account_connectors').set({ credentials: storedMeanwhile }).where('org_id', '=', orgId).where('id', '=', connectorId).execute();
        }
        return credentials.replaceIfUnchanged(id, value);
      },
    };
    const first = await resealColumn(vault, orgId, racing, { batchSize: 2 });
    expect(first.changedMeanwhile).toBe(1);
    const row = await db().selectFrom('account_connectors').select('credentials').where('id', '=', connectorId).executeTakeFirstOrThrow();
    expect(row.credentials).toBe(storedMeanwhile);
    expect(dataKeyIdOf(storedMeanwhile)).toBe(rotation.retiredKeyId);
    expect(await vault.open(orgId, row.credentials!, accountConnectorCredentialsAad(connectorId))).toBe(refreshed);

    // rotateVaultKey's second pass, after the settle time, finds it (and rotates once more first).
    const settled = await rotateVaultKey(ctx('acme'), { settleMs: 1, pauseMs: 0 });
    expect(settled.settled).toBe(true);
    const now = await db().selectFrom('account_connectors').select('credentials').where('id', '=', connectorId).executeTakeFirstOrThrow();
    expect(dataKeyIdOf(now.credentials!)).toBe(settled.keyId);
    expect(await vault.open(orgId, now.credentials!, accountConnectorCredentialsAad(connectorId))).toBe(refreshed);
  });

  it('runs as `gatehouse vault rotate` against the server\'s store: one JSON object, and the server still hands out the tokens', async () => {
    const seeded = await seed('cli', 2);
    const env = {
      ...server.store.env,
      PUBLIC_URL: 'https://id.example.org',
      GATEHOUSE_SECRET_KEY: rootKey.toString('base64'),
      DATA_DIR: server.store.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'gatehouse-vault-')),
    };
    const out = onlyJson(await gatehouse(['vault', 'rotate', '--org', 'cli', '--skip-wait', '--json'], env));
    expect(out).toEqual({
      key_id: expect.stringMatching(/^dk_[a-z2-7]{16}$/),
      retired_key_id: expect.stringMatching(/^dk_[a-z2-7]{16}$/),
      settled: false,
      columns: [
        { column: 'app_connectors.client_secret', resealed: 1, changed_meanwhile: 0, unopenable: [] },
        { column: 'account_connectors.secret_properties', resealed: 2, changed_meanwhile: 0, unopenable: [] },
        { column: 'account_connectors.credentials', resealed: 2, changed_meanwhile: 0, unopenable: [] },
        { column: 'connector_auth_attempts.code_verifier', resealed: 2, changed_meanwhile: 0, unopenable: [] },
      ],
    });
    for (const value of await openedValues('cli')) expect(value.keyId).toBe(out.key_id);
    for (const connector of seeded.connectors) {
      const read = await api('cli', 'GET', `/account-connectors/${connector.id}/credentials`);
      expect(read.json!.access_token).toBe(connector.accessToken);
    }
    const orgId = orgOf('cli').id;
    const secretRow = await db().selectFrom('account_connectors').select(['id', 'secret_properties']).where('id', '=', seeded.connectors[0]!.id).executeTakeFirstOrThrow();
    expect(JSON.parse(await vault.open(orgId, secretRow.secret_properties!, accountConnectorSecretsAad(secretRow.id)))).toEqual({ ClientSecret: seeded.connectors[0]!.secret });
    const appRow = await db().selectFrom('app_connectors').select('client_secret').where('id', '=', seeded.appId).executeTakeFirstOrThrow();
    expect(await vault.open(orgId, appRow.client_secret!, appConnectorSecretAad(seeded.appId))).toBe(seeded.clientSecret);

    const text = await gatehouse(['vault', 'rotate', '--org', 'cli', '--skip-wait'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`retired key: ${out.key_id}`);
    expect(text.stdout).toMatch(/account_connectors\.credentials\s+2 re-sealed, 0 changed meanwhile/);
    const missing = await gatehouse(['vault', 'rotate', '--skip-wait'], env);
    expect(missing.code).toBe(2);
  });
});
