import { describe, expect, it } from 'vitest';
import { renderSignInPage } from './sign-in.ts';
import type { SignInPageModel } from './sign-in.ts';

const HOSTILE = `"><script>alert(1)</script>'\``;
const HOSTILE_ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&#96;';

const model: SignInPageModel = {
  branding: { orgName: 'Riverside Food Bank' },
  clientName: 'Volunteer Portal',
  action: '/o/riverside/interaction/sign-in',
  interactionId: 'int_abc',
  csrfToken: 'csrf_123',
};

/** Every `<input>` of the page as a name → attributes map (keyed by id, or name for hidden ones). */
function inputs(page: string): Map<string, Record<string, string>> {
  const found = new Map<string, Record<string, string>>();
  for (const [, attributeText = ''] of page.matchAll(/<input\s([^>]*)>/g)) {
    const attributes: Record<string, string> = {};
    for (const [, name = '', value = ''] of attributeText.matchAll(/([a-z-]+)(?:="([^"]*)")?/g)) attributes[name] = value;
    found.set(attributes.id ?? attributes.name ?? '', attributes);
  }
  return found;
}

describe('renderSignInPage', () => {
  it('keeps the autofill and label contract of the two fields', () => {
    const fields = inputs(renderSignInPage(model).html);
    expect(fields.get('username')).toEqual({
      type: 'text',
      id: 'username',
      name: 'username',
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: 'false',
      required: '',
      value: '',
      autofocus: '',
    });
    expect(fields.get('password')).toEqual({
      type: 'password',
      id: 'password',
      name: 'password',
      autocomplete: 'current-password',
      required: '',
    });
  });

  it('pairs each label with its field', () => {
    const page = renderSignInPage(model).html;
    expect(page).toContain('<label for="username">Login name or email</label>');
    expect(page).toContain('<label for="password">Password</label>');
    expect(page.match(/id="username"/g)).toHaveLength(1);
    expect(page.match(/id="password"/g)).toHaveLength(1);
  });

  it('posts the interaction and CSRF token to the action', () => {
    const page = renderSignInPage(model).html;
    expect(page).toContain('<form method="post" action="/o/riverside/interaction/sign-in">');
    const fields = inputs(page);
    expect(fields.get('interaction')).toEqual({ type: 'hidden', name: 'interaction', value: 'int_abc' });
    expect(fields.get('csrf_token')).toEqual({ type: 'hidden', name: 'csrf_token', value: 'csrf_123' });
    expect(page).toContain('<button type="submit">Sign in</button>');
  });

  it('names the organization and the client', () => {
    const page = renderSignInPage(model).html;
    expect(page).toContain('<h1>Sign in to Riverside Food Bank</h1>');
    expect(page).toContain('<title>Sign in to Riverside Food Bank</title>');
    expect(page).toContain('to continue to <strong>Volunteer Portal</strong>');
  });

  it('prefills the login hint and focuses the password', () => {
    const fields = inputs(renderSignInPage({ ...model, loginHint: 'ada@example.org' }).html);
    expect(fields.get('username')?.value).toBe('ada@example.org');
    expect(fields.get('username')).not.toHaveProperty('autofocus');
    expect(fields.get('password')).toHaveProperty('autofocus', '');
  });

  it.each([
    ['invalid_credentials', 'The login name or password is incorrect.'],
    ['throttled', 'Too many attempts. Try again in a few minutes, or from a device you have signed in on before.'],
  ] as const)('shows %s as an alert', (error, message) => {
    expect(renderSignInPage({ ...model, error }).html).toContain(`<p role="alert" class="alert">${message}</p>`);
  });

  it('shows no alert without an error', () => {
    expect(renderSignInPage({ ...model, error: null }).html).not.toContain('role="alert"');
  });

  it('escapes every rendered field', () => {
    const page = renderSignInPage({
      branding: { orgName: HOSTILE },
      clientName: HOSTILE,
      action: HOSTILE,
      interactionId: HOSTILE,
      csrfToken: HOSTILE,
      loginHint: HOSTILE,
    }).html;
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(`<h1>Sign in to ${HOSTILE_ESCAPED}</h1>`);
    expect(page).toContain(`<strong>${HOSTILE_ESCAPED}</strong>`);
    expect(page).toContain(`action="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`name="interaction" value="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`name="csrf_token" value="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`required value="${HOSTILE_ESCAPED}"`);
  });

  it('sends a CSP whose nonce is the one on the style tag, and no script', () => {
    const { html: page, csp } = renderSignInPage(model);
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(page).toContain(`<style nonce="${nonce}">`);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('script-src');
  });

  it('links to the sign-up page only when given one (the org lets people sign up)', () => {
    expect(renderSignInPage(model).html).not.toContain('Create an account');
    expect(renderSignInPage({ ...model, signUpUrl: '/o/riverside/signup?interaction=int_abc&x=1' }).html).toContain(
      '<p class="muted">New here? <a href="/o/riverside/signup?interaction=int_abc&amp;x=1">Create an account</a></p>',
    );
  });
});
