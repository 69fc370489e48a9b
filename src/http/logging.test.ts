import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessLog, createLogger, createServerLogDestination, redactUrl } from './logging.ts';

describe('redactUrl', () => {
  it('hides the values of secret parameters and keeps the rest', () => {
    expect(redactUrl('/cb?code=abc123&state=xyz&scope=openid')).toBe('/cb?code=***&state=***&scope=openid');
    expect(redactUrl('/api/v1/accounts?userSessionId=s3cret&page=2')).toBe('/api/v1/accounts?userSessionId=***&page=2');
    expect(redactUrl('/x?client%5Fsecret=leak')).toBe('/x?client%5Fsecret=***');
  });

  it('hides every spelling of the API v1 session and the values of hints and personal search terms', () => {
    // Issue 9 item 10: `user_session_id` and `login_hint` values reached the logs.
    expect(redactUrl('/api/v1/logout?user_session_id=s3cret')).toBe('/api/v1/logout?user_session_id=***');
    expect(redactUrl('/api/v1/accounts?UserSessionID=a&user-session-id=b&USER_SESSION_ID=c')).toBe('/api/v1/accounts?UserSessionID=***&user-session-id=***&USER_SESSION_ID=***');
    expect(redactUrl('/o/demo/authorize?client_id=app&login_hint=alice%40example.org&scope=openid')).toBe('/o/demo/authorize?client_id=app&login_hint=***&scope=openid');
    expect(redactUrl('/o/demo/logout?logout_hint=alice&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye')).toBe('/o/demo/logout?logout_hint=***&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye');
    expect(redactUrl('/api/v2/constituents?email=a%40b.org&login_name=alice&q=ali&attribute=tier%3Agold&status=active')).toBe(
      '/api/v2/constituents?email=***&login_name=***&q=***&attribute=***&status=active',
    );
    expect(redactUrl('/o/demo/token?client_assertion=eyJ.x.y&assertion=eyJ.z&otp=123456&request=eyJ.r&apiKey=k')).toBe('/o/demo/token?client_assertion=***&assertion=***&otp=***&request=***&apiKey=***');
  });

  it('leaves URLs without a query alone and survives malformed escapes', () => {
    expect(redactUrl('/healthz')).toBe('/healthz');
    expect(redactUrl('/x?%E0%A4%A=1&token=t')).toBe('/x?%E0%A4%A=1&token=***');
  });
});

describe('createLogger', () => {
  it('logs requests without headers and with redacted URLs', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    logger.info({ req: { method: 'GET', url: '/o/demo/authorize?code=topsecret', ip: '127.0.0.1', headers: { authorization: 'Basic abc' } } }, 'incoming');
    const logged = JSON.parse(lines.join('')) as { req: Record<string, unknown> };
    expect(logged.req).toEqual({ method: 'GET', url: '/o/demo/authorize?code=***', remoteAddress: '127.0.0.1' });
    expect(lines.join('')).not.toContain('topsecret');
    expect(lines.join('')).not.toContain('Basic abc');
  });

  it("drops the raw bytes Node's HTTP parser attaches to a malformed request's error", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'trace', destination });
    const error = Object.assign(new Error('Parse Error: Invalid header value char'), { code: 'HPE_INVALID_HEADER_TOKEN', rawPacket: Buffer.from('GET /?login_hint=alice HTTP/1.1\r\nAuthorization: Basic c2VrcmV0\r\n') });
    logger.trace({ err: error }, 'client error');
    const logged = JSON.parse(lines.join('')) as { err: Record<string, unknown> };
    expect(logged.err).toMatchObject({ type: 'Error', message: 'Parse Error: Invalid header value char', code: 'HPE_INVALID_HEADER_TOKEN' });
    expect(logged.err).not.toHaveProperty('rawPacket');
  });
});

describe('AccessLog', () => {
  function capture(): { lines: string[]; destination: Writable } {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { lines, destination };
  }

  /** With the time, which may have moved on by a millisecond, made equal. */
  const timeless = (line: string): string => line.replace(/"time":"[^"]*"/, '"time":"T"');

  it.each([
    ['a plain request', { id: 'a3c1b6f2-1234-4cde-9abc-0123456789ab', method: 'GET', url: '/o/demo/.well-known/openid-configuration', ip: '127.0.0.1' }],
    ['a query to redact and characters to escape', { id: 'lb-1', method: 'POST', url: '/x?code=abc&note="quoted"\\back\u0001ctl\u00e9', ip: '2001:db8::1' }],
    ['no client address (the socket already closed)', { id: 'lb-2', method: 'GET', url: '/healthz', ip: undefined }],
  ])('writes the line pino would write for %s, and nothing else', (_name, fields) => {
    const request = { ...fields, headers: {}, socket: { remoteAddress: fields.ip } };
    const hand = capture();
    const reply = { statusCode: 201, elapsedTime: 1.2345678 };
    new AccessLog(createLogger({ level: 'info', destination: hand.destination })).requestCompleted(null, request as unknown as FastifyRequest, reply as unknown as FastifyReply);
    const generic = capture();
    createLogger({ level: 'info', destination: generic.destination })
      .child({ reqId: request.id })
      .info({ req: request, res: reply, responseTime: 1.235 }, 'request completed');
    expect(hand.lines).toHaveLength(1);
    expect(timeless(hand.lines[0]!)).toBe(timeless(generic.lines[0]!));
    expect(JSON.parse(hand.lines[0]!)).toMatchObject({ reqId: request.id, req: { url: redactUrl(request.url) }, res: { statusCode: 201 }, responseTime: 1.235 });
  });

  it('writes nothing below the info level', () => {
    const { lines, destination } = capture();
    const access = new AccessLog(createLogger({ level: 'warn', destination }));
    access.requestCompleted(null, { id: 'x', method: 'GET', url: '/', ip: '127.0.0.1', headers: {}, socket: { remoteAddress: '127.0.0.1' } } as unknown as FastifyRequest, { statusCode: 200, elapsedTime: 1 } as unknown as FastifyReply);
    expect(lines).toEqual([]);
  });
});

describe('createServerLogDestination', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function logFile(): { path: string; fd: number } {
    const path = join(mkdtempSync(join(tmpdir(), 'gatehouse-log-')), 'out.log');
    return { path, fd: openSync(path, 'w') };
  }

  it('holds lines back until a flush, then writes them all, in order, before calling back', async () => {
    const { path, fd } = logFile();
    const destination = createServerLogDestination(fd);
    for (const n of [1, 2, 3]) destination.write(`{"n":${n}}\n`);
    expect(readFileSync(path, 'utf8')).toBe('');
    await new Promise<void>((resolve, reject) => destination.flush((error) => (error ? reject(error) : resolve())));
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    closeSync(fd);
  });

  it('writes on its own once 64 KiB wait, and within a second when the server is quiet', async () => {
    vi.useFakeTimers({ toFake: ['setInterval'] });
    const { path, fd } = logFile();
    const destination = createServerLogDestination(fd);
    const line = `{"pad":"${'x'.repeat(1000)}"}\n`;
    for (let i = 0; i < 70; i++) destination.write(line);
    // The 65th line reaches 64 KiB: those are written; the last five wait.
    await vi.waitFor(() => expect(readFileSync(path, 'utf8')).toBe(line.repeat(65)));
    destination.write('{"quiet":true}\n');
    vi.advanceTimersByTime(1000);
    await vi.waitFor(() => expect(readFileSync(path, 'utf8')).toBe(`${line.repeat(70)}{"quiet":true}\n`));
    closeSync(fd);
  });

  it('writes out every line synchronously on flushSync, in the order written, also with non-ASCII text', () => {
    const { path, fd } = logFile();
    const destination = createServerLogDestination(fd);
    destination.write('{"msg":"héllo ✓"}\n');
    destination.write('{"msg":"second"}\n');
    destination.flushSync();
    expect(readFileSync(path, 'utf8')).toBe('{"msg":"héllo ✓"}\n{"msg":"second"}\n');
    closeSync(fd);
  });
});
