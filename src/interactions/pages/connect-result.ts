import { html, pageShell, type PageBranding, type RenderedPage } from '../../http/html.ts';

export interface ConnectResultModel {
  readonly branding: PageBranding | null;
  readonly callbackMessage: string;
  /** The exact origin the message is posted to. */
  readonly targetOrigin: string;
  /** Null on success; otherwise the error code, posted as `{ message, error }`. */
  readonly error: string | null;
}

// Fixed: the values it posts are read from the page's data attributes (escaped as HTML), never
// written into the script. On success the message is callbackMessage itself; on failure the
// object { message: callbackMessage, error: <code> }. Posted to exactly the target origin: a
// window of any other origin receives nothing.
const POST_RESULT_SCRIPT = `(function () {
  var data = document.getElementById('connect-result').dataset;
  var message = data.error === undefined ? data.message : { message: data.message, error: data.error };
  var target = window.opener || (window.parent !== window ? window.parent : null);
  if (target) target.postMessage(message, data.targetOrigin);
  window.close();
})();`;

/**
 * The page that ends the connector hub's connect flow (connectors/connect/) started with callbackMessage: it posts the result to the
 * partner's window (the popup's opener, or the frame's parent) and closes. Its CSP lets only the
 * target origin frame it (so the parent variant works there and nowhere else).
 */
export function renderConnectResultPage(model: ConnectResultModel): RenderedPage {
  const text = model.error === null ? 'The connection is authorized. You can close this window.' : html`The connection could not be completed (<code>${model.error}</code>). You can close this window.`;
  const body = html`<p id="connect-result" data-message="${model.callbackMessage}" data-target-origin="${model.targetOrigin}"${model.error === null ? '' : html` data-error="${model.error}"`}>${text}</p>`;
  const page = pageShell({ title: model.error === null ? 'Connected' : 'Connection failed', branding: model.branding, body, script: POST_RESULT_SCRIPT });
  return { html: page.html, csp: page.csp.replace("frame-ancestors 'none'", `frame-ancestors ${model.targetOrigin}`) };
}
