import { describe, expect, it } from 'vitest';
import type { RenderedPage } from '../../http/html.ts';
import { renderClientRegistrationPage, renderClientRegistrationReceivedPage } from './client-registration.ts';
import { renderConsentPage } from './consent.ts';
import { renderErrorPage } from '../../http/error-page.ts';
import { renderLoggedOutPage, renderLogoutConfirmPage, renderStillSignedInPage } from './logout.ts';
import { renderSignInPage } from './sign-in.ts';
import { renderSignUpPage } from './sign-up.ts';
import { renderStaffSessionPage } from './staff-session.ts';
import { renderStaffSignInPage } from '../../console/pages/staff-sign-in.ts';

const branding = { orgName: 'Riverside Food Bank' };

/** Every hosted page, with the fields it can show. */
const PAGES: Readonly<Record<string, () => RenderedPage>> = {
  'sign-in': () => renderSignInPage({ branding, clientName: 'App', action: '/login', interactionId: 'i', csrfToken: 'c', loginHint: null, error: null, signUpUrl: '/signup' }),
  'sign-up': () => renderSignUpPage({ branding, clientName: 'App', action: '/signup', signInUrl: '/login', interactionId: 'i', csrfToken: 'c' }),
  consent: () => renderConsentPage({ branding, clientName: 'App', accountName: 'Alice', action: '/consent', interactionId: 'i', csrfToken: 'c', scopes: [{ name: 'email', description: 'Your email' }] }),
  'logout confirmation': () => renderLogoutConfirmPage({ branding, action: '/logout', csrfToken: 'c', hidden: {}, cancelUrl: '/logout/cancelled' }),
  'signed out': () => renderLoggedOutPage({ branding }),
  'still signed in': () => renderStillSignedInPage({ branding }),
  'client registration': () => renderClientRegistrationPage({ branding, action: '/register', csrfToken: 'c' }),
  'registration received': () => renderClientRegistrationReceivedPage({ branding, appName: 'App', clientId: 'cli_1', clientSecret: 'gsec_x' }),
  'staff sign-in': () => renderStaffSignInPage({ branding, action: '/staff/login', csrfToken: 'c' }),
  'staff session': () => renderStaffSessionPage({ branding, signOutAction: '/staff/logout', csrfToken: 'c' }),
  error: () => renderErrorPage({ branding, title: 'Oops', message: 'm' }),
};

/** The declarations of each selector of the page's stylesheet (`a,b{x}` gives both a and b `x`). */
function declarationsBySelector(page: string): Map<string, string[]> {
  const css = /<style nonce="[^"]+">([\s\S]*?)<\/style>/.exec(page)![1]!.replace(/@media[^{]*\{([^{}]*\{[^}]*\})*\}/g, '');
  const rules = new Map<string, string[]>();
  for (const [, selectors, body] of css.matchAll(/([^{}]+)\{([^}]*)\}/g)) {
    for (const selector of selectors!.split(',')) {
      const key = selector.trim();
      rules.set(key, [...(rules.get(key) ?? []), ...body!.split(';').filter(Boolean)]);
    }
  }
  return rules;
}

/** The selector naming each text field of the page: `input[type=email]`, `textarea`, `select`. */
function fieldSelectors(page: string): string[] {
  const fields = new Set<string>();
  for (const [, type] of page.matchAll(/<input\b[^>]*?\btype="([^"]+)"/g)) {
    if (!['hidden', 'radio', 'checkbox', 'submit', 'button'].includes(type!)) fields.add(`input[type=${type}]`);
  }
  for (const [, tag] of page.matchAll(/<(textarea|select)\b/g)) fields.add(tag!);
  return [...fields];
}

describe('the fields of every hosted page', () => {
  // Issue 9 item 20: the email field and the text areas were browser-default boxes beside
  // full-width text fields (sign-up, registration, staff sign-in).
  it.each(Object.entries(PAGES))('are styled alike on the %s page: full width, one border', (_name, render) => {
    const page = render().html;
    const rules = declarationsBySelector(page);
    const textField = rules.get('input[type=text]')!;
    expect(textField).toEqual(expect.arrayContaining(['display:block', 'width:100%', 'min-height:2.75rem', 'border:1px solid #6b7280', 'font:inherit']));
    for (const selector of fieldSelectors(page)) {
      expect({ selector, declarations: rules.get(selector) }).toEqual({ selector, declarations: expect.arrayContaining(textField) });
    }
  });

  it('cover every kind of text field a page might use, and keep the focus ring visible on them', () => {
    const rules = declarationsBySelector(PAGES['sign-in']!().html);
    const textField = rules.get('input[type=text]')!;
    for (const selector of ['input[type=email]', 'input[type=url]', 'input[type=password]', 'input[type=search]', 'input[type=tel]', 'input[type=number]', 'textarea', 'select']) {
      expect({ selector, declarations: rules.get(selector) }).toEqual({ selector, declarations: expect.arrayContaining(textField) });
    }
    // No rule takes the outline away: the one focus ring (3px, accent colour read on white at
    // 4.5:1, so above WCAG 1.4.11's 3:1) shows on every field (WCAG 2.4.7, 2.4.11).
    expect(rules.get(':focus-visible')).toEqual(['outline:3px solid var(--accent)', 'outline-offset:2px']);
    for (const [selector, declarations] of rules) {
      if (selector !== ':focus-visible') expect({ selector, outline: declarations.filter((d) => d.startsWith('outline')) }).toEqual({ selector, outline: [] });
    }
  });
});
