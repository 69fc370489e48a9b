import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSealer } from '../src/keys/sealing.ts';
import { createTestStore, DIALECTS } from './helpers/storage.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { createLogger } from '../src/http/logging.ts';
import { systemClock } from '../src/lib/clock.ts';

describe.each(DIALECTS)('HTTP server on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers /healthz and /readyz over a real socket, uncached', async () => {
    for (const [path, status] of [['/healthz', 'ok'], ['/readyz', 'ready']] as const) {
      const response = await fetch(server.url + path);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({ status });
    }
  });

  it('sends security headers and a request id on every response', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a well-formed X-Request-Id from a proxy and replaces a hostile one', async () => {
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-1234.abc' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-1234.abc');
    const replaced = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': `<script>${'x'.repeat(200)}` } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${server.url}/nope?x=1`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found', error_description: 'No route matches this method and path.' });
  });

  it('logs requests with secrets in the query redacted and no headers', async () => {
    await fetch(`${server.url}/healthz?code=sekrit-code&state=sekrit-state&keep=1`, { headers: { authorization: 'Basic c2VrcmV0' } });
    const line = await vi.waitFor(() => server.logs.find((l) => (l.req as { url?: string } | undefined)?.url?.startsWith('/healthz?')) ?? Promise.reject(new Error('no line yet')));
    expect(line.req).toEqual({ method: 'GET', url: '/healthz?code=***&state=***&keep=1', remoteAddress: '127.0.0.1' });
    const all = JSON.stringify(server.logs);
    expect(all).not.toContain('sekrit');
    expect(all).not.toContain('c2VrcmV0');
  });

  it('writes one access line per request, once answered: request id, method, redacted URL, client address, status and time, nothing more', async () => {
    const response = await fetch(`${server.url}/nope?token=sekrit-token&page=2`, { headers: { cookie: 'sso=c2Vzc2lvbg', 'x-request-id': 'lb-one-line-1' } });
    expect(response.status).toBe(404);
    const lines = await vi.waitFor(() => {
      const found = server.logs.filter((l) => l.reqId === 'lb-one-line-1');
      return found.length > 0 ? found : Promise.reject(new Error('no line yet'));
    });
    expect(lines).toEqual([
      {
        level: 30,
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        service: 'gatehouse',
        reqId: 'lb-one-line-1',
        req: { method: 'GET', url: '/nope?token=***&page=2', remoteAddress: '127.0.0.1' },
        res: { statusCode: 404 },
        responseTime: expect.any(Number),
        msg: 'request completed',
      },
    ]);
    expect(server.logs.filter((l) => l.msg === 'incoming request')).toEqual([]);
    expect(JSON.stringify(server.logs)).not.toContain('c2Vzc2lvbg');
  });

  it("logs the client's address a proxy on loopback forwards (X-Forwarded-For), as the rate limits see it", async () => {
    await fetch(`${server.url}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-request-id': 'lb-forwarded-1' } });
    const line = await vi.waitFor(() => server.logs.find((l) => l.reqId === 'lb-forwarded-1') ?? Promise.reject(new Error('no line yet')));
    expect(line.req).toEqual({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.7' });
  });

  it('logs neither the user_session_id spelling of the API v1 session nor login hints (issue 9 item 10)', async () => {
    const logout = await fetch(`${server.url}/api/v1/logout?user_session_id=sekrit-session`, { method: 'POST' });
    expect(logout.status).toBe(204);
    await fetch(`${server.url}/o/no-such-org/authorize?client_id=app&login_hint=alice.sekrit%40example.org&response_type=code`);
    await vi.waitFor(() => {
      const urls = server.logs.map((l) => (l.req as { url?: string } | undefined)?.url).filter((url) => url !== undefined);
      expect(urls).toContain('/api/v1/logout?user_session_id=***');
      expect(urls).toContain('/o/no-such-org/authorize?client_id=app&login_hint=***&response_type=code');
    });
    expect(JSON.stringify(server.logs)).not.toContain('sekrit');
  });
});

describe('HTTP server edge cases', () => {
  it('answers /readyz with 503 when the store is gone, and /healthz still with 200', async () => {
    const store = await createTestStore('sqlite');
    const app = buildApp(loadConfig({}), { storage: store.storage, logger: createLogger({ level: 'silent' }), clock: systemClock, sealer: createSealer(randomBytes(32)) });
    await store.storage.close();
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    expect((await app.inject('/readyz')).json()).toEqual({ status: 'unavailable', reason: 'storage unreachable' });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    await app.close();
    await store.dispose().catch(() => {});
  });

  it('answers 413 for a body over the limit on a route that takes one, and 400 for malformed JSON', async () => {
    const store = await createTestStore('sqlite');
    const app = buildApp(loadConfig({}), { storage: store.storage, logger: createLogger({ level: 'silent' }), clock: systemClock, sealer: createSealer(randomBytes(32)) });
    app.post('/echo', async (request) => request.body);
    const big = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'a'.repeat(100_000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'request_too_large' });
    const malformed = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"x":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: 'invalid_request' });
    await app.close();
    await store.dispose();
  });

  it('turns an unexpected error into a generic server_error and logs the cause', async () => {
    const store = await createTestStore('sqlite');
    const lines: string[] = [];
    const { Writable } = await import('node:stream');
    const destination = new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) });
    const app = buildApp(loadConfig({}), { storage: store.storage, logger: createLogger({ level: 'error', destination }), clock: systemClock, sealer: createSealer(randomBytes(32)) });
    app.get('/boom', async () => {
      throw new Error('database exploded at row 42');
    });
    const response = await app.inject('/boom');
    expect(response.statusCode).toBe(500);
    expect(response.json().error).toBe('server_error');
    expect(response.body).not.toContain('exploded');
    expect(lines.join('')).toContain('database exploded at row 42');
    await app.close();
    await store.dispose();
  });
});

describe('server logs on a fatal error', () => {
  const ROOT = join(import.meta.dirname, '..');

  /** A process logging as `gatehouse start` does, which then fails in the given way. */
  function crash(failure: string): Promise<{ code: number | null; stdout: string }> {
    const script = `
      import { createLogger, createServerLogDestination } from ${JSON.stringify(join(ROOT, 'src/http/logging.ts'))};
      import { exitOnFatalErrors } from ${JSON.stringify(join(ROOT, 'src/main.ts'))};
      const destination = createServerLogDestination(1);
      const logger = createLogger({ level: 'info', destination });
      exitOnFatalErrors(logger, destination);
      logger.info('before the failure');
      setTimeout(() => { ${failure} }, 10);
      setInterval(() => {}, 1000);
    `;
    return new Promise((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 }, (error, stdout) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout });
      });
    });
  }

  it.each([
    ['an uncaught exception', "throw new Error('boom in a callback')", 'uncaught exception: exiting', 'boom in a callback'],
    ['an unhandled rejection', "void Promise.reject(new Error('boom in a promise'))", 'unhandled promise rejection: exiting', 'boom in a promise'],
  ])('writes out the buffered lines and the cause of %s, then exits 1', async (_name, failure, message, cause) => {
    const { code, stdout } = await crash(failure);
    expect(code).toBe(1);
    const entries = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
    expect(entries.map((entry) => [entry.level, entry.msg])).toEqual([
      [30, 'before the failure'],
      [60, message],
    ]);
    expect(entries[1]!.err).toMatchObject({ type: 'Error', message: cause });
  });
});
