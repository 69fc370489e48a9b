import { describe, expect, it } from 'vitest';
import { encodeBasicCredentials, parseBasicCredentials } from './basic-credentials.ts';

describe('Basic credentials (RFC 6749 §2.3.1)', () => {
  it('reads back what it encodes, form-encoded parts included', () => {
    expect(parseBasicCredentials(encodeBasicCredentials('client:1 é', 'p@ss word+/'))).toEqual({ userId: 'client:1 é', password: 'p@ss word+/' });
    // A `+` in a form-encoded part is a space.
    expect(parseBasicCredentials(`Basic ${Buffer.from('a+b:c+d').toString('base64')}`)).toEqual({ userId: 'a b', password: 'c d' });
  });

  it('is undefined without a Basic header', () => {
    expect(parseBasicCredentials(undefined)).toBeUndefined();
    expect(parseBasicCredentials('Bearer abc')).toBeUndefined();
  });

  it.each([
    ['Basic', 'no credentials'],
    ['Basic !!!', 'not base64'],
    [`Basic ${Buffer.from('no-colon').toString('base64')}`, 'no colon'],
    [`Basic ${Buffer.from(':secret').toString('base64')}`, 'empty user-id'],
    [`Basic ${Buffer.from('a%zz:b').toString('base64')}`, 'a part that does not decode'],
    [`Basic ${Buffer.from('a:b%00').toString('base64')}`, 'a control character'],
  ])('%j is malformed (%s)', (header) => {
    expect(parseBasicCredentials(header)).toBe('malformed');
  });
});
