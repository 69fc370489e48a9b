import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDeviceCookies, credentialVersion, DEVICE_COOKIE_LIFETIME_SECONDS, type DeviceSubject } from './device-cookies.ts';

describe('device cookies', () => {
  const alice: DeviceSubject = { orgId: 'org_a', kind: 'constituent', accountId: '1001', credential: credentialVersion('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA') };
  const bob: DeviceSubject = { ...alice, accountId: '1002' };
  const key = randomBytes(32);

  it('recognise the token issued to an account, and no other account, org or kind of account', () => {
    const devices = createDeviceCookies(key, () => 0);
    const cookie = devices.issue([], alice);
    const nonce = devices.recognise([cookie], alice);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cookie).not.toContain(alice.accountId);
    expect(devices.recognise([cookie], bob)).toBeUndefined();
    expect(devices.recognise([cookie], { ...alice, orgId: 'org_b' })).toBeUndefined();
    expect(devices.recognise([cookie], { ...alice, kind: 'staff' })).toBeUndefined();
    expect(devices.recognise([], alice)).toBeUndefined();
  });

  // Regression (security review of issue 9 item 5, finding 4): tokens outlived a password change,
  // so someone who once had the password could collect tokens and keep 5 guesses each afterwards.
  it('vouch only for the password they were issued under: a new password hash is a new credential version', () => {
    const devices = createDeviceCookies(key, () => 0);
    const cookie = devices.issue([], alice);
    expect(devices.recognise([cookie], alice)).toBeDefined();
    const reset = { ...alice, credential: credentialVersion('$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$aGFzaA') };
    expect(reset.credential).not.toBe(alice.credential);
    expect(reset.credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(devices.recognise([cookie], reset)).toBeUndefined();
  });

  it('recognise nothing altered, nor a token made with another key', () => {
    const devices = createDeviceCookies(key, () => 0);
    const cookie = devices.issue([], alice);
    const [nonce, expiry, mac] = cookie.split('.') as [string, string, string];
    const flip = (text: string, at: number): string => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    for (const altered of [`${flip(nonce, 3)}.${expiry}.${mac}`, `${nonce}.${(Number.parseInt(expiry, 36) + 1).toString(36)}.${mac}`, `${nonce}.${expiry}.${flip(mac, 40)}`, `${cookie}x`, '']) {
      expect(devices.recognise([altered], alice)).toBeUndefined();
    }
    expect(createDeviceCookies(randomBytes(32), () => 0).recognise([cookie], alice)).toBeUndefined();
  });

  it('expire after their lifetime', () => {
    let now = 1_000_000;
    const devices = createDeviceCookies(key, () => now);
    const cookie = devices.issue([], alice);
    now += DEVICE_COOKIE_LIFETIME_SECONDS * 1000 - 1000;
    expect(devices.recognise([cookie], alice)).toBeDefined();
    now += 2000;
    expect(devices.recognise([cookie], alice)).toBeUndefined();
  });

  it('keep the accounts of a shared browser, newest first, a fresh token for the one that signed in, and five at most', () => {
    const devices = createDeviceCookies(key, () => 0);
    const first = devices.issue([], alice);
    const both = devices.issue([first], bob);
    expect(devices.recognise([both], alice)).toBe(devices.recognise([first], alice));
    expect(devices.recognise([both], bob)).toBeDefined();
    const again = devices.issue([both], alice);
    expect(again.split('~')).toHaveLength(2);
    expect(devices.recognise([again], alice)).not.toBe(devices.recognise([first], alice));
    expect(devices.recognise([again], bob)).toBe(devices.recognise([both], bob));
    let cookie = again;
    for (let i = 0; i < 6; i++) cookie = devices.issue([cookie], { ...alice, accountId: `20${i}` });
    expect(cookie.split('~')).toHaveLength(5);
    expect(devices.recognise([cookie], { ...alice, accountId: '205' })).toBeDefined();
    expect(devices.recognise([cookie], alice)).toBeUndefined();
    // Junk in the cookie is dropped, never kept.
    expect(devices.issue(['junk~more junk'], alice).split('~')).toHaveLength(1);
  });

  // Regression (security review of issue 9 item 5, finding 6): only the first value of the cookie
  // was read, so a cookie of the same name set for a longer path (by a related domain) hid the real one.
  it('try every value the browser sent, a few at most, and keep the valid tokens of all once', () => {
    const devices = createDeviceCookies(key, () => 0);
    const genuine = devices.issue([], alice);
    const bobs = devices.issue([], bob);
    expect(devices.recognise(['shadow', 'x'.repeat(1000), genuine], alice)).toBe(devices.recognise([genuine], alice));
    expect(devices.recognise([bobs, genuine], alice)).toBe(devices.recognise([genuine], alice));
    expect(devices.recognise(['a', 'b', 'c', 'd', genuine], alice)).toBeUndefined();
    const merged = devices.issue([bobs, genuine, genuine], alice);
    expect(merged.split('~')).toHaveLength(2);
    expect(devices.recognise([merged], bob)).toBe(devices.recognise([bobs], bob));
  });
});
