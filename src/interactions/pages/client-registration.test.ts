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
});

describe('renderClientRegistrationReceivedPage', () => {
  it('shows the client_id and the secret once, warning that it works only after approval', () => {
    const page = renderClientRegistrationReceivedPage({ branding: { orgName: 'Neos' }, appName: 'Cool App', clientId: 'abc123', clientSecret: 'gsec_s3cret' }).html;
    expect(page).toContain('Registration request received');
    expect(page).toContain('<strong>Cool App</strong>. It is awaiting approval');
    expect(page).toContain('<strong>Status: awaiting approval.</strong> Until Neos approves the request, this application cannot sign anyone in nor get tokens.');
    expect(page).toContain('client_id: <code>abc123</code>');
    expect(page).toContain('client_secret: <code>gsec_s3cret</code>');
    expect(page).toContain('it is shown only once');
    expect(page).toContain('It works only after Neos approves the request.');
  });

  it('says a public client has no secret', () => {
    const page = renderClientRegistrationReceivedPage({ branding: { orgName: 'Neos' }, appName: 'Phone', clientId: 'abc123', clientSecret: null }).html;
    expect(page).not.toContain('client_secret');
    expect(page).toContain('no secret: it must use PKCE');
    expect(page).toContain('Status: awaiting approval.');
  });

  it('escapes every rendered field', () => {
    const page = renderClientRegistrationReceivedPage({ branding: { orgName: HOSTILE }, appName: HOSTILE, clientId: HOSTILE, clientSecret: HOSTILE }).html;
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(`<code>${HOSTILE_ESCAPED}</code>`);
  });
});
