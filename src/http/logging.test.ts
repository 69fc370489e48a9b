import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './logging.ts';

describe('redactUrl', () => {
  it('hides the values of secret parameters and keeps the rest', () => {
    expect(redactUrl('/cb?code=abc123&state=xyz&scope=openid')).toBe('/cb?code=***&state=***&scope=openid');
    expect(redactUrl('/api/v1/accounts?userSessionId=s3cret&page=2')).toBe('/api/v1/accounts?userSessionId=***&page=2');
    expect(redactUrl('/x?client%5Fsecret=leak')).toBe('/x?client%5Fsecret=***');
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
});
