import { hiddenInputs, html, pageShell } from '../../http/html.ts';
import type { PageBranding, RenderedPage, SafeHtml } from '../../http/html.ts';
import { COPY_SCRIPT } from '../../http/copy-script.ts';

/** What the person typed, given back when the form is shown again after an error. */
export interface ClientRegistrationValues {
  readonly appName: string;
  readonly redirectUris: string;
  readonly clientType: 'confidential' | 'public';
  readonly requesterName: string;
  readonly requesterEmail: string;
  readonly requestReason: string;
}

/** The form's fields, by their names in the form. */
export type ClientRegistrationField = 'app_name' | 'redirect_uris' | 'client_type' | 'requester_name' | 'requester_email' | 'request_reason';

/** What to fix in each field, shown beside it. */
export type ClientRegistrationFieldErrors = Readonly<Partial<Record<ClientRegistrationField, string>>>;

/** The label of each field, as the page shows it. */
export const CLIENT_REGISTRATION_LABELS: Readonly<Record<ClientRegistrationField, string>> = {
  app_name: 'Application name',
  redirect_uris: 'Redirect URIs',
  client_type: 'Kind of application',
  requester_name: 'Your name',
  requester_email: 'Your email',
  request_reason: 'Why you need access',
};

const FIELD_ORDER = Object.keys(CLIENT_REGISTRATION_LABELS) as ClientRegistrationField[];

export interface ClientRegistrationPageModel {
  readonly branding: PageBranding;
  /** Where the form posts. */
  readonly action: string;
  readonly csrfToken: string;
  readonly values?: ClientRegistrationValues | null;
  /** A sentence about the whole request: why it was not taken (an expired page, too many requests). */
  readonly error?: string | null;
  /**
   * What to fix, beside each field it is about: the rule broken, never the value typed (which
   * the field itself shows again).
   */
  readonly fieldErrors?: ClientRegistrationFieldErrors | null;
}

const EMPTY: ClientRegistrationValues = { appName: '', redirectUris: '', clientType: 'confidential', requesterName: '', requesterEmail: '', requestReason: '' };

/**
 * The public form to ask an organization for an OAuth client (Neos: "registration … with manual
 * approval"): the application's name and redirect URIs, who asks, and why. Staff approve or
 * reject each request; nothing works before that. After a refused request each field with a
 * problem says it below its label, is marked invalid and described by it (WCAG 3.3.1), and an
 * alert at the top links to each; the first gets the focus.
 */
export function renderClientRegistrationPage(model: ClientRegistrationPageModel): RenderedPage {
  const { branding } = model;
  const v = model.values ?? EMPTY;
  const errors = model.fieldErrors ?? {};
  const invalid = FIELD_ORDER.filter((field) => errors[field] !== undefined);
  const message = (field: ClientRegistrationField): SafeHtml | null =>
    errors[field] === undefined ? null : html`<p class="field-error" id="${field}-error">${errors[field]}</p>`;
  /** aria-invalid, the error (after any hint) in aria-describedby, and the focus on the first invalid field. */
  const marks = (field: ClientRegistrationField, hint?: string): SafeHtml | null => {
    const describedBy = [hint, errors[field] === undefined ? undefined : `${field}-error`].filter((id) => id !== undefined).join(' ');
    return html`${describedBy === '' ? null : html` aria-describedby="${describedBy}"`}${errors[field] === undefined ? null : html` aria-invalid="true"`}${invalid[0] === field ? html` autofocus` : null}`;
  };
  const summary =
    invalid.length === 0
      ? null
      : html`<div role="alert" class="alert"><p>The request was not sent. Correct ${invalid.length === 1 ? 'this field' : 'these fields'}:</p>
<ul>${invalid.map((field) => html`<li><a href="#${field}">${CLIENT_REGISTRATION_LABELS[field]}</a></li>`)}</ul></div>`;
  const body = html`<p class="lead">Ask <strong>${branding.orgName}</strong> to let your application sign people in. Staff review every request; the application works only once they approve it.</p>
${model.error ? html`<p role="alert" class="alert">${model.error}</p>` : null}
${summary}
<form method="post" action="${model.action}">
${hiddenInputs({ csrf_token: model.csrfToken })}
<label for="app_name">Application name</label>
${message('app_name')}
<input type="text" id="app_name" name="app_name" maxlength="200" required value="${v.appName}"${marks('app_name')}>
<label for="redirect_uris">Redirect URIs, one per line</label>
<p class="muted" id="redirect_uris_hint">Exact URIs your application receives the sign-in result at: https, or http on 127.0.0.1 or localhost while developing. No wildcards, no #fragments.</p>
${message('redirect_uris')}
<textarea id="redirect_uris" name="redirect_uris" rows="3" required${marks('redirect_uris', 'redirect_uris_hint')} autocapitalize="none" spellcheck="false">${v.redirectUris}</textarea>
<fieldset id="client_type"${errors.client_type === undefined ? null : html` aria-describedby="client_type-error"`}>
<legend>Kind of application</legend>
${message('client_type')}
<label class="choice"><input type="radio" name="client_type" value="confidential"${v.clientType === 'confidential' ? html` checked` : null}${invalid[0] === 'client_type' ? html` autofocus` : null}> Runs on a server and can keep a secret</label>
<label class="choice"><input type="radio" name="client_type" value="public"${v.clientType === 'public' ? html` checked` : null}> Runs in a browser or on a device (no secret; uses PKCE)</label>
</fieldset>
<label for="requester_name">Your name</label>
${message('requester_name')}
<input type="text" id="requester_name" name="requester_name" autocomplete="name" maxlength="200" required value="${v.requesterName}"${marks('requester_name')}>
<label for="requester_email">Your email</label>
${message('requester_email')}
<input type="email" id="requester_email" name="requester_email" autocomplete="email" autocapitalize="none" spellcheck="false" maxlength="254" required value="${v.requesterEmail}"${marks('requester_email')}>
<label for="request_reason">Why you need access</label>
${message('request_reason')}
<textarea id="request_reason" name="request_reason" rows="4" maxlength="1000" required${marks('request_reason')}>${v.requestReason}</textarea>
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
