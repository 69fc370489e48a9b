import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { DIALECTS } from './helpers/storage.ts';

/** Issue 9 item 6 (the management API): bad input is a 400 naming the problem, never a 500. */
describe.each(DIALECTS)('bad input to the management API on %s', (dialect) => {
  let server: TestServer;
  let orgId: string;
  let auth: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const db = server.store.storage.db;
    orgId = (await createOrganization(db, systemClock, { slug: 'acme', name: 'Acme' })).id;
    const key = (await createStaffUser(db, systemClock, orgId, { email: 'owner@acme.example', role: 'owner', withApiKey: true })).apiKey!;
    auth = `Basic ${Buffer.from(`${orgId}:${key}`).toString('base64')}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function call(method: string, path: string, body?: string, headers: Record<string, string> = { authorization: auth }) {
    const response = await fetch(`${server.url}/api${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body });
    return { status: response.status, json: (await response.json()) as Record<string, any> };
  }
  const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

  // Regression: a recursive NUL check overflowed the stack (500) on JSON nested ~8,000 deep.
  it('refuses JSON nested deeper than 32 levels with 400, at POST /api/v1/login and with a valid key', async () => {
    const refusals = [
      await call('POST', '/v1/login', nested(8000), {}),
      await call('POST', '/v1/login', `{"org_id":"acme","api_key":${nested(40)}}`, {}),
      await call('POST', '/v2/clients', `{"name":${nested(8000)}}`),
      await call('PATCH', '/v2/org', `{"name":${nested(33)}}`),
      await call('POST', '/v2/constituents', `{"username":"bob","attributes":{"a":${nested(30000)}}}`),
    ];
    for (const refusal of refusals) {
      expect(refusal.status).toBe(400);
      expect(refusal.json.error).toEqual({ code: 'invalid_request', message: 'The JSON body nests arrays and objects more than 32 levels deep; no request of this API needs more than a few.' });
    }
    // 32 levels in all is parsed, and judged by the schema.
    const deepest = await call('PATCH', '/v2/org', `{"name":${nested(31)}}`);
    expect(deepest.status).toBe(400);
    expect(deepest.json.error.fields).toEqual([{ field: 'name', message: 'must be string' }]);
    expect(server.logs.filter((line) => line.level === 50)).toEqual([]);
  });

  const LIST_ROUTES = ['/v2/clients', '/v2/constituents', '/v2/audit', '/v2/staff'];

  // Regression: Ajv coerced Infinity and 1e999 to Infinity, called it an integer under the
  // maximum, and the database refused it (500).
  it.each(LIST_ROUTES)('refuses a limit that is not an integer from 1 to 200 with 400 naming limit: %s', async (route) => {
    for (const limit of ['Infinity', '-Infinity', '1e999', '-1e999', '1.5', 'NaN', 'abc', '', '0', '201', '1e3', '99999999999999999999']) {
      const answer = await call('GET', `${route}?limit=${encodeURIComponent(limit)}`);
      expect(answer.status, limit).toBe(400);
      expect(answer.json.error.code).toBe('validation_failed');
      expect(answer.json.error.fields.map((f: { field: string }) => f.field)).toEqual(['limit']);
    }
    expect((await call('GET', `${route}?limit=200`)).status).toBe(200);
  });

  const cursor = (key: unknown): string => Buffer.from(typeof key === 'string' ? key : JSON.stringify(key)).toString('base64url');
  const FORGED_CURSORS: ReadonlyArray<readonly [string, string]> = [
    ['a fraction', cursor([1.5, 'a'])],
    ['beyond bigint', cursor([1e300, 'a'])],
    ['2^63', cursor([2 ** 63, 'a'])],
    ['below bigint', cursor([-1e20, 'a'])],
    ['an unsafe integer', cursor([2 ** 53 + 2, 'a'])],
    ['NUL in the id', cursor([1, 'a\u0000b'])],
    ['a string for the time', cursor(['1', 'a'])],
    ['a number for the id', cursor([1, 5])],
    ['null', cursor([null, 'a'])],
    ['too short', cursor([1])],
    ['too long', cursor([1, 'a', 'b'])],
    ['an object', cursor({ t: 1, id: 'a' })],
    ['not JSON', cursor('[1, "a"')],
    ['not base64url', '!!!'],
    ['huge', 'A'.repeat(10_000)],
  ];

  // Regression: on PostgreSQL a forged cursor (a fraction, a number out of bigint's range, NUL)
  // reached the query and failed there (500).
  it.each(LIST_ROUTES)('refuses forged cursors with 400 naming cursor: %s', async (route) => {
    for (const [name, forged] of FORGED_CURSORS) {
      const answer = await call('GET', `${route}?cursor=${encodeURIComponent(forged)}`);
      expect(answer.status, name).toBe(400);
      expect(answer.json.error.code, name).toBe('validation_failed');
      expect(answer.json.error.fields.map((f: { field: string }) => f.field), name).toEqual(['cursor']);
    }
    expect(server.logs.filter((line) => line.level === 50)).toEqual([]);
  });
});
