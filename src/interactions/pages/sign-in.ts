import { hiddenInputs, html, pageShell } from '../../http/html.ts';
import type { PageBranding, RenderedPage } from '../../http/html.ts';

export type SignInError = 'invalid_credentials' | 'throttled';

export interface SignInPageModel {
  readonly branding: PageBranding;
  readonly clientName: string;
  /** Where the form posts. */
  readonly action: string;
  readonly interactionId: string;
  readonly csrfToken: string;
  /** Prefills the login name (OpenID Connect Core §3.1.2.1 `login_hint`, or the last attempt). */
  readonly loginHint?: string | null;
  readonly error?: SignInError | null;
  /** The sign-up page of this authorization, when the org lets people create an account. */
  readonly signUpUrl?: string | null;
}

// One message for a wrong login name and a wrong password: the page must not tell which
// accounts exist (OWASP ASVS 5.0 V6.3.8). A browser the account signed in on before is not
// locked out with the account (its device cookie, accounts/device-cookies.ts): say so.
const ERROR_MESSAGES = {
  invalid_credentials: 'The login name or password is incorrect.',
  throttled: 'Too many attempts. Try again in a few minutes, or from a device you have signed in on before.',
} as const satisfies Record<SignInError, string>;

/**
 * The sign-in form. Its field names, ids, labels and `autocomplete` values are a contract with
 * password managers and screen readers (HTML §4.10.18.7 autofill): keep them as they are.
 */
export function renderSignInPage(model: SignInPageModel): RenderedPage {
  const { branding } = model;
  const loginHint = model.loginHint ?? '';
  // Focus the first field still to fill in.
  const focusPassword = loginHint !== '';
  const body = html`<p class="lead">to continue to <strong>${model.clientName}</strong></p>
${model.error ? html`<p role="alert" class="alert">${ERROR_MESSAGES[model.error]}</p>` : null}
<form method="post" action="${model.action}">
${hiddenInputs({ interaction: model.interactionId, csrf_token: model.csrfToken })}
<label for="username">Login name or email</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${loginHint}"${focusPassword ? null : html` autofocus`}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${focusPassword ? html` autofocus` : null}>
<div class="actions"><button type="submit">Sign in</button></div>
</form>
${model.signUpUrl ? html`<p class="muted">New here? <a href="${model.signUpUrl}">Create an account</a></p>` : null}`;
  return pageShell({ title: `Sign in to ${branding.orgName}`, branding, body });
}
