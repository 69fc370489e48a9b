import { createPrivateKey, sign as signWithKey, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';
import type { Transaction } from 'kysely';
import type { Database, Db } from '../db/database.ts';
import { retriedTransaction } from '../db/transaction.ts';
import type { Clock } from '../lib/clock.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { randomBase64url } from '../lib/random.ts';
import type { Sealer } from './sealing.ts';
import { isSigningAlg, SIGNING_ALGS, type SigningAlg, type SigningKeyInfo, type StoredSigningKey } from './signing-key.ts';
import * as repository from './signing-keys.repository.ts';

// The domain types live in the leaf signing-key.ts, which the repository imports too; they are
// re-exported here, the module the rest of Gatehouse imports.
export { isSigningAlg, SIGNING_ALGS, type SigningAlg, type SigningKeyInfo, type StoredSigningKey };

/** ES256 unless a client asks otherwise (`id_token_signed_response_alg`); RS256 is created only when first asked for. */
export const DEFAULT_SIGNING_ALG: SigningAlg = 'ES256';

/**
 * How long `forOrg` serves an organization's keys from memory: 60 s. A rotation done elsewhere (the
 * CLI, another server) is picked up within that time; meanwhile this process keeps signing with the
 * retired key, which stays published, so its tokens still verify everywhere.
 */
export const DEFAULT_SIGNING_KEY_CACHE_TTL_MS = 60_000;

/** Reloading after a verify met an unknown kid happens at most this often per organization, so random kids cannot hammer the store. */
const UNKNOWN_KID_RELOAD_INTERVAL_MS = 5_000;

/** PostgreSQL SQLSTATEs after which a serializable transaction is simply run again. */

/** A JWT that this organization did not sign, or that is not (or no longer) acceptable. The message is for logs only. */
export class InvalidSignedTokenError extends Error {}

export interface OrgSigningKeys {
  /**
   * Signs `payload` as a JWT (compact JWS) with the organization's active key for `alg`, created on
   * first use. Header `{alg, kid, typ}`, `typ` defaulting to `JWT`. Adds no claims.
   */
  sign(payload: Record<string, unknown>, options: { readonly alg: SigningAlg; readonly typ?: string }): Promise<string>;
  /**
   * Verifies a JWT signed by any published key of this organization (active, or retired with
   * publish_until still ahead) and returns its payload. `allowExpired` accepts a token past its
   * `exp` (an `id_token_hint` at logout); `issuer`, `audience` and `typ` are checked when given. Throws
   * InvalidSignedTokenError for anything wrong.
   */
  verify(jwt: string, options?: VerifyOptions): Promise<Record<string, unknown>>;
}

export interface VerifyOptions {
  readonly allowExpired?: boolean;
  readonly issuer?: string;
  readonly audience?: string;
  /** The `typ` header the token must carry: `JWT` for an ID token, so that an `at+jwt` access token signed by the same key is not taken for one. */
  readonly typ?: string;
}

/** A JWKS document (RFC 7517 §5). */
export interface Jwks {
  readonly keys: readonly Record<string, unknown>[];
}

export interface SigningKeyService {
  forOrg(orgId: string): Promise<OrgSigningKeys>;
  /**
   * The organization's JWKS: public keys only, active and retired-but-published, newest first.
   * Read from storage at every call, not from the cached keyring: a key that another process has
   * just created (a rotation, an organization's first RS256 key) may already sign there, and
   * OpenID Connect Core §10.1.1 wants it published before it is used.
   */
  publishedJwks(orgId: string): Promise<Jwks>;
  /**
   * Retires the active key of `alg` (publish_until = now + publishForSeconds) and creates a new
   * active one, in one transaction. Returns the new kid and the retired kid (null if there was none).
   */
  rotate(orgId: string, options: { readonly alg: SigningAlg; readonly publishForSeconds: number }): Promise<{ kid: string; retiredKid: string | null }>;
}

export interface SigningKeyServiceOptions {
  /** See DEFAULT_SIGNING_KEY_CACHE_TTL_MS (60_000). */
  readonly cacheTtlMs?: number;
}

/** Binds a sealed private key to its organization and kid: copied into another row, it fails to open. */
export function signingKeyAssociatedData(orgId: string, kid: string): string {
  return `signing_key:${orgId}:${kid}`;
}

export const listSigningKeys = repository.listSigningKeys;

/** A published key, ready to verify with. */
interface PublishedKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly jwk: Readonly<Record<string, unknown>>;
  readonly publicKey: CryptoKey;
  readonly createdAt: number;
  /** null while active. */
  readonly publishUntil: number | null;
}

/** An active key, ready to sign with. */
interface ActiveKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly privateKey: KeyObject;
  /** The encoded protected header per `typ`, built once. */
  readonly encodedHeaders: Map<string, string>;
}

/**
 * One per process. Keys are unsealed and imported once per organization and cache period, so
 * signing never touches the store once an organization's keys are loaded.
 */
export function createSigningKeyService(db: Db, sealer: Sealer, clock: Clock, options: SigningKeyServiceOptions = {}): SigningKeyService {
  const cacheTtlMs = options.cacheTtlMs ?? DEFAULT_SIGNING_KEY_CACHE_TTL_MS;
  const cache = new Map<string, { readonly loadedAt: number; readonly keys: Promise<OrgSigningKeys> }>();

  function load(orgId: string): Promise<OrgSigningKeys> {
    const entry = { loadedAt: clock(), keys: loadKeyring(orgId) };
    cache.set(orgId, entry);
    // A failed load is not kept: the next caller tries again.
    entry.keys.catch(() => {
      if (cache.get(orgId) === entry) cache.delete(orgId);
    });
    return entry.keys;
  }

  function forOrg(orgId: string): Promise<OrgSigningKeys> {
    const entry = cache.get(orgId);
    const age = entry === undefined ? Infinity : clock() - entry.loadedAt;
    return entry !== undefined && age >= 0 && age < cacheTtlMs ? entry.keys : load(orgId);
  }

  /** A token names a kid we do not know: perhaps another process rotated since we loaded. */
  function reloadForUnknownKid(orgId: string): Promise<OrgSigningKeys> | undefined {
    const entry = cache.get(orgId);
    if (entry !== undefined && clock() - entry.loadedAt < UNKNOWN_KID_RELOAD_INTERVAL_MS) return undefined;
    return load(orgId);
  }

  /** The active key of `alg`, created if the organization has none; safe against concurrent creators. */
  async function ensureActiveKey(orgId: string, alg: SigningAlg): Promise<StoredSigningKey> {
    const existing = await repository.findActiveKey(db, orgId, alg);
    if (existing !== undefined) return existing;
    const candidate = await generateSigningKey(sealer, orgId, alg, clock());
    return serializable(db, async (trx) => {
      const raced = await repository.findActiveKey(trx, orgId, alg);
      if (raced !== undefined) return raced;
      await repository.insertSigningKey(trx, candidate);
      return candidate;
    });
  }

  async function loadKeyring(orgId: string): Promise<OrgSigningKeys> {
    let stored = await repository.findPublishedKeys(db, orgId, clock());
    if (!stored.some((key) => key.alg === DEFAULT_SIGNING_ALG && key.retiredAt === null)) {
      await ensureActiveKey(orgId, DEFAULT_SIGNING_ALG);
      stored = await repository.findPublishedKeys(db, orgId, clock());
    }
    const published = await Promise.all(stored.map(importPublishedKey));
    const active = new Map<SigningAlg, ActiveKey>();
    // Newest first: should a race ever leave two active keys of one alg, the newest signs.
    for (const key of stored) {
      if (key.retiredAt === null && !active.has(key.alg)) active.set(key.alg, await importActiveKey(sealer, key));
    }
    return keyring(orgId, published, active);
  }

  function keyring(orgId: string, published: readonly PublishedKey[], active: Map<SigningAlg, ActiveKey>): OrgSigningKeys {
    const byKid = new Map(published.map((key) => [key.kid, key]));
    const creating = new Map<SigningAlg, Promise<ActiveKey>>();

    const isPublished = (key: PublishedKey, now: number): boolean => key.publishUntil === null || key.publishUntil > now;

    function activeKey(alg: SigningAlg): Promise<ActiveKey> {
      const ready = active.get(alg);
      if (ready !== undefined) return Promise.resolve(ready);
      let pending = creating.get(alg);
      if (pending === undefined) {
        pending = (async () => {
          const stored = await ensureActiveKey(orgId, alg);
          const [publishedKey, activeKey] = await Promise.all([importPublishedKey(stored), importActiveKey(sealer, stored)]);
          byKid.set(publishedKey.kid, publishedKey);
          active.set(alg, activeKey);
          return activeKey;
        })();
        creating.set(alg, pending);
        const forget = (): void => void creating.delete(alg);
        pending.then(forget, forget);
      }
      return pending;
    }

    return {
      async sign(payload, { alg, typ = 'JWT' }) {
        if (!isSigningAlg(alg)) throw new TypeError(`cannot sign with '${String(alg)}'`);
        return signCompactJws(await activeKey(alg), payload, typ);
      },

      async verify(jwt, verifyOptions = {}) {
        const header = readHeader(jwt);
        const key = byKid.get(header.kid);
        if (key === undefined || key.alg !== header.alg || !isPublished(key, clock())) {
          const reloaded = key === undefined ? reloadForUnknownKid(orgId) : undefined;
          if (reloaded !== undefined) return (await reloaded).verify(jwt, verifyOptions);
          throw new InvalidSignedTokenError(`no published ${header.alg} key '${header.kid.slice(0, 64)}' in this organization`);
        }
        return verifyWithKey(jwt, key, verifyOptions, clock());
      },
    };
  }

  return {
    forOrg,

    async publishedJwks(orgId) {
      // Loading the keyring creates the organization's default key if it has none yet.
      await forOrg(orgId);
      const stored = await repository.findPublishedKeys(db, orgId, clock());
      return { keys: stored.map((key) => publicMembers(JSON.parse(key.publicJwk) as JWK, key.kid, key.alg)) };
    },

    async rotate(orgId, { alg, publishForSeconds }) {
      if (!isSigningAlg(alg)) throw new InvalidInputError('alg', `must be one of ${SIGNING_ALGS.join(', ')}`);
      if (!Number.isSafeInteger(publishForSeconds) || publishForSeconds < 0) {
        throw new InvalidInputError('publish_for_seconds', 'must be a whole number of seconds, 0 or more');
      }
      const current = await repository.findActiveKey(db, orgId, alg);
      // Fails (UnsealError) before anything is written when the configured root key is not the one
      // that sealed this organization's keys: a rotation would leave keys the server cannot open.
      if (current !== undefined) await importActiveKey(sealer, current);
      const now = clock();
      const successor = await generateSigningKey(sealer, orgId, alg, now);
      const retiredKid = await serializable(db, async (trx) => {
        const retired = await repository.retireActiveKey(trx, orgId, alg, { retiredAt: now, publishUntil: now + publishForSeconds * 1000 });
        await repository.insertSigningKey(trx, successor);
        return retired;
      });
      cache.delete(orgId);
      return { kid: successor.kid, retiredKid };
    },
  };
}

/**
 * "No active key yet, so insert one" by two processes at once is the classic write skew:
 * PostgreSQL's SSI aborts one of them under SERIALIZABLE, whose retry then finds the other's key;
 * SQLite serializes writers with BEGIN IMMEDIATE.
 */
function serializable<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return retriedTransaction(db, work, { serializable: true });
}

/** A fresh key pair: the public JWK in clear, the private JWK sealed to this organization and kid. */
async function generateSigningKey(sealer: Sealer, orgId: string, alg: SigningAlg, now: number): Promise<StoredSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomBase64url(12);
  const publicJwk = publicMembers(await exportJWK(publicKey), kid, alg);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  return {
    orgId,
    kid,
    alg,
    publicJwk: JSON.stringify(publicJwk),
    privateJwkSealed: sealer.seal(JSON.stringify(privateJwk), signingKeyAssociatedData(orgId, kid)),
    createdAt: now,
    retiredAt: null,
    publishUntil: null,
  };
}

/** Only the public members of an EC or RSA JWK (RFC 7518 §6.2.1, §6.3.1), named. Never `d`, `p`, `q`, `dp`, `dq`, `qi`. */
function publicMembers(jwk: JWK, kid: string, alg: SigningAlg): Record<string, unknown> {
  const members = jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: jwk.kty, n: jwk.n, e: jwk.e };
  return { ...members, kid, alg, use: 'sig' };
}

async function importPublishedKey(key: StoredSigningKey): Promise<PublishedKey> {
  const stored = JSON.parse(key.publicJwk) as JWK;
  const jwk = Object.freeze(publicMembers(stored, key.kid, key.alg));
  const publicKey = asCryptoKey(await importJWK(jwk as JWK, key.alg));
  return { kid: key.kid, alg: key.alg, jwk, publicKey, createdAt: key.createdAt, publishUntil: key.publishUntil };
}

async function importActiveKey(sealer: Sealer, key: StoredSigningKey): Promise<ActiveKey> {
  const plaintext = sealer.open(key.privateJwkSealed, signingKeyAssociatedData(key.orgId, key.kid));
  try {
    const jwk = JSON.parse(plaintext.toString('utf8')) as JWK;
    return { kid: key.kid, alg: key.alg, privateKey: createPrivateKey({ key: jwk as Record<string, unknown> & { kty: string }, format: 'jwk' }), encodedHeaders: new Map() };
  } finally {
    plaintext.fill(0);
  }
}

/**
 * A compact JWS (RFC 7515 §7.1) signed with node:crypto's synchronous sign rather than jose's,
 * which goes through WebCrypto: a job on the thread pool and a structured clone per signature,
 * about 105 µs of CPU per ES256 token against 53 µs here (measured), on every code redemption and
 * sign-in. ES256 signatures are the raw r‖s pair (RFC 7518 §3.4, `ieee-p1363`); RS256 is
 * RSASSA-PKCS1-v1_5 with SHA-256 (§3.3), node's default padding for RSA keys. Verification stays
 * with jose (jwtVerify), and the tests verify what is signed here with jose and openid-client.
 */
function signCompactJws(key: ActiveKey, payload: Record<string, unknown>, typ: string): string {
  let header = key.encodedHeaders.get(typ);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ }), 'utf8').toString('base64url');
    key.encodedHeaders.set(typ, header);
  }
  const signingInput = `${header}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`;
  const signature = signWithKey('sha256', Buffer.from(signingInput, 'ascii'), key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function asCryptoKey(key: CryptoKey | Uint8Array): CryptoKey {
  if (key instanceof Uint8Array) throw new TypeError('a signing key must be asymmetric');
  return key;
}

function readHeader(jwt: unknown): { readonly alg: SigningAlg; readonly kid: string } {
  if (typeof jwt !== 'string' || jwt.split('.').length !== 3) throw new InvalidSignedTokenError('not a compact JWS');
  let header;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    throw new InvalidSignedTokenError('the JWS header is not a JSON object');
  }
  // Only what we sign with: never `none`, never an HMAC keyed with a public key (RFC 8725 §2.1, §3.1).
  if (!isSigningAlg(header.alg)) throw new InvalidSignedTokenError(`alg '${String(header.alg).slice(0, 32)}' is not accepted`);
  if (typeof header.kid !== 'string') throw new InvalidSignedTokenError('the JWS header names no kid');
  return { alg: header.alg, kid: header.kid };
}

async function verifyWithKey(
  jwt: string,
  key: PublishedKey,
  options: VerifyOptions,
  now: number,
): Promise<Record<string, unknown>> {
  const check = (at: number) =>
    jwtVerify(jwt, key.publicKey, { algorithms: [key.alg], issuer: options.issuer, audience: options.audience, typ: options.typ, currentDate: new Date(at) });
  try {
    return (await check(now)).payload;
  } catch (error) {
    if (options.allowExpired === true && error instanceof errors.JWTExpired && error.claim === 'exp' && typeof error.payload.exp === 'number') {
      // An expired id_token_hint is still a hint (OIDC RP-Initiated Logout 1.0 §2): check everything
      // else as of the last second it was valid.
      try {
        return (await check((error.payload.exp - 1) * 1000)).payload;
      } catch (again) {
        throw new InvalidSignedTokenError(reason(again), { cause: again });
      }
    }
    throw new InvalidSignedTokenError(reason(error), { cause: error });
  }
}

function reason(error: unknown): string {
  return error instanceof errors.JOSEError ? error.message : 'the token could not be verified';
}
