import { describe, expect, it } from 'vitest';
import { InvalidInputError, type InvalidInputsError } from '../lib/errors.ts';
import { checkRedirectUri, checkRedirectUris, isLocalMachineHost, MAX_CLIENT_URIS } from './redirect-uris.ts';

describe('checkRedirectUri', () => {
  it.each([
    ['https://app.example.org/callback', 'confidential'],
    ['https://app.example.org/cb?tenant=7', 'confidential'],
    ['http://localhost:8080/callback', 'confidential'],
    ['http://127.0.0.1/callback', 'public'],
    ['http://[::1]:51000/cb', 'public'],
    ['com.example.app:/oauth2redirect', 'public'],
  ] as const)('accepts %s for a %s client, unchanged', (uri, type) => {
    expect(checkRedirectUri(uri, type)).toBe(uri);
  });

  it.each([
    ['http://app.example.org/callback', 'http on a non-loopback host'],
    ['https://app.example.org/cb#frag', 'fragment'],
    ['https://*.example.org/cb', 'wildcard'],
    ['https://user:pw@app.example.org/cb', 'user info'],
    ['/relative/callback', 'not an absolute URI'],
    ['javascript:alert(1)', "scheme 'javascript'"],
    ['data:text/html,hi', "scheme 'data'"],
    ['com.example.app:/cb', "scheme 'com.example.app'"],
    ['https://app.example.org/ cb', 'white space'],
    ['', '1 to 2000'],
  ])('refuses %s (%s) for a confidential client', (uri, reason) => {
    expect(() => checkRedirectUri(uri, 'confidential')).toThrowError(InvalidInputError);
    expect(() => checkRedirectUri(uri, 'confidential')).toThrowError(reason);
  });

  it('refuses a private-use scheme without a dot even for public clients', () => {
    expect(() => checkRedirectUri('myapp:/cb', 'public')).toThrowError(InvalidInputError);
  });

  it('names the field it was asked about', () => {
    expect(() => checkRedirectUri('ftp://x', 'confidential', 'post_logout_redirect_uris')).toThrowError(/^post_logout_redirect_uris: /);
  });

  it('removes exact duplicates but keeps URIs that differ in any character', () => {
    expect(checkRedirectUris(['https://a.example/cb', 'https://a.example/cb', 'https://a.example/cb/'], 'confidential', 'redirect_uris')).toEqual([
      'https://a.example/cb',
      'https://a.example/cb/',
    ]);
  });

  it('names every bad URI of a list at once', () => {
    try {
      checkRedirectUris(['nope', 'https://a.example/cb', 'http://a.example/cb'], 'confidential', 'redirect_uris');
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidInputsError).errors.map((e) => e.message)).toEqual([
        "redirect_uris: 'nope' is not an absolute URI",
        "redirect_uris: 'http://a.example/cb' uses http on a non-loopback host; use https (http is allowed on 127.0.0.1, [::1] and localhost only)",
      ]);
    }
  });

  /** A list that counts how many of its items are read: the spy-free way to see what was judged. */
  function countingReads(items: readonly string[]): { readonly list: readonly string[]; readonly reads: () => number } {
    let reads = 0;
    const list = new Proxy([...items], {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver);
      },
    });
    return { list, reads: () => reads };
  }

  // Regression (issue 9 review, refused registrations cost 140 ms of CPU): every item of a list
  // of 16,000 was judged (a URL parse and an error each) before the list was refused for its length.
  it('refuses a list over its limit by its count, judging none of its items', () => {
    const { list, reads } = countingReads(Array.from({ length: 16_000 }, () => 'a'));
    let refused: unknown;
    try {
      checkRedirectUris(list, 'confidential', 'redirect_uris');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as InvalidInputsError).errors).toBeUndefined();
    expect((refused as InvalidInputError).message).toBe(`redirect_uris: must list at most ${MAX_CLIENT_URIS} URIs`);
    expect(reads()).toBe(0);
  });

  it('takes a tighter limit, and judges a list at its limit item by item', () => {
    const over = countingReads(Array.from({ length: 11 }, (_, i) => `https://a.example/${i}`));
    expect(() => checkRedirectUris(over.list, 'confidential', 'post_logout_redirect_uris', { max: 10 })).toThrowError(/^post_logout_redirect_uris: must list at most 10 URIs$/);
    expect(over.reads()).toBe(0);
    const at = countingReads(Array.from({ length: 10 }, (_, i) => `https://a.example/${i}`));
    expect(checkRedirectUris(at.list, 'confidential', 'redirect_uris', { max: 10 })).toHaveLength(10);
    expect(at.reads()).toBe(10);
  });
});

describe('isLocalMachineHost', () => {
  const hostOf = (uri: string): string => new URL(uri).hostname;

  it.each([
    'https://127.0.0.1:8443/cb',
    'https://127.255.0.9/cb',
    'https://127.1/cb',
    'https://2130706433/cb',
    'https://0x7f.0.0.1/cb',
    'https://[::1]/cb',
    'https://[0:0:0:0:0:0:0:1]/cb',
    'https://[::ffff:127.0.0.1]/cb',
    'https://[::ffff:127.9.8.7]/cb',
    'https://localhost/cb',
    'https://LOCALHOST./cb',
    'https://app.localhost:8443/cb',
    'https://0.0.0.0/cb',
    'https://[::]/cb',
  ])('%s is this machine', (uri) => {
    expect(isLocalMachineHost(hostOf(uri))).toBe(true);
  });

  it.each([
    'https://app.example.org/cb',
    'https://128.0.0.1/cb',
    'https://10.0.0.1/cb',
    'https://[::2]/cb',
    'https://[::ffff:10.0.0.1]/cb',
    'https://localhost.example.org/cb',
    'https://mylocalhost/cb',
    'https://127.0.0.1.example.org/cb',
  ])('%s is not', (uri) => {
    expect(isLocalMachineHost(hostOf(uri))).toBe(false);
  });
});
