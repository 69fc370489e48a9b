import { describe, expect, it } from 'vitest';
import { InvalidInputError, InvalidInputsError } from '../lib/errors.ts';
import { parseAuthValue } from './auth-value.ts';

describe('parseAuthValue', () => {
  it('imports the seed\'s example as it is, dates with their offsets', () => {
    const value = parseAuthValue('{"AccessToken":"XXXXXXXXXX","RefreshToken":"YYYYYYYYYY","Expires":"2021-10-01T00:00:00Z","RefreshExpires":"2022-10-01T02:00:00+02:00"}');
    expect(value).toEqual({
      kind: 'import',
      credentials: {
        accessToken: 'XXXXXXXXXX',
        refreshToken: 'YYYYYYYYYY',
        tokenType: 'Bearer',
        accessExpiresAt: Date.UTC(2021, 9, 1),
        refreshExpiresAt: Date.UTC(2022, 9, 1),
        metadata: {},
      },
    });
  });

  it('reads "{}" (and only an empty object) as "authenticate yourself"', () => {
    expect(parseAuthValue('{}')).toEqual({ kind: 'self_authenticate' });
    expect(parseAuthValue(' { } ')).toEqual({ kind: 'self_authenticate' });
    expect(() => parseAuthValue('null')).toThrowError(InvalidInputError);
  });

  it('names every field at fault and never quotes a token', () => {
    const secret = 'secret token with spaces';
    let error: unknown;
    try {
      parseAuthValue(JSON.stringify({ AccessToken: secret, Expires: '2030-13-01T00:00:00Z', RefreshExpires: 1 }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputsError);
    expect((error as InvalidInputsError).errors.map((e) => e.field)).toEqual(['auth_value.AccessToken', 'auth_value.Expires', 'auth_value.RefreshExpires']);
    expect((error as Error).message).not.toContain(secret);
  });

  it('takes null for an absent token or date', () => {
    expect(parseAuthValue('{"AccessToken":"a","RefreshToken":null,"Expires":null}')).toMatchObject({ credentials: { refreshToken: null, accessExpiresAt: null } });
  });
});
