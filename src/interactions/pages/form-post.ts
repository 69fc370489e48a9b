import { hiddenInputs, html, pageShell } from '../../http/html.ts';
import type { RenderedPage } from '../../http/html.ts';

export interface FormPostPageModel {
  /** The verified redirect URI of the client. */
  readonly redirectUri: string;
  /** The authorization response (`code`, `state`, `iss`, or `error`…). */
  readonly params: Readonly<Record<string, string>>;
}

// Called through the prototype: a response parameter named `submit` would otherwise shadow the
// form's method.
const AUTO_SUBMIT = 'HTMLFormElement.prototype.submit.call(document.forms[0]);';

/**
 * OAuth 2.0 Form Post Response Mode: the response goes to the client in a POST body, not in the
 * URL. The script submits at once; without JavaScript the person presses Continue.
 * The route should also send `Cache-Control: no-store` (the page carries a code).
 */
export function renderFormPostPage(model: FormPostPageModel): RenderedPage {
  const target = new URL(model.redirectUri);
  // The request's validation (authorize/request.ts) picks form_post only for an http(s) URI; refuse
  // anything else all the same, so a mistake upstream cannot post a code to `javascript:`.
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    throw new TypeError(`form_post needs an http(s) redirect URI, got '${target.protocol}'`);
  }
  const body = html`<form method="post" action="${model.redirectUri}">
${hiddenInputs(model.params)}
<p>If nothing happens, select Continue to return to the app.</p>
<div class="actions"><button type="submit">Continue</button></div>
</form>`;
  return pageShell({ title: 'Returning to the app', body, script: AUTO_SUBMIT });
}
