import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './logging.ts';

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
