import { hiddenInputs, html, pageShell } from '../../http/html.ts';
import type { PageBranding, RenderedPage } from '../../http/html.ts';

export interface LogoutConfirmPageModel {
  readonly branding: PageBranding;
  readonly action: string;
  readonly csrfToken: string;
  /** The logout request's parameters, carried through the confirmation post. */
  readonly hidden: Readonly<Record<string, string>>;
  /** The client that asked, when it could be identified. */
  readonly clientName?: string | null;
  /**
   * Where "Stay signed in" goes: a page of ours, never the request's `post_logout_redirect_uri`
   * (this page is shown exactly when the request may not come from the client it names).
   */
  readonly cancelUrl: string;
}

const OWN_FIELDS = new Set(['csrf_token', 'confirm']);

/**
 * Asks before ending the session: a logout request without an `id_token_hint` naming this
 * session may come from anyone, so the person confirms it (OpenID Connect RP-Initiated Logout
 * 1.0 §2 and §6), or leaves without signing out.
 */
export function renderLogoutConfirmPage(model: LogoutConfirmPageModel): RenderedPage {
  const { branding } = model;
  // Our own fields are written once, after the carried ones, so a request cannot shadow them.
  const carried = Object.fromEntries(Object.entries(model.hidden).filter(([name]) => !OWN_FIELDS.has(name)));
  const body = html`${model.clientName ? html`<p class="lead"><strong>${model.clientName}</strong> asked to sign you out.</p>` : null}
<p>You will be signed out of <strong>${branding.orgName}</strong> in this browser.</p>
<form method="post" action="${model.action}">
${hiddenInputs(carried)}
${hiddenInputs({ csrf_token: model.csrfToken, confirm: 'yes' })}
<div class="actions">
<button type="submit">Sign out</button>
<a class="button secondary" href="${model.cancelUrl}">Stay signed in</a>
</div>
</form>`;
  return pageShell({ title: `Sign out of ${branding.orgName}?`, branding, body });
}

export interface StillSignedInPageModel {
  readonly branding: PageBranding;
}

/** Where "Stay signed in" on the confirmation page leads: nothing was ended. */
export function renderStillSignedInPage(model: StillSignedInPageModel): RenderedPage {
  const { branding } = model;
  const body = html`<p>You did not sign out: you are still signed in to <strong>${branding.orgName}</strong> in this browser. You can close this window.</p>`;
  return pageShell({ title: 'You are still signed in', branding, body });
}

export interface LoggedOutPageModel {
  readonly branding: PageBranding;
}

/** Shown after sign-out when there is no verified `post_logout_redirect_uri` to return to. */
export function renderLoggedOutPage(model: LoggedOutPageModel): RenderedPage {
  const { branding } = model;
  const body = html`<p>You are no longer signed in to <strong>${branding.orgName}</strong> in this browser. You can close this window.</p>`;
  return pageShell({ title: 'You are signed out', branding, body });
}
