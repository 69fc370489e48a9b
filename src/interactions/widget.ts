import { safePrimaryColor, textColorOn } from '../http/html.ts';

export interface WidgetScriptOptions {
  readonly issuer: string;
  readonly orgName: string;
  readonly authorizationEndpoint: string;
  /** The org's branding primary colour (`#rrggbb`); anything else, or none, gives the default blue. */
  readonly primaryColor?: string | null;
}

/**
 * A value as a JavaScript literal that is also safe inside an HTML `<script>` element: `<`, `>`
 * and `&` become `\u003c`… so `</script>` or `<!--` cannot end it early, and U+2028/U+2029 are
 * escaped for engines before ES2019, where they end a string literal.
 */
function jsLiteral(value: string): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The source of `<issuer>/widget.js`, Neon CRM's login widget: a site puts
 *
 *     <script src="<issuer>/widget.js" data-client-id="…" data-redirect-uri="…"
 *             data-state="…" data-scope="openid profile" data-label="…"></script>
 *
 * in its body and gets a "Sign in with <org>" link to the authorization endpoint right after the
 * tag, in the org's primary colour as its hosted pages' buttons are (the same colour check and text
 * contrast). A wrong setup shows a visible error (and logs it) instead of silently showing nothing.
 * ES2017, no dependencies, no globals; data values only ever reach the page through
 * `textContent` and `href`.
 */
export function widgetScript(options: WidgetScriptOptions): string {
  const background = safePrimaryColor(options.primaryColor);
  return `/* Gatehouse sign-in widget */
(function () {
  'use strict';
  var ISSUER = ${jsLiteral(options.issuer)};
  var ORG_NAME = ${jsLiteral(options.orgName)};
  var AUTHORIZATION_ENDPOINT = ${jsLiteral(options.authorizationEndpoint)};
  var BACKGROUND = ${jsLiteral(background)};
  var TEXT_COLOR = ${jsLiteral(textColorOn(background))};
  var PREFIX = 'Gatehouse sign-in (' + ISSUER + '): ';

  var script = document.currentScript;
  if (!script) {
    console.error(PREFIX + 'include widget.js with a plain script tag that has a src attribute (not type=module, and not added by another script).');
    return;
  }

  function showError(message) {
    console.error(PREFIX + message);
    var p = document.createElement('p');
    p.className = 'gatehouse-signin-error';
    p.setAttribute('role', 'alert');
    p.textContent = 'Sign in with ' + ORG_NAME + ' is not set up correctly: ' + message;
    var s = p.style;
    s.color = '#7f1d1d';
    s.background = '#fef2f2';
    s.border = '1px solid #b91c1c';
    s.padding = '8px 12px';
    s.font = '14px/1.4 system-ui, sans-serif';
    var parent = script.parentNode;
    if (parent && parent !== document.head) {
      parent.insertBefore(p, script.nextSibling);
      return;
    }
    // Placed in the head: show the error at the top of the body, once there is one.
    var insertInBody = function () {
      if (document.body) document.body.insertBefore(p, document.body.firstChild);
    };
    if (document.body) insertInBody();
    else document.addEventListener('DOMContentLoaded', insertInBody);
  }

  if (!script.parentNode || script.parentNode === document.head) {
    showError('the widget script tag is in the page head; place it in the body, where the button should appear.');
    return;
  }

  var data = script.dataset;
  var clientId = (data.clientId || '').trim();
  var redirectUri = (data.redirectUri || '').trim();
  var problems = [];
  if (!clientId) problems.push('the data-client-id attribute is missing.');
  if (!redirectUri) {
    problems.push('the data-redirect-uri attribute is missing.');
  } else {
    var parsed = null;
    try {
      parsed = new URL(redirectUri);
    } catch (e) {
      parsed = null;
    }
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
      problems.push('data-redirect-uri must be an absolute http:// or https:// URL.');
    }
  }
  if (problems.length > 0) {
    showError(problems.join(' '));
    return;
  }

  var scope = (data.scope || '').trim().split(/\\s+/).filter(Boolean).join(' ') || 'openid';
  var query = new URLSearchParams();
  query.set('response_type', 'code');
  query.set('client_id', clientId);
  query.set('redirect_uri', redirectUri);
  query.set('scope', scope);
  if (data.state) query.set('state', data.state);

  var link = document.createElement('a');
  link.href = AUTHORIZATION_ENDPOINT + (AUTHORIZATION_ENDPOINT.indexOf('?') === -1 ? '?' : '&') + query.toString();
  link.className = 'gatehouse-signin';
  link.textContent = (data.label || '').trim() || 'Sign in with ' + ORG_NAME;
  var st = link.style;
  st.display = 'inline-block';
  st.minHeight = '44px';
  st.boxSizing = 'border-box';
  st.padding = '11px 20px';
  st.borderRadius = '6px';
  st.background = BACKGROUND;
  st.color = TEXT_COLOR;
  st.font = '600 16px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  st.textDecoration = 'none';
  script.parentNode.insertBefore(link, script.nextSibling);
})();
`;
}
