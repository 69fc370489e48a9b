import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import { createSealer, UnsealError } from '../src/keys/sealing.ts';
import { createSigningKeyService, InvalidSignedTokenError, listSigningKeys, signingKeyAssociatedData, type SigningKeyService } from '../src/keys/signing-keys.ts';
import type { Clock } from '../src/lib/clock.ts';
import { InvalidInputError } from '../src/lib/errors.ts';
import { createOrganization } from '../src/orgs/orgs.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

const T0 = 1_700_000_000_000;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const sealer = createSealer(randomBytes(32));

/** A clock the test moves by hand. */
function manualClock(start = T0): Clock & { advance(ms: number): void } {
  let now = start;
  return Object.assign(() => now, { advance: (ms: number) => void (now += ms) });
}

function claims(now: number, lifetimeSeconds = 3600): Record<string, unknown> {
  return { sub: '1001', iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + lifetimeSeconds };
}

function part(jwt: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[index]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function withPart(jwt: string, index: number, value: Record<string, unknown>): string {
  const parts = jwt.split('.');
  parts[index] = Buffer.from(JSON.stringify(value)).toString('base64url');
  return parts.join('.');
}

/** The store, counting every query a service starts, to show what reaches the database. */
function countingDb(db: Db): { db: Db; queries: () => number } {
  let count = 0;
  const proxy = new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (['selectFrom', 'insertInto', 'updateTable', 'deleteFrom', 'transaction'].includes(String(property))) count++;
      return value.bind(target);
    },
  });
  return { db: proxy, queries: () => count };
}

describe.each(DIALECTS)('signing keys on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore(dialect);
  });
  afterAll(async () => {
    await store?.dispose();
  });
  const db = () => store.storage.db;
  let orgCount = 0;
  const newOrg = async (clock: Clock = () => T0) => (await createOrganization(db(), clock, { slug: `org-${dialect}-${++orgCount}` })).id;
  const kidsOf = async (service: SigningKeyService, orgId: string) => (await service.publishedJwks(orgId)).keys.map((k) => k.kid as string);
  const rows = (orgId: string) => db().selectFrom('signing_keys').selectAll().where('org_id', '=', orgId).orderBy('created_at').execute();

  it('sign a JWT that verifies, with header {alg, kid, typ} naming a key of the JWKS', async () => {
    const service = createSigningKeyService(db(), sealer, () => T0);
    const orgId = await newOrg();
    const keys = await service.forOrg(orgId);
    const jwt = await keys.sign({ ...claims(T0), iss: 'https://id.example.org/o/a', aud: 'client-1' }, { alg: 'ES256' });
    const header = part(jwt, 0);
    expect(header).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'JWT' });
    expect(await kidsOf(service, orgId)).toEqual([header.kid]);
    expect(await keys.verify(jwt, { issuer: 'https://id.example.org/o/a', audience: 'client-1' })).toMatchObject({ sub: '1001', aud: 'client-1' });
    expect(part(await keys.sign({}, { alg: 'ES256', typ: 'at+jwt' }), 0).typ).toBe('at+jwt');
  });

  it('check the typ header when asked: an access token (at+jwt) is not taken for an ID token', async () => {
    const keys = await createSigningKeyService(db(), sealer, () => T0).forOrg(await newOrg());
    const accessToken = await keys.sign(claims(T0), { alg: 'ES256', typ: 'at+jwt' });
    await expect(keys.verify(accessToken, { typ: 'JWT' })).rejects.toThrowError(InvalidSignedTokenError);
    expect(await keys.verify(await keys.sign(claims(T0), { alg: 'ES256' }), { typ: 'JWT' })).toMatchObject({ sub: '1001' });
  });

  it('create the RS256 key only when first asked for, then publish it beside the ES256 key', async () => {
    const service = createSigningKeyService(db(), sealer, () => T0);
    const orgId = await newOrg();
    const keys = await service.forOrg(orgId);
    expect((await rows(orgId)).map((r) => r.alg)).toEqual(['ES256']);
    // A second process whose keyring was loaded (and cached) before the RS256 key existed.
    const earlier = createSigningKeyService(db(), sealer, () => T0);
    await earlier.forOrg(orgId);
    const jwt = await keys.sign(claims(T0), { alg: 'RS256' });
    // It publishes the new key at once: a relying party asking it can verify the token.
    expect((await earlier.publishedJwks(orgId)).keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(part(jwt, 0).alg).toBe('RS256');
    expect((await rows(orgId)).map((r) => r.alg).sort()).toEqual(['ES256', 'RS256']);
    expect((await service.publishedJwks(orgId)).keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(await keys.verify(jwt)).toMatchObject({ sub: '1001' });
    // Another process loading later finds the same two keys.
    const other = createSigningKeyService(db(), sealer, () => T0);
    expect(await other.publishedJwks(orgId)).toEqual(await service.publishedJwks(orgId));
    expect(await (await other.forOrg(orgId)).verify(jwt)).toMatchObject({ sub: '1001' });
  });

  it("refuse a token signed by another organization's key", async () => {
    const service = createSigningKeyService(db(), sealer, () => T0);
    const [a, b] = [await newOrg(), await newOrg()];
    const fromA = await (await service.forOrg(a)).sign(claims(T0), { alg: 'ES256' });
    await expect((await service.forOrg(b)).verify(fromA)).rejects.toThrowError(InvalidSignedTokenError);
    // Even under a kid that B does publish.
    const kidOfB = (await kidsOf(service, b))[0]!;
    const relabelled = withPart(fromA, 0, { ...part(fromA, 0), kid: kidOfB });
    await expect((await service.forOrg(b)).verify(relabelled)).rejects.toThrowError(InvalidSignedTokenError);
  });

  it('refuse a tampered payload, alg none, an HMAC keyed with the public key, and garbage', async () => {
    const service = createSigningKeyService(db(), sealer, () => T0);
    const orgId = await newOrg();
    const keys = await service.forOrg(orgId);
    const jwt = await keys.sign(claims(T0), { alg: 'ES256' });
    const header = part(jwt, 0);

    const tampered = withPart(jwt, 1, { ...part(jwt, 1), sub: '1002' });
    await expect(keys.verify(tampered)).rejects.toThrowError(InvalidSignedTokenError);

    const none = `${withPart(jwt, 0, { alg: 'none', kid: header.kid, typ: 'JWT' }).split('.').slice(0, 2).join('.')}.`;
    await expect(keys.verify(none)).rejects.toThrowError(/alg 'none' is not accepted/);

    const publicJwk = JSON.stringify((await service.publishedJwks(orgId)).keys[0]);
    const hs256 = await new SignJWT(claims(T0)).setProtectedHeader({ alg: 'HS256', kid: header.kid as string }).sign(new TextEncoder().encode(publicJwk));
    await expect(keys.verify(hs256)).rejects.toThrowError(/alg 'HS256' is not accepted/);

    // ES256 header on an RS256 key's kid: the kid and alg must agree.
    const rs = await keys.sign(claims(T0), { alg: 'RS256' });
    await expect(keys.verify(withPart(rs, 0, { ...part(rs, 0), alg: 'ES256' }))).rejects.toThrowError(InvalidSignedTokenError);

    for (const garbage of ['', 'abc', 'a.b.c', `${jwt}.x`, jwt.split('.').slice(0, 2).join('.'), withPart(jwt, 0, { alg: 'ES256' })]) {
      await expect(keys.verify(garbage)).rejects.toThrowError(InvalidSignedTokenError);
    }
  });

  it('check expiry, issuer and audience; allowExpired waives only the expiry', async () => {
    const clock = manualClock();
    const keys = await createSigningKeyService(db(), sealer, clock, { cacheTtlMs: Infinity }).forOrg(await newOrg(clock));
    const jwt = await keys.sign({ ...claims(T0, 60), iss: 'https://a', aud: 'c1' }, { alg: 'ES256' });
    await expect(keys.verify(jwt, { issuer: 'https://b' })).rejects.toThrowError(InvalidSignedTokenError);
    await expect(keys.verify(jwt, { audience: 'c2' })).rejects.toThrowError(InvalidSignedTokenError);
    clock.advance(61_000);
    await expect(keys.verify(jwt)).rejects.toThrowError(/"exp" claim/);
    expect(await keys.verify(jwt, { allowExpired: true, issuer: 'https://a', audience: 'c1' })).toMatchObject({ sub: '1001' });
    await expect(keys.verify(jwt, { allowExpired: true, audience: 'c2' })).rejects.toThrowError(InvalidSignedTokenError);
    await expect(keys.verify(withPart(jwt, 1, { ...part(jwt, 1), sub: 'x' }), { allowExpired: true })).rejects.toThrowError(InvalidSignedTokenError);
  });

  it('keep a retired key published until publish_until, so tokens it signed verify until then', async () => {
    const clock = manualClock();
    const service = createSigningKeyService(db(), sealer, clock);
    const orgId = await newOrg(clock);
    const before = await service.forOrg(orgId);
    const oldKid = (await kidsOf(service, orgId))[0]!;
    const oldToken = await before.sign(claims(clock(), 7200), { alg: 'ES256' });

    clock.advance(1000);
    const rotated = await service.rotate(orgId, { alg: 'ES256', publishForSeconds: 3600 });
    expect(rotated.retiredKid).toBe(oldKid);
    const after = await service.forOrg(orgId);
    expect(await kidsOf(service, orgId)).toEqual([rotated.kid, oldKid]);
    expect(part(await after.sign(claims(clock()), { alg: 'ES256' }), 0).kid).toBe(rotated.kid);
    expect(await after.verify(oldToken)).toMatchObject({ sub: '1001' });

    clock.advance(3600_000 - 1);
    expect(await kidsOf(service, orgId)).toEqual([rotated.kid, oldKid]);
    expect(await (await service.forOrg(orgId)).verify(oldToken)).toMatchObject({ sub: '1001' });
    clock.advance(1);
    const later = await service.forOrg(orgId);
    expect(await kidsOf(service, orgId)).toEqual([rotated.kid]);
    // Still within its own exp, but no longer signed by a published key.
    await expect(later.verify(oldToken)).rejects.toThrowError(InvalidSignedTokenError);
    // The same holds for a keyring object kept across publish_until.
    await expect(after.verify(oldToken)).rejects.toThrowError(InvalidSignedTokenError);

    expect((await listSigningKeys(db(), orgId)).map((k) => [k.kid, k.status, k.publishUntil])).toEqual([
      [rotated.kid, 'active', null],
      [oldKid, 'retired', T0 + 1000 + 3600_000],
    ]);
  });

  it('pick up a rotation made by another process within the cache period, and at once for an unknown kid', async () => {
    const clock = manualClock();
    const server = createSigningKeyService(db(), sealer, clock);
    const cli = createSigningKeyService(db(), sealer, clock);
    const orgId = await newOrg(clock);
    const oldKid = (await kidsOf(server, orgId))[0]!;
    const { kid: newKid } = await cli.rotate(orgId, { alg: 'ES256', publishForSeconds: 3600 });

    // Cached: the server still signs with the retired key, which stays published.
    expect(part(await (await server.forOrg(orgId)).sign({}, { alg: 'ES256' }), 0).kid).toBe(oldKid);
    const byNewKey = await (await cli.forOrg(orgId)).sign(claims(clock()), { alg: 'ES256' });
    // A token under a kid the server has not loaded yet makes it reload (at most every 5 s).
    await expect((await server.forOrg(orgId)).verify(byNewKey)).rejects.toThrowError(InvalidSignedTokenError);
    clock.advance(5000);
    expect(await (await server.forOrg(orgId)).verify(byNewKey)).toMatchObject({ sub: '1001' });
    expect(part(await (await server.forOrg(orgId)).sign({}, { alg: 'ES256' }), 0).kid).toBe(newKid);

    const other = createSigningKeyService(db(), sealer, clock);
    const otherOrg = await newOrg(clock);
    expect(part(await (await other.forOrg(otherOrg)).sign({}, { alg: 'ES256' }), 0).kid).toBe((await kidsOf(other, otherOrg))[0]);
    const { kid: successor } = await cli.rotate(otherOrg, { alg: 'ES256', publishForSeconds: 3600 });
    // Its keyring is cached, but what it publishes is read from the store: the successor is in
    // every process's JWKS before any process signs with it (OpenID Connect Core §10.1.1).
    const signedBefore = part(await (await other.forOrg(otherOrg)).sign({}, { alg: 'ES256' }), 0).kid;
    expect(signedBefore).not.toBe(successor);
    expect((await kidsOf(other, otherOrg)).sort()).toEqual([successor, signedBefore].sort());
  });

  it('publish no private key member, and store the private key only sealed to its org and kid', async () => {
    const service = createSigningKeyService(db(), sealer, () => T0);
    const orgId = await newOrg();
    const keys = await service.forOrg(orgId);
    await keys.sign({}, { alg: 'RS256' });
    const { keys: published } = await service.publishedJwks(orgId);
    expect(published).toHaveLength(2);
    for (const jwk of published) {
      expect(Object.keys(jwk).filter((name) => PRIVATE_MEMBERS.includes(name))).toEqual([]);
      expect(jwk).toMatchObject({ use: 'sig', kid: expect.any(String) });
      expect(Object.keys(jwk).sort()).toEqual(jwk.kty === 'EC' ? ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'] : ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    }
    for (const row of await rows(orgId)) {
      const privateJwk = JSON.parse(sealer.open(row.private_jwk_sealed, signingKeyAssociatedData(orgId, row.kid)).toString('utf8')) as Record<string, string>;
      expect(privateJwk.d).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      expect(JSON.stringify(row)).not.toContain(privateJwk.d);
      for (const member of ['p', 'q', 'dp', 'dq', 'qi']) if (privateJwk[member] !== undefined) expect(JSON.stringify(row)).not.toContain(privateJwk[member]);
      expect(Object.keys(JSON.parse(row.public_jwk) as object).filter((name) => PRIVATE_MEMBERS.includes(name))).toEqual([]);
      expect(() => sealer.open(row.private_jwk_sealed, signingKeyAssociatedData('org_other', row.kid))).toThrowError(UnsealError);
    }
  });

  it('create exactly one ES256 key when several callers and processes ask a fresh org at once', async () => {
    const orgId = await newOrg();
    const processes = Array.from({ length: 4 }, () => createSigningKeyService(db(), sealer, () => T0));
    const keyrings = await Promise.all(processes.flatMap((service) => [service.forOrg(orgId), service.forOrg(orgId)]));
    const created = await rows(orgId);
    expect(created.map((r) => [r.alg, r.retired_at])).toEqual([['ES256', null]]);
    for (const keys of keyrings) expect(part(await keys.sign({}, { alg: 'ES256' }), 0).kid).toBe(created[0]!.kid);

    await Promise.all(keyrings.map((keys) => keys.sign({}, { alg: 'RS256' })));
    expect((await rows(orgId)).filter((r) => r.alg === 'RS256')).toHaveLength(1);
  });

  it('leave one active key after concurrent rotations, each retiring a different key', async () => {
    const orgId = await newOrg();
    const first = createSigningKeyService(db(), sealer, () => T0);
    const original = (await kidsOf(first, orgId))[0];
    const results = await Promise.all(
      Array.from({ length: 3 }, () => createSigningKeyService(db(), sealer, () => T0).rotate(orgId, { alg: 'ES256', publishForSeconds: 60 })),
    );
    const all = await rows(orgId);
    expect(all.filter((r) => r.retired_at === null)).toHaveLength(1);
    expect(new Set(results.map((r) => r.retiredKid)).size).toBe(3);
    expect(results.map((r) => r.retiredKid)).toContain(original);
  });

  it('do not touch the store to sign once an organization is loaded', async () => {
    const counting = countingDb(db());
    const service = createSigningKeyService(counting.db, sealer, () => T0);
    const orgId = await newOrg();
    const keys = await service.forOrg(orgId);
    await keys.sign({}, { alg: 'RS256' });
    const warm = counting.queries();
    expect(warm).toBeGreaterThan(0);
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => keys.sign({ i }, { alg: i % 2 === 0 ? 'ES256' : 'RS256' })));
    for (const token of tokens) await keys.verify(token);
    expect(await service.forOrg(orgId)).toBe(keys);
    expect(counting.queries()).toBe(warm);
  });

  it('refuse keys sealed under another root key, writing nothing', async () => {
    const orgId = await newOrg();
    await createSigningKeyService(db(), sealer, () => T0).forOrg(orgId);
    const stranger = createSigningKeyService(db(), createSealer(randomBytes(32)), () => T0);
    await expect(stranger.forOrg(orgId)).rejects.toThrowError(UnsealError);
    await expect(stranger.rotate(orgId, { alg: 'ES256', publishForSeconds: 60 })).rejects.toThrowError(UnsealError);
    expect(await rows(orgId)).toHaveLength(1);
  });

  it('refuse a negative or fractional publication period', async () => {
    const service = createSigningKeyService(db(), sealer, () => T0);
    const orgId = await newOrg();
    await expect(service.rotate(orgId, { alg: 'ES256', publishForSeconds: -1 })).rejects.toThrowError(InvalidInputError);
    await expect(service.rotate(orgId, { alg: 'ES256', publishForSeconds: 1.5 })).rejects.toThrowError(InvalidInputError);
    expect(await rows(orgId)).toEqual([]);
  });

  it('verify a token made with an exported public JWK of the JWKS by a standard client', async () => {
    const service = createSigningKeyService(db(), sealer, () => T0);
    const orgId = await newOrg();
    const keys = await service.forOrg(orgId);
    const jwt = await keys.sign(claims(T0), { alg: 'ES256' });
    const { importJWK, jwtVerify } = await import('jose');
    const jwk = (await service.publishedJwks(orgId)).keys[0]!;
    const { payload } = await jwtVerify(jwt, await importJWK(jwk, 'ES256'), { currentDate: new Date(T0) });
    expect(payload.sub).toBe('1001');
    // And a key we do not know is refused.
    const foreign = await generateKeyPair('ES256');
    const forged = await new SignJWT(claims(T0)).setProtectedHeader({ alg: 'ES256', kid: jwk.kid as string }).sign(foreign.privateKey);
    await expect(keys.verify(forged)).rejects.toThrowError(InvalidSignedTokenError);
    expect(Object.keys(await exportJWK(foreign.publicKey))).not.toContain('d');
  });
});
