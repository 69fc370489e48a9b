import { describe, expect, it } from 'vitest';
import { renderErrorPage } from './error-page.ts';

const HOSTILE = `"><script>alert(1)</script>'\``;
const HOSTILE_ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&#96;';

describe('renderErrorPage', () => {
  it('shows the title, the message and the request id for support', () => {
    const page = renderErrorPage({
      branding: { orgName: 'Riverside Food Bank' },
      title: 'This app is not registered',
      message: 'The app that sent you here is not known to Riverside Food Bank.',
      requestId: 'req-42',
    }).html;
    expect(page).toContain('<h1>This app is not registered</h1>');
    expect(page).toContain('<p>The app that sent you here is not known to Riverside Food Bank.</p>');
    expect(page).toContain('<code>req-42</code>');
    expect(page).toContain('<span class="brand-name">Riverside Food Bank</span>');
  });

  it('renders without branding or request id', () => {
    const page = renderErrorPage({ title: 'Not found', message: 'No such organization.' }).html;
    expect(page).not.toContain('<header');
    expect(page).not.toContain('<code>');
  });

  it('escapes every rendered field', () => {
    const { html: page, csp } = renderErrorPage({ branding: { orgName: HOSTILE }, title: HOSTILE, message: HOSTILE, requestId: HOSTILE });
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(`<h1>${HOSTILE_ESCAPED}</h1>`);
    expect(page).toContain(`<p>${HOSTILE_ESCAPED}</p>`);
    expect(page).toContain(`<code>${HOSTILE_ESCAPED}</code>`);
    expect(page).toContain(`<span class="brand-name">${HOSTILE_ESCAPED}</span>`);
    expect(csp).not.toContain('script-src');
  });
});
