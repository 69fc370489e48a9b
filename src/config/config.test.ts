import { describe, expect, it } from 'vitest';
import { ConfigError, issuerFor, loadConfig } from './config.ts';

const load = (env: Record<string, string>) => loadConfig(env, '/srv/gatehouse');

function errorOf(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has secure, documented defaults', () => {
    const config = load({});
    expect(config).toEqual({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:3000',
      dataDir: '/srv/gatehouse/data',
      databaseUrl: undefined,
      secretKey: undefined,
      logLevel: 'info',
      rateLimitIpv6PrefixBits: 64,
      pendingSignInsPerNetwork: 50,
      pendingSignInsPerOrg: 10_000,
      outboundAllowPrivateNetwork: false,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('derives the default PUBLIC_URL from PORT', () => {
    expect(load({ PORT: '8443' }).publicUrl).toBe('http://localhost:8443');
  });

  it('normalizes PUBLIC_URL without a trailing slash, keeping a path', () => {
    expect(load({ PUBLIC_URL: 'https://id.example.org/auth/' }).publicUrl).toBe('https://id.example.org/auth');
    expect(issuerFor(load({ PUBLIC_URL: 'https://id.example.org/' }), 'acme')).toBe('https://id.example.org/o/acme');
  });

  it('reads the IPv6 prefix of per-IP limits', () => {
    expect(load({ RATE_LIMIT_IPV6_PREFIX: '56' }).rateLimitIpv6PrefixBits).toBe(56);
  });

  it('reads the limits of pending sign-ins', () => {
    expect(load({ PENDING_SIGN_INS_PER_NETWORK: '200', PENDING_SIGN_INS_PER_ORG: '50000' })).toMatchObject({ pendingSignInsPerNetwork: 200, pendingSignInsPerOrg: 50_000 });
  });

  it('reads whether outbound calls may reach private networks, true or false in any case', () => {
    expect(load({ OUTBOUND_ALLOW_PRIVATE_NETWORK: 'true' }).outboundAllowPrivateNetwork).toBe(true);
    expect(load({ OUTBOUND_ALLOW_PRIVATE_NETWORK: 'TRUE' }).outboundAllowPrivateNetwork).toBe(true);
    expect(load({ OUTBOUND_ALLOW_PRIVATE_NETWORK: 'False' }).outboundAllowPrivateNetwork).toBe(false);
    expect(load({ OUTBOUND_ALLOW_PRIVATE_NETWORK: '' }).outboundAllowPrivateNetwork).toBe(false);
  });

  it('treats empty variables as unset', () => {
    expect(load({ PORT: '', DATABASE_URL: ' ' })).toMatchObject({ port: 3000, databaseUrl: undefined });
  });

  it('accepts a 32-byte root key in base64, base64url or hex', () => {
    const key = Buffer.alloc(32, 7);
    for (const encoded of [key.toString('base64'), key.toString('base64url'), key.toString('hex')]) {
      expect(load({ GATEHOUSE_SECRET_KEY: encoded }).secretKey).toEqual(key);
    }
  });

  it.each([
    [{ PORT: 'http' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ PUBLIC_URL: 'login.example.org' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://login.example.org' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://login.example.org/?x=1' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://login.example.org/#top' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://user:pw@login.example.org' }, 'PUBLIC_URL'],
    [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ GATEHOUSE_SECRET_KEY: 'short' }, 'GATEHOUSE_SECRET_KEY'],
    [{ GATEHOUSE_SECRET_KEY: Buffer.alloc(16).toString('hex') }, 'GATEHOUSE_SECRET_KEY'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ RATE_LIMIT_IPV6_PREFIX: '16' }, 'RATE_LIMIT_IPV6_PREFIX'],
    [{ RATE_LIMIT_IPV6_PREFIX: '129' }, 'RATE_LIMIT_IPV6_PREFIX'],
    [{ RATE_LIMIT_IPV6_PREFIX: '/64' }, 'RATE_LIMIT_IPV6_PREFIX'],
    [{ PENDING_SIGN_INS_PER_NETWORK: '5' }, 'PENDING_SIGN_INS_PER_NETWORK'],
    [{ PENDING_SIGN_INS_PER_NETWORK: '1e3' }, 'PENDING_SIGN_INS_PER_NETWORK'],
    [{ PENDING_SIGN_INS_PER_ORG: '-1' }, 'PENDING_SIGN_INS_PER_ORG'],
    [{ PENDING_SIGN_INS_PER_ORG: '20000000' }, 'PENDING_SIGN_INS_PER_ORG'],
    [{ OUTBOUND_ALLOW_PRIVATE_NETWORK: 'yes' }, 'OUTBOUND_ALLOW_PRIVATE_NETWORK'],
    [{ OUTBOUND_ALLOW_PRIVATE_NETWORK: '1' }, 'OUTBOUND_ALLOW_PRIVATE_NETWORK'],
    [{ GATEHOUSE_SECRET: 'typo' }, 'GATEHOUSE_SECRET'],
  ])('rejects %o naming %s', (env, variable) => {
    const error = errorOf(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('never echoes the secret key value in its error', () => {
    const error = errorOf({ GATEHOUSE_SECRET_KEY: 'hunter2-is-not-a-key' });
    expect(error.message).not.toContain('hunter2');
  });
});
