import { hiddenInputs, html, pageShell } from '../../http/html.ts';
import type { PageBranding, RenderedPage } from '../../http/html.ts';

export interface ConsentPageModel {
  readonly branding: PageBranding;
  readonly clientName: string;
  /** The signed-in account as the person knows it (display name or login name). */
  readonly accountName: string;
  readonly action: string;
  readonly interactionId: string;
  readonly csrfToken: string;
  /** Plain-word descriptions, from `describeScopes`. */
  readonly scopes: readonly { readonly name: string; readonly description: string }[];
}

/**
 * Asks the account holder whether the client may have what it requested. One form, two submit
 * buttons: the route reads `decision=allow` or `decision=deny`.
 */
export function renderConsentPage(model: ConsentPageModel): RenderedPage {
  const { branding } = model;
  const scopeList =
    model.scopes.length > 0
      ? html`<p>This will let <strong>${model.clientName}</strong> have:</p>
<ul class="scopes">${model.scopes.map((scope) => html`<li>${scope.description}</li>`)}</ul>`
      : html`<p><strong>${model.clientName}</strong> asks only to know that you signed in.</p>`;
  const body = html`<p class="lead">Signed in as <strong>${model.accountName}</strong></p>
${scopeList}
<form method="post" action="${model.action}">
${hiddenInputs({ interaction: model.interactionId, csrf_token: model.csrfToken })}
<div class="actions">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>`;
  return pageShell({ title: `${model.clientName} wants to access your ${branding.orgName} account`, branding, body });
}
