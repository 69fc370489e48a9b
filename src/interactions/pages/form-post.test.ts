import { describe, expect, it } from 'vitest';
import { renderFormPostPage } from './form-post.ts';

const HOSTILE = `"><script>alert(1)</script>'\``;
const HOSTILE_ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&#96;';

describe('renderFormPostPage', () => {
  it('posts the response to the redirect URI, by script and by a Continue button', () => {
    const { html: page, csp } = renderFormPostPage({
      redirectUri: 'https://app.example.org/callback?x=1&y=2',
      params: { code: 'c0de', state: 's1', iss: 'https://id.example.org/o/riverside' },
    });
    expect(page).toContain('<form method="post" action="https://app.example.org/callback?x=1&amp;y=2">');
    expect(page).toContain(
      '<input type="hidden" name="code" value="c0de"><input type="hidden" name="state" value="s1"><input type="hidden" name="iss" value="https://id.example.org/o/riverside">',
    );
    expect(page).toContain('<button type="submit">Continue</button>');
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(page).toContain(`<script nonce="${nonce}">HTMLFormElement.prototype.submit.call(document.forms[0]);</script>`);
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('form-action');
  });

  it('escapes the redirect URI and every parameter', () => {
    const page = renderFormPostPage({
      redirectUri: `https://app.example.org/cb?q=${HOSTILE}`,
      params: { state: HOSTILE, [HOSTILE]: 'x' },
    }).html;
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(`action="https://app.example.org/cb?q=${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`name="state" value="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`name="${HOSTILE_ESCAPED}" value="x"`);
  });

  it('refuses a redirect URI that is not http(s)', () => {
    for (const redirectUri of ['javascript:alert(1)', 'data:text/html,x', 'not a url']) {
      expect(() => renderFormPostPage({ redirectUri, params: { code: 'c' } })).toThrow(TypeError);
    }
  });
});
