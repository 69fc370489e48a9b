import { describe, expect, it } from 'vitest';
import { findProvider } from '../catalogue/catalogue.ts';
import { loadCatalogue } from '../catalogue/load-catalogue.ts';
import type { Provider } from '../catalogue/provider.ts';
import { ConnectorNeedsReauthError } from '../credentials-errors.ts';
import { UpstreamMisconfigured, UpstreamRejected, UpstreamUnavailable } from '../upstream/upstream-errors.ts';
import { VaultOpenError } from '../vault/vault.ts';
import { BACKOFF_CAP_MS, retryDelayMs, RETRY_AFTER_CAP_MS } from './backoff.ts';
import { classifyRefreshFailure } from './failure.ts';
import { nextRefreshAt, refreshTokenLapsesAt } from './schedule.ts';

// The background refresh's pure rules (docs/decisions/0013): when a connector is due, how long
// it waits after a failure, and which failures end its grant.

const MINUTE = 60_000;
const T = 1_700_000_000_000;

function provider(id: string): Provider {
  const found = findProvider(id);
  if (found === undefined) throw new Error(`no provider ${id}`);
  return found;
}

/** An entry of the catalogue's shape with the given refresh rules. */
function withRefresh(refresh: Record<string, unknown>): Provider {
  return loadCatalogue([
    { id: 'test', display_name: 'Test', auth_mode: 'oauth2', categories: ['generic'], docs_url: 'https://docs.example', authorization_url: 'https://id.example/authorize', token_url: 'https://id.example/token', refresh, example_config: {} },
  ]).get('test')!;
}

describe('nextRefreshAt', () => {
  const oidc = provider('openid-connect');

  it('renews 15 minutes before expiry by default', () => {
    expect(nextRefreshAt(oidc, { accessExpiresAt: T + 60 * MINUTE, refreshExpiresAt: null, renewable: true }, T)).toBe(T + 45 * MINUTE);
  });

  it('renews a token shorter-lived than twice the margin after half its life, not at once', () => {
    expect(nextRefreshAt(oidc, { accessExpiresAt: T + 2 * MINUTE, refreshExpiresAt: null, renewable: true }, T)).toBe(T + MINUTE);
    // Already expired when stored (an import of an old token): due at once.
    expect(nextRefreshAt(oidc, { accessExpiresAt: T - 1000, refreshExpiresAt: null, renewable: true }, T)).toBe(T - 1000);
  });

  it('renews earlier when the refresh token would lapse first (RefreshExpires, or the entry\'s idle lifetime)', () => {
    expect(nextRefreshAt(oidc, { accessExpiresAt: T + 24 * 60 * MINUTE, refreshExpiresAt: T + 120 * MINUTE, renewable: true }, T)).toBe(T + 105 * MINUTE);
    const idle = withRefresh({ refresh_token_idle_seconds: 3600, margin_seconds: 300 });
    expect(nextRefreshAt(idle, { accessExpiresAt: null, refreshExpiresAt: null, renewable: true }, T)).toBe(T + 55 * MINUTE);
    expect(refreshTokenLapsesAt(idle, { refreshExpiresAt: null, storedAt: T })).toBe(T + 60 * MINUTE);
  });

  it('follows the entry\'s margin', () => {
    expect(nextRefreshAt(withRefresh({ margin_seconds: 60 }), { accessExpiresAt: T + 60 * MINUTE, refreshExpiresAt: null, renewable: true }, T)).toBe(T + 59 * MINUTE);
  });

  it('does not schedule a token without expiry or refresh token lifetime, nor an API key; one that cannot be renewed is due when it expires', () => {
    expect(nextRefreshAt(oidc, { accessExpiresAt: null, refreshExpiresAt: null, renewable: true }, T)).toBeNull();
    expect(nextRefreshAt(provider('api-key'), { accessExpiresAt: T + MINUTE, refreshExpiresAt: null, renewable: true }, T)).toBeNull();
    expect(nextRefreshAt(oidc, { accessExpiresAt: T + 60 * MINUTE, refreshExpiresAt: null, renewable: false }, T)).toBe(T + 60 * MINUTE);
  });
});

describe('retryDelayMs', () => {
  it('doubles from 30 s with equal jitter, capped at an hour', () => {
    expect(retryDelayMs(1, { random: () => 0 })).toBe(15_000);
    expect(retryDelayMs(1, { random: () => 0.999999 })).toBe(30_000);
    expect(retryDelayMs(3, { random: () => 0 })).toBe(60_000);
    expect(retryDelayMs(30, { random: () => 0.5 })).toBe(BACKOFF_CAP_MS * 0.75);
  });

  it('waits at least the provider\'s Retry-After, up to six hours', () => {
    expect(retryDelayMs(1, { retryAfterSeconds: 120, random: () => 0 })).toBe(120_000);
    expect(retryDelayMs(1, { retryAfterSeconds: 10 ** 8, random: () => 0 })).toBe(RETRY_AFTER_CAP_MS);
  });
});

describe('classifyRefreshFailure', () => {
  const oidc = provider('openid-connect');
  const rejected = (error: string | null) => new UpstreamRejected('x', 'refresh', { error, description: 'why', status: 400 });

  it('ends the grant on invalid_grant and invalid_client, and on the entry\'s own codes (Slack\'s token_revoked)', () => {
    expect(classifyRefreshFailure(rejected('invalid_grant'), oidc)).toEqual({ kind: 'grant_gone', failure: { code: 'invalid_grant', description: 'why' } });
    expect(classifyRefreshFailure(rejected('invalid_client'), oidc)?.kind).toBe('grant_gone');
    expect(classifyRefreshFailure(rejected('token_revoked'), oidc)?.kind).toBe('retry');
    expect(classifyRefreshFailure(rejected('token_revoked'), provider('slack'))?.kind).toBe('grant_gone');
    expect(classifyRefreshFailure(new ConnectorNeedsReauthError('no refresh token'), oidc)?.kind).toBe('grant_gone');
    expect(classifyRefreshFailure(new VaultOpenError('rejected', 'does not open'), oidc)).toMatchObject({ kind: 'grant_gone', failure: { code: 'credentials_unreadable' } });
  });

  it('retries 5xx, 429, timeouts, network errors and other refusals, with the provider\'s Retry-After', () => {
    expect(classifyRefreshFailure(new UpstreamUnavailable('x', 'refresh', 'server_error', 'answered HTTP 429', { retryAfterSeconds: 30 }), oidc)).toMatchObject({
      kind: 'retry',
      failure: { code: 'upstream_server_error' },
      retryAfterSeconds: 30,
    });
    expect(classifyRefreshFailure(new UpstreamUnavailable('x', 'refresh', 'timeout', 'no answer'), oidc)).toMatchObject({ kind: 'retry', failure: { code: 'upstream_timeout' } });
    expect(classifyRefreshFailure(new UpstreamMisconfigured('x', 'refresh', 'destination_refused', 'private'), oidc)?.kind).toBe('retry');
    expect(classifyRefreshFailure(rejected('invalid_scope'), oidc)).toMatchObject({ kind: 'retry', failure: { code: 'invalid_scope' } });
    expect(classifyRefreshFailure(rejected(null), oidc)).toMatchObject({ kind: 'retry', failure: { code: 'upstream_rejected' } });
  });

  it('leaves what is no refresh failure to the caller', () => {
    expect(classifyRefreshFailure(new Error('connection to the store lost'), oidc)).toBeNull();
  });
});
