import { describe, expect, it } from 'vitest';
import { normalizeLogoUrl } from '../lib/branding-values.ts';
import { checkBranding } from './branding.ts';

describe('normalizeLogoUrl', () => {
  it('keeps an https URL on a host name, normalized', () => {
    expect(normalizeLogoUrl('https://CDN.Example.org/a b.png')).toBe('https://cdn.example.org/a%20b.png');
  });
  it.each(['http://cdn.example.org/l.png', 'javascript:alert(1)', 'data:image/png;base64,AA', 'https://u:p@cdn.example.org/l.png', 'https://[::1]/l.png', 'https://localhost/l.png', '//cdn.example.org/l.png', '', `https://cdn.example.org/${'a'.repeat(2048)}`])(
    'refuses %s',
    (url) => expect(normalizeLogoUrl(url)).toBeUndefined(),
  );
});

describe('checkBranding', () => {
  it('lowercases colours, keeps nulls (they clear), and leaves out what was not given', () => {
    expect(checkBranding({ primaryColor: '#ABCDEF', logoUrl: null })).toEqual({ values: { primaryColor: '#abcdef', logoUrl: null }, errors: [] });
  });
  it('names every bad field', () => {
    const { errors } = checkBranding({ logoUrl: 'javascript:alert(1)', primaryColor: 'red', accentColor: '#abc' });
    expect(errors.map((e) => e.field)).toEqual(['logo_url', 'primary_color', 'accent_color']);
  });
});
