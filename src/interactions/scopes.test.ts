import { describe, expect, it } from 'vitest';
import { describeScopes } from './scopes.ts';

describe('describeScopes', () => {
  it('describes the standard scopes in plain words, in request order', () => {
    expect(describeScopes(['email', 'openid', 'profile', 'offline_access'], {})).toEqual([
      { name: 'email', description: 'Your email address and whether it is verified' },
      { name: 'openid', description: 'Confirm who you are (your account ID)' },
      { name: 'profile', description: 'Your name, login name and profile picture' },
      { name: 'offline_access', description: 'Stay connected when you are not using the app' },
    ]);
  });

  it("uses a custom scope's description, or a generic one", () => {
    const custom = { donations: { description: 'Your donation history' }, events: {}, blank: { description: '  ' } };
    expect(describeScopes(['donations', 'events', 'blank', 'unknown'], custom)).toEqual([
      { name: 'donations', description: 'Your donation history' },
      { name: 'events', description: "Access to 'events' information" },
      { name: 'blank', description: "Access to 'blank' information" },
      { name: 'unknown', description: "Access to 'unknown' information" },
    ]);
  });

  it('keeps the standard wording even when a custom entry has the same name', () => {
    expect(describeScopes(['openid'], { openid: { description: 'Everything' } })).toEqual([
      { name: 'openid', description: 'Confirm who you are (your account ID)' },
    ]);
  });

  it('lists a repeated scope once and ignores inherited object keys', () => {
    expect(describeScopes(['openid', 'openid', 'constructor', 'toString'], {})).toEqual([
      { name: 'openid', description: 'Confirm who you are (your account ID)' },
      { name: 'constructor', description: "Access to 'constructor' information" },
      { name: 'toString', description: "Access to 'toString' information" },
    ]);
  });
});
