import { describe, expect, it } from 'vitest';
import { renderStaffSessionPage } from './staff-session.ts';

const HOSTILE = `"><script>alert(1)</script>'\``;
const HOSTILE_ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&#96;';

describe('renderStaffSessionPage', () => {
  it('explains that staff cannot sign in to apps and offers to sign out of the staff session', () => {
    const page = renderStaffSessionPage({
      branding: { orgName: 'Riverside Food Bank' },
      signOutAction: '/o/riverside/staff/logout',
      csrfToken: 'csrf_123',
    }).html;
    expect(page).toContain('signed in to <strong>Riverside Food Bank</strong> as a staff user');
    expect(page).toContain('Staff accounts cannot sign in to apps.');
    expect(page).toContain('<form method="post" action="/o/riverside/staff/logout">');
    expect(page).toContain('<input type="hidden" name="csrf_token" value="csrf_123">');
    expect(page).toContain('<button type="submit">Sign out of the staff session</button>');
  });

  it('escapes every rendered field', () => {
    const page = renderStaffSessionPage({ branding: { orgName: HOSTILE }, signOutAction: HOSTILE, csrfToken: HOSTILE }).html;
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(`<strong>${HOSTILE_ESCAPED}</strong>`);
    expect(page).toContain(`action="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`name="csrf_token" value="${HOSTILE_ESCAPED}"`);
  });
});
