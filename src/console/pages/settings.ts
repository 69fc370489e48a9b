import { html, type SafeHtml } from '../../http/html.ts';
import type { Organization } from '../../orgs/organization.ts';
import { checkbox, field, formState, problemSummary, type FormProblems } from '../forms.ts';

/** The settings form's fields, by their names in the form (the use case's field names), with their labels. */
export const SETTINGS_FIELD_LABELS: Readonly<Record<string, string>> = {
  name: 'Name',
  logo_url: 'Logo URL',
  primary_color: 'Button colour',
  accent_color: 'Link colour',
  self_registration: 'Self-registration',
  consent_required_by_default: 'Consent for new clients',
  code_ttl_seconds: 'Authorization code lifetime',
  access_token_ttl_seconds: 'Access token lifetime',
  id_token_ttl_seconds: 'ID token lifetime',
  refresh_token_ttl_seconds: 'Refresh token lifetime',
  sso_session_ttl_seconds: 'Single sign-on session lifetime',
  connect_target_origins: 'Connect target origins',
};
export const SETTINGS_FIELDS = Object.keys(SETTINGS_FIELD_LABELS);

/** The lifetimes, in the form's order, with the bounds orgs/orgs.ts enforces (shown as hints and min/max). */
const LIFETIMES = [
  { name: 'code_ttl_seconds', label: 'Authorization code lifetime (seconds)', min: 1, max: 600 },
  { name: 'access_token_ttl_seconds', label: 'Access token lifetime (seconds)', min: 60, max: 86_400 },
  { name: 'id_token_ttl_seconds', label: 'ID token lifetime (seconds)', min: 60, max: 86_400 },
  { name: 'refresh_token_ttl_seconds', label: 'Refresh token lifetime (seconds)', min: 300, max: 366 * 86_400 },
  { name: 'sso_session_ttl_seconds', label: 'Single sign-on session lifetime (seconds)', min: 300, max: 30 * 86_400 },
] as const;

export type LifetimeField = (typeof LIFETIMES)[number]['name'];

/** What the form shows: as typed (after a refusal), or the organization's current values. */
export interface SettingsFormValues {
  readonly name: string;
  readonly logoUrl: string;
  readonly primaryColor: string;
  readonly accentColor: string;
  readonly selfRegistration: 'closed' | 'open';
  readonly consentRequiredByDefault: boolean;
  readonly lifetimes: Readonly<Record<LifetimeField, string>>;
  /** One origin per line. */
  readonly connectTargetOrigins: string;
}

export function settingsValuesOf(org: Organization): SettingsFormValues {
  const s = org.settings;
  return {
    name: org.name,
    logoUrl: s.logoUrl ?? '',
    primaryColor: s.primaryColor ?? '',
    accentColor: s.accentColor ?? '',
    selfRegistration: s.selfRegistration,
    consentRequiredByDefault: s.consentRequiredByDefault,
    lifetimes: {
      code_ttl_seconds: String(s.codeTtlSeconds),
      access_token_ttl_seconds: String(s.accessTokenTtlSeconds),
      id_token_ttl_seconds: String(s.idTokenTtlSeconds),
      refresh_token_ttl_seconds: String(s.refreshTokenTtlSeconds),
      sso_session_ttl_seconds: String(s.ssoSessionTtlSeconds),
    },
    connectTargetOrigins: s.connectTargetOrigins.join('\n'),
  };
}

export interface SettingsPageModel {
  readonly consoleUrl: string;
  readonly org: Organization;
  /** Null for a role that may not change the settings: it sees them, and no control. */
  readonly edit: {
    readonly csrfToken: string;
    readonly version: number;
    readonly values: SettingsFormValues;
    readonly problems: FormProblems | null;
  } | null;
  /** The preview frame's first address: the sign-in page as stored (GET), or as the form holds it (the values in the query). */
  readonly previewUrl: string;
}

/** The name of the preview's frame: the form's Preview button loads its answer there. */
export const PREVIEW_FRAME = 'sign-in-preview';

/**
 * The organization's settings and branding: one form (for those who may change them) beside a
 * live preview of the hosted sign-in page. Without JavaScript, the Preview button posts the form
 * into the frame; with it, the console's script does so as the person types.
 */
export function renderSettingsPage(model: SettingsPageModel): SafeHtml {
  return html`<div class="settings-layout">
<section class="panel" aria-labelledby="settings-heading">
<h2 id="settings-heading">Organization settings</h2>
${model.edit === null ? settingsList(model.org) : settingsForm(model.consoleUrl, model.edit)}
</section>
<section class="panel" aria-labelledby="preview-heading">
<h2 id="preview-heading">Sign-in page preview</h2>
<p class="hint" id="preview-hint">How constituents will see the sign-in page${model.edit === null ? '' : ' with the values of the form (Preview updates it)'}. Nothing in the preview can be submitted.</p>
<iframe class="sign-in-preview" name="${PREVIEW_FRAME}" title="Preview of the sign-in page" src="${model.previewUrl}" sandbox="" aria-describedby="preview-hint"></iframe>
</section>
</div>`;
}

function settingsForm(consoleUrl: string, edit: NonNullable<SettingsPageModel['edit']>): SafeHtml {
  const v = edit.values;
  const errors = edit.problems?.fields ?? {};
  const first = Object.keys(errors)[0];
  const lifetime = (l: (typeof LIFETIMES)[number]): SafeHtml =>
    field({ name: l.name, label: l.label, type: 'number', value: v.lifetimes[l.name], error: errors[l.name], autofocus: first === l.name, required: true, hint: `From ${l.min} to ${l.max}.`, attributes: `min="${l.min}" max="${l.max}" step="1" inputmode="numeric"` });
  return html`${problemSummary(edit.problems, SETTINGS_FIELD_LABELS)}
<form method="post" action="${consoleUrl}/settings" novalidate data-live-preview>
${formState(edit.csrfToken, edit.version)}
<fieldset>
<legend>Branding</legend>
${field({ name: 'name', label: 'Name', value: v.name, required: true, error: errors.name, autofocus: first === 'name', hint: 'Shown on every hosted page, and as the logo’s text alternative.', attributes: 'maxlength="200"' })}
${field({ name: 'logo_url', label: 'Logo URL', value: v.logoUrl, error: errors.logo_url, autofocus: first === 'logo_url', hint: 'An https address of an image. Leave empty to show the name instead.', attributes: 'inputmode="url" autocapitalize="none" spellcheck="false"' })}
${field({ name: 'primary_color', label: 'Button colour', value: v.primaryColor, error: errors.primary_color, autofocus: first === 'primary_color', hint: 'Written #rrggbb, such as #0f766e; the button text takes white or black, whichever reads. Empty: the default blue.', attributes: 'maxlength="7" autocapitalize="none" spellcheck="false"' })}
${field({ name: 'accent_color', label: 'Link colour', value: v.accentColor, error: errors.accent_color, autofocus: first === 'accent_color', hint: 'Written #rrggbb; used for links and focus rings only when it reads on white. Empty: the button colour.', attributes: 'maxlength="7" autocapitalize="none" spellcheck="false"' })}
</fieldset>
<fieldset id="self_registration"${errors.self_registration ? html` aria-describedby="self_registration-error"` : null}>
<legend>Self-registration</legend>
${errors.self_registration ? html`<p class="field-error" id="self_registration-error">${errors.self_registration}</p>` : null}
<label class="choice"><input type="radio" name="self_registration" value="closed"${v.selfRegistration === 'closed' ? html` checked` : null}> Closed: staff create every constituent account</label>
<label class="choice"><input type="radio" name="self_registration" value="open"${v.selfRegistration === 'open' ? html` checked` : null}> Open: the sign-in page links to a sign-up page where anyone may create an account</label>
</fieldset>
<fieldset>
<legend>Consent for new clients</legend>
${checkbox({ name: 'consent_required_by_default', label: 'Clients created from now on ask constituents to consent', checked: v.consentRequiredByDefault, hint: 'Each client can still be changed on its own page.' })}
</fieldset>
<fieldset>
<legend>Token lifetimes</legend>
${LIFETIMES.map(lifetime)}
</fieldset>
${field({ name: 'connect_target_origins', label: 'Connect target origins, one per line', type: 'textarea', value: v.connectTargetOrigins, error: errors.connect_target_origins, autofocus: first === 'connect_target_origins', hint: 'Where a connector connect flow may end: https://host[:port] exactly as a browser writes it, no path; http only for localhost or 127.0.0.1.' })}
<div class="actions"><button type="submit">Save settings</button><button type="submit" class="secondary" formaction="${consoleUrl}/settings/preview" formtarget="${PREVIEW_FRAME}" formnovalidate>Preview</button></div>
</form>`;
}

function settingsList(org: Organization): SafeHtml {
  const s = org.settings;
  const seconds = (n: number): string => `${n} seconds`;
  return html`<dl class="facts">
<dt>Name</dt><dd>${org.name}</dd>
<dt>Logo URL</dt><dd>${s.logoUrl === null ? 'none: the name is shown' : html`<code>${s.logoUrl}</code>`}</dd>
<dt>Button colour</dt><dd>${s.primaryColor === null ? 'the default' : html`<code>${s.primaryColor}</code>`}</dd>
<dt>Link colour</dt><dd>${s.accentColor === null ? 'the button colour' : html`<code>${s.accentColor}</code>`}</dd>
<dt>Self-registration</dt><dd>${s.selfRegistration}</dd>
<dt>Consent for new clients</dt><dd>${s.consentRequiredByDefault ? 'asked' : 'not asked'}</dd>
<dt>Authorization code lifetime</dt><dd>${seconds(s.codeTtlSeconds)}</dd>
<dt>Access token lifetime</dt><dd>${seconds(s.accessTokenTtlSeconds)}</dd>
<dt>ID token lifetime</dt><dd>${seconds(s.idTokenTtlSeconds)}</dd>
<dt>Refresh token lifetime</dt><dd>${seconds(s.refreshTokenTtlSeconds)}</dd>
<dt>Single sign-on session lifetime</dt><dd>${seconds(s.ssoSessionTtlSeconds)}</dd>
<dt>Connect target origins</dt><dd>${s.connectTargetOrigins.length === 0 ? 'none' : html`<ul>${s.connectTargetOrigins.map((origin) => html`<li><code>${origin}</code></li>`)}</ul>`}</dd>
</dl>`;
}
