import { hiddenInputs, html, pageShell } from '../../http/html.ts';
import type { PageBranding, RenderedPage } from '../../http/html.ts';

export interface StaffSignInPageModel {
  readonly branding: PageBranding;
  readonly action: string;
  readonly csrfToken: string;
  readonly email?: string | null;
  readonly error?: 'invalid_credentials' | 'throttled' | null;
  /** The console page to come back to after signing in (console-context.ts safeReturnPath). */
  readonly returnTo?: string | null;
}

const ERROR_MESSAGES = {
  invalid_credentials: 'The email or password is incorrect.',
  throttled: 'Too many attempts. Try again in a few minutes, or from a device you have signed in on before.',
} as const;

/**
 * The staff sign-in form: a page of its own, apart from the constituents' (staff and
 * constituents are never confused). Same autofill contract: `username` and `current-password`.
 */
export function renderStaffSignInPage(model: StaffSignInPageModel): RenderedPage {
  const { branding } = model;
  const body = html`<p class="lead">Staff of <strong>${branding.orgName}</strong></p>
${model.error ? html`<p role="alert" class="alert">${ERROR_MESSAGES[model.error]}</p>` : null}
<form method="post" action="${model.action}">
${hiddenInputs(model.returnTo ? { csrf_token: model.csrfToken, return_to: model.returnTo } : { csrf_token: model.csrfToken })}
<label for="username">Email</label>
<input type="email" id="username" name="email" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${model.email ?? ''}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit">Sign in</button></div>
</form>`;
  return pageShell({ title: `Staff sign-in to ${branding.orgName}`, branding, body });
}
