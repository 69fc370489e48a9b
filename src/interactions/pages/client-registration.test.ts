import { describe, expect, it } from 'vitest';
import { renderClientRegistrationPage, renderClientRegistrationReceivedPage } from './client-registration.ts';

const HOSTILE = `"><script>alert(1)</script>'\``;
const HOSTILE_ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&#96;';

describe('renderClientRegistrationPage', () => {
  it('renders the request form with its CSRF token and every field, labelled', () => {
    const page = renderClientRegistrationPage({ branding: { orgName: 'Neos' }, action: '/o/neos/register', csrfToken: 'csrf_123' });
    expect(page.html).toContain('<form method="post" action="/o/neos/register">');
    expect(page.html).toContain('<input type="hidden" name="csrf_token" value="csrf_123">');
    for (const name of ['app_name', 'redirect_uris', 'requester_name', 'requester_email', 'request_reason']) {
      expect(page.html).toContain(`<label for="${name}">`);
      expect(page.html).toContain(`id="${name}" name="${name}"`);
    }
    expect(page.html).toContain('<input type="radio" name="client_type" value="confidential" checked>');
    expect(page.html).not.toContain('role="alert"');
    expect(page.csp).toContain("default-src 'none'");
    expect(page.csp).not.toContain('script-src');
  });

  it('shows the error and gives back what was typed', () => {
    const page = renderClientRegistrationPage({
      branding: { orgName: 'Neos' },
      action: '/o/neos/register',
      csrfToken: 'c',
      error: 'Redirect URIs: it has a fragment',
      values: { appName: 'Cool App', redirectUris: 'https://a.example/cb#x', clientType: 'public', requesterName: 'Ann', requesterEmail: 'ann@example.org', requestReason: 'Events' },
    }).html;
    expect(page).toContain('<p role="alert" class="alert">Redirect URIs: it has a fragment</p>');
    expect(page).toContain('value="Cool App"');
    expect(page).toContain('>https://a.example/cb#x</textarea>');
    expect(page).toContain('<input type="radio" name="client_type" value="public" checked>');
  });

  it('escapes every rendered field', () => {
    const page = renderClientRegistrationPage({
      branding: { orgName: HOSTILE },
      action: HOSTILE,
      csrfToken: HOSTILE,
      error: HOSTILE,
      values: { appName: HOSTILE, redirectUris: HOSTILE, clientType: 'confidential', requesterName: HOSTILE, requesterEmail: HOSTILE, requestReason: HOSTILE },
    }).html;
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(`action="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`value="${HOSTILE_ESCAPED}"`);
    expect(page).toContain(`>${HOSTILE_ESCAPED}</textarea>`);
  });

  it('shows each field\'s error beside it: described by it, marked invalid, the first focused, all linked from an alert', () => {
    const page = renderClientRegistrationPage({
      branding: { orgName: 'Neos' },
      action: '/o/neos/register',
      csrfToken: 'c',
      values: { appName: 'Cool App', redirectUris: 'https://a.example/cb#x', clientType: 'public', requesterName: 'Ann', requesterEmail: 'ann', requestReason: 'Events' },
      fieldErrors: { requester_email: 'Your email must be an email address.', redirect_uris: 'A URI has a #fragment.', client_type: HOSTILE },
    }).html;
    expect(page).toContain(
      '<div role="alert" class="alert"><p>The request was not sent. Correct these fields:</p>\n<ul><li><a href="#redirect_uris">Redirect URIs</a></li><li><a href="#client_type">Kind of application</a></li><li><a href="#requester_email">Your email</a></li></ul></div>',
    );
    expect(page).toContain(
      '<p class="field-error" id="redirect_uris-error">A URI has a #fragment.</p>\n<textarea id="redirect_uris" name="redirect_uris" rows="3" required aria-describedby="redirect_uris_hint redirect_uris-error" aria-invalid="true" autofocus',
    );
    expect(page).toContain('<fieldset id="client_type" aria-describedby="client_type-error">\n<legend>Kind of application</legend>\n<p class="field-error" id="client_type-error">' + HOSTILE_ESCAPED + '</p>');
    expect(page).toContain('<p class="field-error" id="requester_email-error">Your email must be an email address.</p>\n<input type="email" id="requester_email"');
    expect(page).toContain('value="ann" aria-describedby="requester_email-error" aria-invalid="true">');
    // Fields without an error are left as they were; only the first invalid field takes the focus.
    expect(page).toContain('required value="Cool App">');
    expect(page.split('autofocus').length).toBe(2);
    expect(page).not.toContain('<script>alert');
  });
});

describe('renderClientRegistrationReceivedPage', () => {
  it('shows the client_id and the secret once, warning that it works only after approval', () => {
    const page = renderClientRegistrationReceivedPage({ branding: { orgName: 'Neos' }, appName: 'Cool App', clientId: 'abc123', clientSecret: 'gsec_s3cret' }).html;
    expect(page).toContain('Registration request received');
    expect(page).toContain('<strong>Cool App</strong>. It is awaiting approval');
    expect(page).toContain('<strong>Status: awaiting approval.</strong> Until Neos approves the request, this application cannot sign anyone in nor get tokens.');
    expect(page).toContain('<p class="credential-label" id="client-id-label">client_id</p>');
    expect(page).toContain('<code id="client-id">abc123</code>');
    expect(page).toContain('<p class="credential-label" id="client-secret-label">client_secret</p>');
    expect(page).toContain('<code id="client-secret">gsec_s3cret</code>');
    expect(page).toContain('it is shown only once');
    expect(page).toContain('It works only after Neos approves the request.');
  });

  // Issue 9 item 20: the secret was broken across lines, with no way to copy it but selecting it.
  it('shows each credential alone on one line, with a Copy button run by a script the CSP allows by nonce', () => {
    const { html: page, csp } = renderClientRegistrationReceivedPage({ branding: { orgName: 'Neos' }, appName: 'Cool App', clientId: 'abc123', clientSecret: 'gsec_s3cret' });
    for (const [id, name, value] of [['client-id', 'client_id', 'abc123'], ['client-secret', 'client_secret', 'gsec_s3cret']]) {
      // The value is the only text of its block, so selecting the block copies exactly the value.
      expect(page).toContain(`<div class="credential-value" tabindex="0" role="region" aria-labelledby="${id}-label"><code id="${id}">${value}</code></div>`);
      // Hidden until the script shows it: without JavaScript there is no dead button.
      expect(page).toContain(`<button type="button" class="secondary" data-copy="${id}" hidden>Copy<span class="visually-hidden"> ${name}</span></button>`);
      expect(page).toContain(`<span class="copy-status" id="${id}-status" role="status" aria-live="polite"></span>`);
    }
    const css = /<style nonce="[^"]+">([\s\S]*?)<\/style>/.exec(page)![1]!;
    expect(css).toMatch(/\n\.credential-value\{overflow-x:auto;/);
    expect(css).toContain('\n.credential-value code{display:block;white-space:pre;overflow-wrap:normal;-webkit-user-select:all;user-select:all}');
    expect(css).toContain('\n[hidden]{display:none!important}');

    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{24}$/);
    expect(csp).not.toContain('unsafe-inline');
    const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map(([, attributes]) => attributes)).toEqual([` nonce="${nonce}"`]);
    expect(scripts[0]![2]).toContain('navigator.clipboard');
    expect(scripts[0]![2]).toContain("status.textContent = 'Copied'");
  });

  it('says a public client has no secret', () => {
    const page = renderClientRegistrationReceivedPage({ branding: { orgName: 'Neos' }, appName: 'Phone', clientId: 'abc123', clientSecret: null }).html;
    expect(page).not.toContain('client_secret');
    expect(page).toContain('no secret: it must use PKCE');
    expect(page).toContain('Status: awaiting approval.');
    expect(page).toContain('<code id="client-id">abc123</code>');
    expect(page).toContain('data-copy="client-id"');
  });

  it('escapes every rendered field', () => {
    const page = renderClientRegistrationReceivedPage({ branding: { orgName: HOSTILE }, appName: HOSTILE, clientId: HOSTILE, clientSecret: HOSTILE }).html;
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(`<code id="client-secret">${HOSTILE_ESCAPED}</code>`);
  });
});
