import { isAbsolute, resolve } from 'node:path';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything Gatehouse reads from its environment, validated once at start. */
export interface Config {
  /** TCP port to listen on. `PORT`, default 3000; 0 picks a free port. */
  readonly port: number;
  /** Interface to listen on. `HOST`, default 127.0.0.1 (loopback only: put a proxy in front). */
  readonly host: string;
  /**
   * The externally visible base URL, without a trailing slash. Every issuer is
   * `${publicUrl}/o/<slug>` and every link is built from it. `PUBLIC_URL`,
   * default `http://localhost:$PORT`.
   */
  readonly publicUrl: string;
  /** Where the embedded store, the generated root key and other local state live. `DATA_DIR`, default `./data`, resolved to an absolute path. */
  readonly dataDir: string;
  /** PostgreSQL connection string. `DATABASE_URL`; when unset, the embedded SQLite store in `dataDir` is used. */
  readonly databaseUrl: string | undefined;
  /**
   * The 32-byte root key that encrypts stored key material. `GATEHOUSE_SECRET_KEY` (base64,
   * base64url or hex). When unset, a key is generated into `dataDir` on first start.
   */
  readonly secretKey: Buffer | undefined;
  /** `LOG_LEVEL`, default `info`. */
  readonly logLevel: LogLevel;
  /**
   * How many leading bits of an IPv6 client address name one client in every per-IP limit.
   * `RATE_LIMIT_IPV6_PREFIX`, default 64: one subscriber's allocation (RFC 6177), through which
   * privacy addresses rotate (RFC 8981). IPv4 clients are always counted by their address.
   */
  readonly rateLimitIpv6PrefixBits: number;
  /**
   * Pending sign-ins (authorization requests waiting for a person) kept per client network, as
   * counted above, in one organization; past it the network's oldest is dropped (its page
   * expires). `PENDING_SIGN_INS_PER_NETWORK`, default 50: many tabs, or a household or an office
   * behind one address (see oauth/sessions/pending-sign-ins.ts).
   */
  readonly pendingSignInsPerNetwork: number;
  /**
   * Pending sign-ins kept per organization, whatever their networks; past it the org's oldest
   * are dropped. `PENDING_SIGN_INS_PER_ORG`, default 10000 (5 MB of usual requests, 33 MB of the largest).
   */
  readonly pendingSignInsPerOrg: number;
  /**
   * Whether calls to third-party providers (token exchange, refresh, OpenID Connect discovery)
   * may use `http:` and reach loopback, private, link-local and other non-public addresses.
   * `OUTBOUND_ALLOW_PRIVATE_NETWORK`, `true` or `false`, default `false`: a provider URL that
   * staff configure must not reach the deployment's own network (server-side request forgery).
   * Gatehouse has no notion of a production environment: setting this variable is itself the
   * explicit choice, and the server warns at start while it is on. For development and tests.
   */
  readonly outboundAllowPrivateNetwork: boolean;
}

export const CONFIG_DEFAULTS = Object.freeze({
  port: 3000,
  host: '127.0.0.1',
  dataDir: './data',
  logLevel: 'info' satisfies LogLevel,
  rateLimitIpv6PrefixBits: 64,
  pendingSignInsPerNetwork: 50,
  pendingSignInsPerOrg: 10_000,
  outboundAllowPrivateNetwork: false,
});

/** The variables Gatehouse reads. Any other `GATEHOUSE_*` variable is a typo and stops the start. */
const KNOWN_VARIABLES = new Set([
  'PORT',
  'HOST',
  'PUBLIC_URL',
  'DATA_DIR',
  'DATABASE_URL',
  'GATEHOUSE_SECRET_KEY',
  'LOG_LEVEL',
  'RATE_LIMIT_IPV6_PREFIX',
  'PENDING_SIGN_INS_PER_NETWORK',
  'PENDING_SIGN_INS_PER_ORG',
  'OUTBOUND_ALLOW_PRIVATE_NETWORK',
]);

/** A configuration value that cannot be used. The message names the variable and what to do. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration. Pure: it reads only `env` (and `cwd` to resolve a
 * relative `DATA_DIR`), touches no file, and throws a ConfigError naming the first bad variable.
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  for (const name of Object.keys(env)) {
    if (name.startsWith('GATEHOUSE_') && !KNOWN_VARIABLES.has(name)) {
      throw new ConfigError(name, `unknown variable; Gatehouse reads ${[...KNOWN_VARIABLES].join(', ')}`);
    }
  }
  const port = parsePort(value(env, 'PORT'));
  const host = value(env, 'HOST') ?? CONFIG_DEFAULTS.host;
  const publicUrl = parsePublicUrl(value(env, 'PUBLIC_URL') ?? `http://localhost:${port}`);
  const dataDirRaw = value(env, 'DATA_DIR') ?? CONFIG_DEFAULTS.dataDir;
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  const databaseUrl = parseDatabaseUrl(value(env, 'DATABASE_URL'));
  const secretKey = parseSecretKey(value(env, 'GATEHOUSE_SECRET_KEY'));
  const logLevel = parseLogLevel(value(env, 'LOG_LEVEL'));
  const rateLimitIpv6PrefixBits = parseIpv6Prefix(value(env, 'RATE_LIMIT_IPV6_PREFIX'));
  const pendingSignInsPerNetwork = parseCount(env, 'PENDING_SIGN_INS_PER_NETWORK', CONFIG_DEFAULTS.pendingSignInsPerNetwork, { min: 10, max: 100_000 });
  const pendingSignInsPerOrg = parseCount(env, 'PENDING_SIGN_INS_PER_ORG', CONFIG_DEFAULTS.pendingSignInsPerOrg, { min: 10, max: 10_000_000 });
  const outboundAllowPrivateNetwork = parseBoolean(env, 'OUTBOUND_ALLOW_PRIVATE_NETWORK', CONFIG_DEFAULTS.outboundAllowPrivateNetwork);
  return Object.freeze({ port, host, publicUrl, dataDir, databaseUrl, secretKey, logLevel, rateLimitIpv6PrefixBits, pendingSignInsPerNetwork, pendingSignInsPerOrg, outboundAllowPrivateNetwork });
}

/** An empty variable counts as unset, as shells and compose files often leave them empty. */
function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return CONFIG_DEFAULTS.port;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError('PORT', `'${raw}' is not a port number (0-65535)`);
  }
  return Number(raw);
}

function parsePublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('PUBLIC_URL', `'${raw}' is not an absolute URL such as https://login.example.org`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('PUBLIC_URL', 'must be an http:// or https:// URL');
  }
  // OpenID Connect Discovery 1.0 §3: an issuer has no query or fragment component.
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    throw new ConfigError('PUBLIC_URL', 'must not have a query or a fragment');
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError('PUBLIC_URL', 'must not contain credentials');
  }
  return url.href.replace(/\/+$/, '');
}

function parseDatabaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL; expected postgres://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `scheme '${url.protocol}' is not supported; use postgres:// (unset it to use the embedded SQLite store)`);
  }
  return raw;
}

function parseSecretKey(raw: string | undefined): Buffer | undefined {
  if (raw === undefined) return undefined;
  const key = decodeKey(raw);
  if (key === undefined || key.length !== 32) {
    throw new ConfigError(
      'GATEHOUSE_SECRET_KEY',
      'must be 32 random bytes in base64, base64url or hex; generate one with: openssl rand -base64 32',
    );
  }
  return key;
}

export function decodeKey(raw: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(raw)) return Buffer.from(raw.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
  return undefined;
}

function parseLogLevel(raw: string | undefined): LogLevel {
  if (raw === undefined) return CONFIG_DEFAULTS.logLevel;
  const level = raw.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError('LOG_LEVEL', `'${raw}' is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return level as LogLevel;
}

function parseIpv6Prefix(raw: string | undefined): number {
  if (raw === undefined) return CONFIG_DEFAULTS.rateLimitIpv6PrefixBits;
  // Shorter than /32 would count a whole provider's customers as one client.
  if (!/^\d{1,3}$/.test(raw) || Number(raw) < 32 || Number(raw) > 128) {
    throw new ConfigError('RATE_LIMIT_IPV6_PREFIX', `'${raw}' is not a prefix length from 32 to 128 (64 counts each /64 as one client)`);
  }
  return Number(raw);
}

/** A whole number from `min` to `max` (fewer than 10 would stop one person's several tabs signing in at once). */
function parseCount(env: Env, name: string, fallback: number, range: { readonly min: number; readonly max: number }): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,8}$/.test(raw) || Number(raw) < range.min || Number(raw) > range.max) {
    throw new ConfigError(name, `'${raw}' is not a whole number from ${range.min} to ${range.max}`);
  }
  return Number(raw);
}

/**
 * `true` or `false`, in any case. Nothing else: a switch that loosens a safety rule must not turn
 * on from a value someone meant otherwise (`no`, `0`, `off`, a typo).
 */
function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new ConfigError(name, `'${raw}' is neither true nor false`);
}

/** The issuer identifier of an organization: `PUBLIC_URL/o/<slug>` (a public contract). */
export function issuerFor(config: Pick<Config, 'publicUrl'>, slug: string): string {
  return `${config.publicUrl}/o/${slug}`;
}
