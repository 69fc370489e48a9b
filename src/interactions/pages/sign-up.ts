import { hiddenInputs, html, pageShell } from '../../http/html.ts';
import type { PageBranding, RenderedPage } from '../../http/html.ts';

export interface SignUpPageModel {
  readonly branding: PageBranding;
  readonly clientName: string;
  /** Where the form posts. */
  readonly action: string;
  /** Back to the sign-in page of the same authorization. */
  readonly signInUrl: string;
  readonly interactionId: string;
  readonly csrfToken: string;
  /** What was typed before (never the password). */
  readonly values?: { readonly username?: string; readonly email?: string };
  /** The field the message is about, so it can be marked invalid, and the message. */
  readonly error?: { readonly field: 'username' | 'email' | 'password' | null; readonly message: string } | null;
}

/**
 * The sign-up form. Same autofill contract as the sign-in page (HTML §4.10.18.7): the login name
 * is `username`, the password `new-password`, so password managers offer to generate and save one.
 */
export function renderSignUpPage(model: SignUpPageModel): RenderedPage {
  const { branding } = model;
  const error = model.error ?? null;
  const invalid = (field: 'username' | 'email') => (error?.field === field ? html` aria-invalid="true" aria-describedby="form-error"` : null);
  // The message is about the password when it names no other field.
  const passwordInvalid = error !== null && error.field !== 'username' && error.field !== 'email';
  const body = html`<p class="lead">to continue to <strong>${model.clientName}</strong></p>
${error ? html`<p role="alert" class="alert" id="form-error">${error.message}</p>` : null}
<form method="post" action="${model.action}">
${hiddenInputs({ interaction: model.interactionId, csrf_token: model.csrfToken })}
<label for="username">Login name</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="128" value="${model.values?.username ?? ''}"${invalid('username')}${error === null || error.field === 'username' ? html` autofocus` : null}>
<label for="email">Email (optional)</label>
<input type="email" id="email" name="email" autocomplete="email" autocapitalize="none" spellcheck="false" maxlength="254" value="${model.values?.email ?? ''}"${invalid('email')}${error?.field === 'email' ? html` autofocus` : null}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="new-password" required minlength="8" maxlength="1024" aria-describedby="${passwordInvalid ? 'password-hint form-error' : 'password-hint'}"${passwordInvalid ? html` aria-invalid="true" autofocus` : null}>
<p class="muted" id="password-hint">At least 8 characters.</p>
<div class="actions"><button type="submit">Create account</button></div>
</form>
<p class="muted">Already have an account? <a href="${model.signInUrl}">Sign in</a></p>`;
  return pageShell({ title: `Create an account with ${branding.orgName}`, branding, body });
}
