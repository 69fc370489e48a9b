import { hiddenInputs, html, pageShell } from '../../http/html.ts';
import type { PageBranding, RenderedPage } from '../../http/html.ts';

export interface StaffSessionPageModel {
  readonly branding: PageBranding;
  readonly signOutAction: string;
  readonly csrfToken: string;
  /** Where to go after signing out (the authorization request that was refused), a path of this org. */
  readonly returnTo?: string | null;
}

/**
 * Shown when the browser holds a staff session of the organization: staff users are not
 * constituents and cannot sign in to apps (Neon's "Logged in as system user not supported").
 */
export function renderStaffSessionPage(model: StaffSessionPageModel): RenderedPage {
  const { branding } = model;
  const body = html`<p>This browser is signed in to <strong>${branding.orgName}</strong> as a staff user. Staff accounts cannot sign in to apps.</p>
<p>To continue, sign out of the staff session, then sign in with your own account.</p>
<form method="post" action="${model.signOutAction}">
${hiddenInputs(model.returnTo ? { csrf_token: model.csrfToken, return_to: model.returnTo } : { csrf_token: model.csrfToken })}
<div class="actions"><button type="submit">Sign out of the staff session</button></div>
</form>`;
  return pageShell({ title: 'Staff accounts cannot sign in to apps', branding, body });
}
