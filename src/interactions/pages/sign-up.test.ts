import { describe, expect, it } from 'vitest';
import { renderSignUpPage, type SignUpPageModel } from './sign-up.ts';

const model: SignUpPageModel = {
  branding: { orgName: 'Riverside Food Bank' },
  clientName: 'Volunteer Portal',
  action: '/o/riverside/signup',
  signInUrl: '/o/riverside/login?interaction=int_abc',
  interactionId: 'int_abc',
  csrfToken: 'csrf_123',
};

function input(page: string, id: string): string {
  return new RegExp(`<input [^>]*id="${id}"[^>]*>`).exec(page)![0];
}

describe('renderSignUpPage', () => {
  it('labels every field and keeps the autofill contract: username, email, new-password', () => {
    const page = renderSignUpPage(model).html;
    expect(page).toContain('<title>Create an account with Riverside Food Bank</title>');
    expect(page).toContain('<label for="username">Login name</label>');
    expect(input(page, 'username')).toContain('autocomplete="username"');
    expect(input(page, 'username')).toContain(' autofocus');
    expect(page).toContain('<label for="email">Email (optional)</label>');
    expect(input(page, 'email')).toContain('autocomplete="email"');
    expect(page).toContain('<label for="password">Password</label>');
    expect(input(page, 'password')).toContain('autocomplete="new-password"');
    expect(input(page, 'password')).toContain('aria-describedby="password-hint"');
    expect(page).toContain('<input type="hidden" name="interaction" value="int_abc"><input type="hidden" name="csrf_token" value="csrf_123">');
    expect(page).toContain('<a href="/o/riverside/login?interaction=int_abc">Sign in</a>');
    expect(page).not.toContain('role="alert"');
  });

  it('marks the field an error is about, keeps what was typed, and escapes it', () => {
    const page = renderSignUpPage({ ...model, values: { username: '"><script>', email: 'a@example.org' }, error: { field: 'password', message: 'Password must be 8 to 1024 characters.' } }).html;
    expect(page).toContain('<p role="alert" class="alert" id="form-error">Password must be 8 to 1024 characters.</p>');
    expect(input(page, 'password')).toContain('aria-describedby="password-hint form-error" aria-invalid="true" autofocus');
    expect(input(page, 'username')).not.toContain('autofocus');
    expect(input(page, 'username')).toContain('value="&quot;&gt;&lt;script&gt;"');
    expect(input(page, 'email')).toContain('value="a@example.org"');
    expect(page).not.toContain('<script>');
  });
});
