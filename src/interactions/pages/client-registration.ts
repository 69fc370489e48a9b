import { hiddenInputs, html, pageShell } from '../html.ts';
import type { PageBranding, RenderedPage, SafeHtml } from '../html.ts';

/** What the person typed, given back when the form is shown again after an error. */
export interface ClientRegistrationValues {
  readonly appName: string;
  readonly redirectUris: string;
  readonly clientType: 'confidential' | 'public';
  readonly requesterName: string;
  readonly requesterEmail: string;
  readonly requestReason: string;
}

export interface ClientRegistrationPageModel {
  readonly branding: PageBranding;
  /** Where the form posts. */
  readonly action: string;
  readonly csrfToken: string;
  readonly values?: ClientRegistrationValues | null;
  /** A sentence saying what to fix, or why the request was not taken. */
  readonly error?: string | null;
}

const EMPTY: ClientRegistrationValues = { appName: '', redirectUris: '', clientType: 'confidential', requesterName: '', requesterEmail: '', requestReason: '' };

/**
 * The public form to ask an organization for an OAuth client (Neos: "registration … with manual
 * approval"): the application's name and redirect URIs, who asks, and why. Staff approve or
 * reject each request; nothing works before that.
 */
export function renderClientRegistrationPage(model: ClientRegistrationPageModel): RenderedPage {
  const { branding } = model;
  const v = model.values ?? EMPTY;
  const body = html`<p class="lead">Ask <strong>${branding.orgName}</strong> to let your application sign people in. Staff review every request; the application works only once they approve it.</p>
${model.error ? html`<p role="alert" class="alert">${model.error}</p>` : null}
<form method="post" action="${model.action}">
${hiddenInputs({ csrf_token: model.csrfToken })}
<label for="app_name">Application name</label>
<input type="text" id="app_name" name="app_name" maxlength="200" required value="${v.appName}">
<label for="redirect_uris">Redirect URIs, one per line</label>
<p class="muted" id="redirect_uris_hint">Exact URIs your application receives the sign-in result at: https, or http on 127.0.0.1 or localhost while developing. No wildcards, no #fragments.</p>
<textarea id="redirect_uris" name="redirect_uris" rows="3" required aria-describedby="redirect_uris_hint" autocapitalize="none" spellcheck="false">${v.redirectUris}</textarea>
<fieldset>
<legend>Kind of application</legend>
<label class="choice"><input type="radio" name="client_type" value="confidential"${v.clientType === 'confidential' ? html` checked` : null}> Runs on a server and can keep a secret</label>
<label class="choice"><input type="radio" name="client_type" value="public"${v.clientType === 'public' ? html` checked` : null}> Runs in a browser or on a device (no secret; uses PKCE)</label>
</fieldset>
<label for="requester_name">Your name</label>
<input type="text" id="requester_name" name="requester_name" autocomplete="name" maxlength="200" required value="${v.requesterName}">
<label for="requester_email">Your email</label>
<input type="email" id="requester_email" name="requester_email" autocomplete="email" autocapitalize="none" spellcheck="false" maxlength="254" required value="${v.requesterEmail}">
<label for="request_reason">Why you need access</label>
<textarea id="request_reason" name="request_reason" rows="4" maxlength="1000" required>${v.requestReason}</textarea>
<div class="actions"><button type="submit">Send the request</button></div>
</form>`;
  return pageShell({ title: `Register an application with ${branding.orgName}`, branding, body, width: 'wide' });
}

export interface ClientRegistrationReceivedPageModel {
  readonly branding: PageBranding;
  readonly appName: string;
  readonly clientId: string;
  /** Shown once, here; null for an application without a secret. */
  readonly clientSecret: string | null;
}

/**
 * One credential to copy: its name, a Copy button and its status, and the value in a block of its
 * own that never wraps (a credential broken across lines gets copied with the breaks, or half of
 * it) and scrolls sideways when the screen is narrow (a shadow at an edge says there is more); the
 * block is focusable, so a keyboard can scroll it too. One click or tap selects exactly the value
 * (`user-select: all`). The button stays hidden until COPY_SCRIPT runs: without JavaScript, or
 * where the Clipboard API is missing (it needs https or localhost), the value is there to select.
 */
function credential(id: string, name: string, value: string): SafeHtml {
  return html`<div class="credential">
<div class="credential-head">
<p class="credential-label" id="${id}-label">${name}</p>
<span class="copy-status" id="${id}-status" role="status" aria-live="polite"></span>
<button type="button" class="secondary" data-copy="${id}" hidden>Copy<span class="visually-hidden"> ${name}</span></button>
</div>
<div class="credential-value" tabindex="0" role="region" aria-labelledby="${id}-label"><code id="${id}">${value}</code></div>
</div>`;
}

/**
 * Shows each Copy button and copies its value with the Clipboard API, then says so in the status
 * region beside it (announced by screen readers: WCAG 4.1.3). Runs under the page's CSP nonce;
 * its text is fixed, nothing in it comes from the request. If the browser refuses, the value is
 * selected instead, for the person to copy.
 */
const COPY_SCRIPT = `(function () {
  'use strict';
  var clipboard = navigator.clipboard;
  if (!clipboard || typeof clipboard.writeText !== 'function') return;
  var statuses = [];
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var id = button.getAttribute('data-copy');
    var value = document.getElementById(id);
    var status = document.getElementById(id + '-status');
    if (!value || !status) return;
    statuses.push(status);
    button.hidden = false;
    button.addEventListener('click', function () {
      // Emptied first, so a second copy is announced again; only the last copy says Copied.
      statuses.forEach(function (other) { other.textContent = ''; });
      clipboard.writeText(value.textContent).then(function () {
        status.textContent = 'Copied';
      }, function () {
        window.getSelection().selectAllChildren(value);
        status.textContent = 'Not copied: it is selected, press Ctrl+C (Cmd+C on a Mac)';
      });
    });
  });
})();`;

/**
 * The answer to a registration request: the client_id, and for a confidential client its secret,
 * shown only on this page, with a warning that neither works until staff approve the request.
 */
export function renderClientRegistrationReceivedPage(model: ClientRegistrationReceivedPageModel): RenderedPage {
  const { branding } = model;
  const body = html`<p class="lead">${branding.orgName} received your request to register <strong>${model.appName}</strong>. It is awaiting approval: staff will review it and contact you.</p>
<p><strong>Status: awaiting approval.</strong> Until ${branding.orgName} approves the request, this application cannot sign anyone in nor get tokens.</p>
${credential('client-id', 'client_id', model.clientId)}
${
  model.clientSecret === null
    ? html`<p class="muted">This application has no secret: it must use PKCE.</p>`
    : html`${credential('client-secret', 'client_secret', model.clientSecret)}
<p role="alert" class="alert">Copy the secret now: it is shown only once and cannot be displayed again. It works only after ${branding.orgName} approves the request.</p>`
}`;
  return pageShell({ title: 'Registration request received', branding, body, script: COPY_SCRIPT, width: 'wide' });
}
