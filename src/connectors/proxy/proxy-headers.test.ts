import { describe, expect, it } from 'vitest';
import { forwardedRequestHeaders, returnedResponseHeaders } from './proxy-headers.ts';

describe('proxy headers', () => {
  it('forwards the caller\'s headers but hop-by-hop ones, those Connection names, credentials, Host and Gatehouse\'s own', () => {
    expect(
      forwardedRequestHeaders({
        connection: 'keep-alive, X-Hop',
        'x-hop': '1',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        trailer: 'x',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic x',
        'proxy-connection': 'keep-alive',
        authorization: 'Basic acme:key',
        cookie: 'a=b',
        host: 'gatehouse.example',
        'content-length': '10',
        expect: '100-continue',
        'gatehouse-proxy-timeout-ms': '100',
        accept: 'application/json',
        'x-custom': ['a', 'b'],
      }),
    ).toEqual({ accept: 'application/json', 'x-custom': ['a', 'b'] });
  });

  it('passes back the provider\'s headers but hop-by-hop ones, those speaking for the serving origin and any gatehouse-* header, with a sandbox policy', () => {
    expect(
      returnedResponseHeaders({
        connection: 'x-hop',
        'x-hop': '1',
        'transfer-encoding': 'chunked',
        'proxy-authenticate': 'Basic',
        'set-cookie': ['a=b'],
        'gatehouse-proxy-error': 'forged',
        'content-security-policy': "script-src 'unsafe-inline'",
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'clear-site-data': '"cookies"',
        'access-control-allow-origin': '*',
        'access-control-allow-credentials': 'true',
        'cross-origin-resource-policy': 'cross-origin',
        'alt-svc': 'h3=":443"',
        'content-type': 'text/html',
        'content-length': '2',
        'x-ratelimit-remaining': '10',
      }),
    ).toEqual({ 'content-type': 'text/html', 'content-length': '2', 'x-ratelimit-remaining': '10', 'content-security-policy': "sandbox; default-src 'none'; frame-ancestors 'none'" });
  });
});
