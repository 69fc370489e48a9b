import { describe, expect, it } from 'vitest';
import { renderLoggedOutPage, renderLogoutConfirmPage, renderStillSignedInPage } from './logout.ts';

const HOSTILE = `"><script>alert(1)</script>'\``;
const HOSTILE_ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&#96;';
const branding = { orgName: 'Riverside Food Bank' };

describe('renderLogoutConfirmPage', () => {
  it('asks to confirm and posts the carried fields, the CSRF token and confirm=yes', () => {
    const page = renderLogoutConfirmPage({
      branding,
      action: '/o/riverside/logout',
      csrfToken: 'csrf_123',
      hidden: { client_id: 'cli_1', post_logout_redirect_uri: 'https://app.example.org/bye', state: 's1' },
      clientName: 'Volunteer Portal',
      cancelUrl: '/o/riverside/logout/cancelled',
    }).html;
    expect(page).toContain('<h1>Sign out of Riverside Food Bank?</h1>');
    expect(page).toContain('<strong>Volunteer Portal</strong> asked to sign you out.');
    expect(page).toContain('<form method="post" action="/o/riverside/logout">');
    expect(page).toContain(
      '<input type="hidden" name="client_id" value="cli_1"><input type="hidden" name="post_logout_redirect_uri" value="https://app.example.org/bye"><input type="hidden" name="state" value="s1">',
    );
    expect(page).toContain('<input type="hidden" name="csrf_token" value="csrf_123"><input type="hidden" name="confirm" value="yes">');
    expect(page).toContain('<button type="submit">Sign out</button>');
  });

  it('does not let carried fields shadow the CSRF token or the confirmation', () => {
    const page = renderLogoutConfirmPage({
      branding,
      action: '/o/riverside/logout',
      csrfToken: 'csrf_123',
      hidden: { csrf_token: 'attacker', confirm: 'no' },
      cancelUrl: '/o/riverside/logout/cancelled',
    }).html;
    expect(page.match(/name="csrf_token"/g)).toHaveLength(1);
    expect(page.match(/name="confirm"/g)).toHaveLength(1);
    expect(page).not.toContain('attacker');
    expect(page).not.toContain('asked to sign you out');
  });

  it('escapes every rendered field', () => {
    const page = renderLogoutConfirmPage({
      branding: { orgName: HOSTILE },
      action: HOSTILE,
      csrfToken: HOSTILE,
      hidden: { [HOSTILE]: HOSTILE },
      clientName: HOSTILE,
      cancelUrl: HOSTILE,
    }).html;
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(`<h1>Sign out of ${HOSTILE_ESCAPED}?</h1>`);
    expect(page).toContain(`<strong>${HOSTILE_ESCAPED}</strong> asked to sign you out.`);
    expect(page).toContain(`action="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`<input type="hidden" name="${HOSTILE_ESCAPED}" value="${HOSTILE_ESCAPED}">`);
    expect(page).toContain(`name="csrf_token" value="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`<a class="button secondary" href="${HOSTILE_ESCAPED}">Stay signed in</a>`);
  });

  // Issue 9 item 20: the confirmation had no way out but signing out.
  it('offers to stay signed in: a link to our own page, never to the unverified post_logout_redirect_uri', () => {
    const page = renderLogoutConfirmPage({
      branding,
      action: '/o/riverside/logout',
      csrfToken: 'csrf_123',
      hidden: { client_id: 'cli_1', post_logout_redirect_uri: 'https://evil.example/bye' },
      cancelUrl: '/o/riverside/logout/cancelled',
    }).html;
    // A link, so following it sends nothing: not the form, not its CSRF token.
    expect(page).toContain('<div class="actions">\n<button type="submit">Sign out</button>\n<a class="button secondary" href="/o/riverside/logout/cancelled">Stay signed in</a>\n</div>');
    expect([...page.matchAll(/href="([^"]*)"/g)].map(([, href]) => href)).toEqual(['/o/riverside/logout/cancelled']);
    expect(page).toMatch(/\na\.button\{[^}]*min-height:2\.75rem/);
  });
});

describe('renderStillSignedInPage', () => {
  it('says nothing was ended, and escapes the organization name', () => {
    const page = renderStillSignedInPage({ branding }).html;
    expect(page).toContain('<h1>You are still signed in</h1>');
    expect(page).toContain('still signed in to <strong>Riverside Food Bank</strong> in this browser');
    expect(renderStillSignedInPage({ branding: { orgName: HOSTILE } }).html).toContain(`<strong>${HOSTILE_ESCAPED}</strong>`);
  });
});

describe('renderLoggedOutPage', () => {
  it('says the person is signed out', () => {
    const page = renderLoggedOutPage({ branding }).html;
    expect(page).toContain('<h1>You are signed out</h1>');
    expect(page).toContain('signed in to <strong>Riverside Food Bank</strong>');
  });

  it('escapes the organization name', () => {
    const page = renderLoggedOutPage({ branding: { orgName: HOSTILE } }).html;
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(`<strong>${HOSTILE_ESCAPED}</strong>`);
  });
});
