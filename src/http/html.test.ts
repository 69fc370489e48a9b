import { describe, expect, it } from 'vitest';
import { escapeHtml, hiddenInputs, html, newCspNonce, pageShell, SafeHtml, textColorOn } from './html.ts';

const HOSTILE = `"><script>alert(1)</script><img src=x onerror=alert(2) x='\``;
const HOSTILE_ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2) x=&#39;&#96;';

function nonceOf(csp: string): string {
  const match = /style-src 'nonce-([^']+)'/.exec(csp);
  if (!match?.[1]) throw new Error(`no style nonce in ${csp}`);
  return match[1];
}

describe('escapeHtml', () => {
  it('escapes the six characters that can leave text or a quoted attribute', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
    expect(escapeHtml(HOSTILE)).toBe(HOSTILE_ESCAPED);
    expect(escapeHtml('Café & Co')).toBe('Café &amp; Co');
  });
});

describe('html', () => {
  it('escapes interpolated strings and numbers, keeps SafeHtml, flattens arrays, drops null and false', () => {
    const out = html`<p title="${HOSTILE}">${['a<', html`<b>${'b>'}</b>`, null, false, undefined, 3]}</p>`;
    expect(out).toBeInstanceOf(SafeHtml);
    expect(out.value).toBe(`<p title="${HOSTILE_ESCAPED}">a&lt;<b>b&gt;</b>3</p>`);
  });

  it('writes hidden inputs with escaped names and values', () => {
    expect(hiddenInputs({ state: HOSTILE, [HOSTILE]: 'x' }).value).toBe(
      `<input type="hidden" name="state" value="${HOSTILE_ESCAPED}"><input type="hidden" name="${HOSTILE_ESCAPED}" value="x">`,
    );
  });
});

describe('newCspNonce', () => {
  it('is at least 128 random bits of base64, fresh every time', () => {
    const nonce = newCspNonce();
    expect(nonce).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(nonce, 'base64').length).toBeGreaterThanOrEqual(16);
    expect(newCspNonce()).not.toBe(nonce);
  });
});

// WCAG 2.2 relative luminance and contrast ratio, written again here to check the page's choices.
function contrast(a: string, b: string): number {
  const luminance = (hex: string): number =>
    [1, 3, 5]
      .map((offset) => Number.parseInt(hex.slice(offset, offset + 2), 16) / 255)
      .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
      .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i]!, 0);
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

describe('textColorOn', () => {
  it('is white or near-black, whichever reads better', () => {
    expect(textColorOn('#1d4ed8')).toBe('#ffffff');
    expect(textColorOn('#0a7a3b')).toBe('#ffffff');
    expect(textColorOn('#ffd700')).toBe('#111827');
  });

  // Issue 9 item 20: near-black on #ff0000 is 4.44:1, under WCAG 1.4.3's 4.5:1 for button text.
  it('reaches 4.5:1 on every colour, with black where neither white nor near-black does', () => {
    expect(textColorOn('#ff0000')).toBe('#000000');
    for (let i = 0; i < 4096; i++) {
      const color = `#${[i >> 8, (i >> 4) & 15, i & 15].map((d) => (d * 17).toString(16).padStart(2, '0')).join('')}`;
      expect({ color, enough: contrast(color, textColorOn(color)) >= 4.5 }).toEqual({ color, enough: true });
    }
  });
});

describe('pageShell', () => {
  const branding = { orgName: 'Riverside Food Bank' };
  const render = (overrides: Partial<Parameters<typeof pageShell>[0]> = {}) =>
    pageShell({ title: 'Sign in', branding, body: html`<p>Hello</p>`, ...overrides });

  it('is a complete, accessible HTML5 document', () => {
    const page = render().html;
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain('<title>Sign in</title>');
    expect(page).toMatch(/<main>\s*<h1>Sign in<\/h1>\s*<p>Hello<\/p>\s*<\/main>/);
    expect(page.match(/<h1>/g)).toHaveLength(1);
    expect(page).toContain('<header class="brand"><span class="brand-name">Riverside Food Bank</span></header>');
    expect(page.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('allows only the nonced style, no images without a logo, no base, no framing, no scripts', () => {
    const { html: page, csp } = render();
    const nonce = nonceOf(csp);
    expect(csp).toBe(`default-src 'none'; style-src 'nonce-${nonce}'; base-uri 'none'; frame-ancestors 'none'`);
    expect(page).toContain(`<style nonce="${nonce}">`);
    expect(page).not.toContain('<script');
    expect(csp).not.toContain('unsafe-inline');
    // Browsers would apply form-action to the redirect to the client after a form post.
    expect(csp).not.toContain('form-action');
  });

  it('adds a nonced script and script-src only when the page has a script', () => {
    const { html: page, csp } = render({ script: 'document.forms[0].submit();' });
    const nonce = nonceOf(csp);
    expect(csp).toContain(`script-src 'nonce-${nonce}'`);
    expect(page).toContain(`<script nonce="${nonce}">document.forms[0].submit();</script>`);
    expect(csp).not.toContain('unsafe-inline');
  });

  it('uses a fresh nonce for every render', () => {
    expect(nonceOf(render().csp)).not.toBe(nonceOf(render().csp));
  });

  it('uses a #rrggbb primary colour and the default for anything else', () => {
    expect(render({ branding: { ...branding, primaryColor: '#0A7A3B' } }).html).toContain('--primary:#0a7a3b;');
    for (const primaryColor of ['red;}</style><script>alert(1)</script>', 'red', '#fff', '#0a7a3bz', 'url(x)', null]) {
      const page = render({ branding: { ...branding, primaryColor } }).html;
      expect(page).toContain('--primary:#1d4ed8;');
      expect(page).not.toContain('<script');
      expect(page.match(/<\/style>/g)).toHaveLength(1);
    }
  });

  it('keeps text readable on a light brand colour', () => {
    const page = render({ branding: { ...branding, primaryColor: '#ffd700' } }).html;
    expect(page).toContain('--primary:#ffd700;--on-primary:#111827;--accent:#1d4ed8;');
    expect(render({ branding: { ...branding, primaryColor: '#0a7a3b' } }).html).toContain(
      '--primary:#0a7a3b;--on-primary:#ffffff;--accent:#0a7a3b;',
    );
    // Neither white (4.00:1) nor near-black (4.44:1) reads on pure red: black does (5.25:1).
    expect(render({ branding: { ...branding, primaryColor: '#ff0000' } }).html).toContain('--primary:#ff0000;--on-primary:#000000;');
  });

  it('shows an https logo with the organization name as alt text, and ignores any other URL', () => {
    const page = render({ branding: { ...branding, logoUrl: 'https://cdn.example.org/logo.png?a=1&b="2"' } }).html;
    expect(page).toContain(
      '<img src="https://cdn.example.org/logo.png?a=1&amp;b=%222%22" alt="Riverside Food Bank" referrerpolicy="no-referrer">',
    );
    for (const logoUrl of ['http://cdn.example.org/logo.png', 'javascript:alert(1)', 'data:image/png;base64,AA', '/logo.png', 'not a url', 'https://user:pw@cdn.example.org/l.png', 'https://[::1]/l.png']) {
      const other = render({ branding: { ...branding, logoUrl } });
      expect(other.html).not.toContain('<img');
      expect(other.html).toContain('<span class="brand-name">Riverside Food Bank</span>');
      expect(other.csp).not.toContain('img-src');
    }
  });

  it('lets the CSP load images from the logo\'s origin only, whatever its path holds', () => {
    const { csp } = render({ branding: { ...branding, logoUrl: 'https://CDN.example.org:8443/a;b,c/logo.png?x=1' } });
    const nonce = nonceOf(csp);
    expect(csp).toBe(`default-src 'none'; style-src 'nonce-${nonce}'; img-src https://cdn.example.org:8443; base-uri 'none'; frame-ancestors 'none'`);
  });

  it('uses a readable accent colour for links and focus rings, else the primary, else the default', () => {
    const vars = (b: Partial<typeof branding & { primaryColor: string | null; accentColor: string | null }>) => /:root\{([^}]*)\}/.exec(render({ branding: { ...branding, ...b } }).html)![1];
    expect(vars({ primaryColor: '#ffd700', accentColor: '#7C2D12' })).toBe('--primary:#ffd700;--on-primary:#111827;--accent:#7c2d12;color-scheme:light');
    // Too light to read on white: the primary takes its place when it reads, else the default.
    expect(vars({ primaryColor: '#0a7a3b', accentColor: '#ffff00' })).toContain('--accent:#0a7a3b;');
    expect(vars({ primaryColor: '#ffd700', accentColor: '#ffff00' })).toContain('--accent:#1d4ed8;');
    expect(vars({ accentColor: 'red;}body{display:none' })).toContain('--accent:#1d4ed8;');
  });

  it('escapes the title, the organization name and its alt text', () => {
    const page = render({ title: HOSTILE, branding: { orgName: HOSTILE, logoUrl: 'https://cdn.example.org/l.png' } }).html;
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain(`<title>${HOSTILE_ESCAPED}</title>`);
    expect(page).toContain(`<h1>${HOSTILE_ESCAPED}</h1>`);
    expect(page).toContain(`alt="${HOSTILE_ESCAPED}"`);
  });

  it('is narrow unless the page asks to be wide (long values: credentials, redirect URIs)', () => {
    expect(render().html).toContain('<div class="page">');
    expect(render({ width: 'wide' }).html).toContain('<div class="page wide">');
    expect(render().html).toMatch(/\n\.page\.wide\{max-width:40rem\}/);
  });

  it('renders without branding', () => {
    const page = render({ branding: null }).html;
    expect(page).not.toContain('<header');
    expect(page).toContain('--primary:#1d4ed8;');
  });

  it('has visible focus rings and buttons at least 44px tall', () => {
    const page = render().html;
    expect(page).toContain(':focus-visible{outline:3px solid');
    expect(page).toMatch(/button\{[^}]*min-height:2\.75rem/);
  });
});
