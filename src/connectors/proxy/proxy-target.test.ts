import { describe, expect, it } from 'vitest';
import { ProxyPathRefusedError } from './proxy-errors.ts';
import { checkProxyPath, proxyTargetUrl } from './proxy-target.ts';

const BASE = 'https://api.example.com/v1';

function ruleOf(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    if (error instanceof ProxyPathRefusedError) return error.rule;
    throw error;
  }
}

describe('proxyTargetUrl', () => {
  it.each([
    ['users', '', 'https://api.example.com/v1/users'],
    ['users/42/', 'expand=a,b&q=%20x', 'https://api.example.com/v1/users/42/?expand=a,b&q=%20x'],
    ['', '', 'https://api.example.com/v1/'],
    ['files/a%20b.txt', '', 'https://api.example.com/v1/files/a%20b.txt'],
    ['a..b/.well-known/...x', '', 'https://api.example.com/v1/a..b/.well-known/...x'],
    ['caf%C3%A9', '', 'https://api.example.com/v1/caf%C3%A9'],
  ])('puts %s?%s under the base', (path, query, expected) => {
    expect(proxyTargetUrl(BASE, path, query).href).toBe(expected);
  });

  it('keeps a base without a path at the origin, and a base with a trailing slash as one slash', () => {
    expect(proxyTargetUrl('https://x.okta.com', 'api/v1/users', '').href).toBe('https://x.okta.com/api/v1/users');
    expect(proxyTargetUrl('https://api.example.com/v1/', 'users', '').href).toBe('https://api.example.com/v1/users');
  });

  it.each([
    ['..', 'dot_segment'],
    ['../x', 'dot_segment'],
    ['a/../../x', 'dot_segment'],
    ['.', 'dot_segment'],
    ['a/./b', 'dot_segment'],
    ['%2e%2e/x', 'dot_segment'],
    ['%2E%2e', 'dot_segment'],
    ['.%2E', 'dot_segment'],
    ['%2e', 'dot_segment'],
    ['%252e%252E/x', 'dot_segment'],
    ['%25252e%25252e/x', 'dot_segment'],
    ['a%2Fb', 'encoded_slash'],
    ['a%2fb', 'encoded_slash'],
    ['a%252fb', 'encoded_slash'],
    ['a\\b', 'backslash'],
    ['a%5Cb', 'backslash'],
    ['a%255cb', 'backslash'],
    ['https://evil.example', 'absolute_url'],
    ['javascript:alert(1)', 'absolute_url'],
    ['//evil.example/x', 'empty_segment'],
    ['a//b', 'empty_segment'],
    ['a b', 'control_character'],
    ['a\u0000b', 'control_character'],
    ['a%00b', 'control_character'],
    ['a%0d%0ab', 'control_character'],
    ['a%250ab', 'control_character'],
    ['a#b', 'fragment'],
    ['a%zz', 'malformed_encoding'],
    ['a%', 'malformed_encoding'],
    ['%C0%AE%C0%AE', 'malformed_encoding'],
    ['%252525252e', 'malformed_encoding'],
    ['a"b', 'not_normalized'],
    ['a<b>', 'not_normalized'],
    ['a{b}', 'not_normalized'],
  ])('refuses the path %j (%s)', (path, rule) => {
    expect(ruleOf(() => proxyTargetUrl(BASE, path, ''))).toBe(rule);
  });

  it.each([
    ['a=1\nb', 'control_character'],
    ['a=#b', 'fragment'],
  ])('refuses the query %j (%s)', (query, rule) => {
    expect(ruleOf(() => proxyTargetUrl(BASE, 'x', query))).toBe(rule);
  });

  it('sends a query the parser would encode (OData\'s quotes) encoded, not refused: it cannot leave the base', () => {
    expect(proxyTargetUrl(BASE, 'users', "$filter=startswith(displayName,'a')&x=\"y\"").href).toBe("https://api.example.com/v1/users?$filter=startswith(displayName,%27a%27)&x=%22y%22");
  });

  it('never quotes the path in its message', () => {
    try {
      checkProxyPath('secret-customer-id/..', '');
    } catch (error) {
      expect(String(error)).not.toContain('secret-customer-id');
    }
    expect(ruleOf(() => checkProxyPath('secret-customer-id/..', ''))).toBe('dot_segment');
  });
});
