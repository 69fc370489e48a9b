import { describe, expect, it } from 'vitest';
import { describeScopes } from '../scopes.ts';
import { renderConsentPage } from './consent.ts';
import type { ConsentPageModel } from './consent.ts';

const HOSTILE = `"><script>alert(1)</script>'\``;
const HOSTILE_ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&#96;';

const model: ConsentPageModel = {
  branding: { orgName: 'Riverside Food Bank' },
  clientName: 'Volunteer Portal',
  accountName: 'Ada Lovelace',
  action: '/o/riverside/interaction/consent',
  interactionId: 'int_abc',
  csrfToken: 'csrf_123',
  scopes: describeScopes(['openid', 'email'], {}),
};

describe('renderConsentPage', () => {
  it('says who asks for what, for which account', () => {
    const page = renderConsentPage(model).html;
    expect(page).toContain('<h1>Volunteer Portal wants to access your Riverside Food Bank account</h1>');
    expect(page).toContain('Signed in as <strong>Ada Lovelace</strong>');
    expect(page).toContain(
      '<ul class="scopes"><li>Confirm who you are (your account ID)</li><li>Your email address and whether it is verified</li></ul>',
    );
  });

  it('posts one form with the interaction, the CSRF token and an allow or deny decision', () => {
    const page = renderConsentPage(model).html;
    expect(page.match(/<form /g)).toHaveLength(1);
    expect(page).toContain('<form method="post" action="/o/riverside/interaction/consent">');
    expect(page).toContain('<input type="hidden" name="interaction" value="int_abc">');
    expect(page).toContain('<input type="hidden" name="csrf_token" value="csrf_123">');
    expect(page).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
    expect(page).toContain('<button type="submit" name="decision" value="deny" class="secondary">Deny</button>');
  });

  it('escapes every rendered field', () => {
    const page = renderConsentPage({
      branding: { orgName: HOSTILE },
      clientName: HOSTILE,
      accountName: HOSTILE,
      action: HOSTILE,
      interactionId: HOSTILE,
      csrfToken: HOSTILE,
      scopes: [{ name: HOSTILE, description: HOSTILE }],
    }).html;
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(`<h1>${HOSTILE_ESCAPED} wants to access your ${HOSTILE_ESCAPED} account</h1>`);
    expect(page).toContain(`Signed in as <strong>${HOSTILE_ESCAPED}</strong>`);
    expect(page).toContain(`<li>${HOSTILE_ESCAPED}</li>`);
    expect(page).toContain(`action="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`name="interaction" value="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`name="csrf_token" value="${HOSTILE_ESCAPED}"`);
  });

  it('sends a CSP whose nonce is the one on the style tag', () => {
    const { html: page, csp } = renderConsentPage(model);
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(page).toContain(`<style nonce="${nonce}">`);
    expect(csp).not.toContain('unsafe-inline');
  });
});
