import type { FastifyInstance, FastifyReply } from 'fastify';
import { readForm, readQuery } from '../http/forms.ts';
import type { RenderedPage } from '../http/html.ts';
import { sendPage } from '../http/pages.ts';
import { renderSignInPage } from '../interactions/pages/sign-in.ts';
import { InvalidInputError, InvalidInputsError } from '../lib/errors.ts';
import type { RawParams } from '../lib/url-encoded.ts';
import { param } from '../oauth/params.ts';
import { changeOrganization, getOrganization, readOrganization } from '../orgs/org-admin.ts';
import type { Organization } from '../orgs/organization.ts';
import type { OrganizationChange } from '../orgs/orgs.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import { flashKeyOf } from './flash.ts';
import { attemptForm, lines, MISSING_VERSION, type FormProblems } from './forms.ts';
import { renderSettingsPage, settingsValuesOf, SETTINGS_FIELDS, type LifetimeField, type SettingsFormValues } from './pages/settings.ts';

/** The CSRF purpose of the settings form (its Preview button posts the same form, with the same token). */
const SETTINGS_PURPOSE = 'settings-update';

/**
 * Settings and branding: the organization's name, logo, colours, self-registration, token
 * lifetimes and connect target origins, as `PATCH /api/v2/org` changes them (orgs/org-admin.ts
 * `changeOrganization`, with the version the form was read at), beside a preview of the hosted
 * sign-in page as it would look.
 */
export function registerSettingsPages(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get(
    '/console/settings',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const org = getOrganization(call.op);
      return settingsPage(call, org, { values: settingsValuesOf(org), problems: null, flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.post(
    '/console/settings',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const current = getOrganization(call.op);
      if (!call.csrfMatches(form, SETTINGS_PURPOSE)) return expiredForm(call, 'settings');
      const values = valuesFrom(form);
      const version = param(form, 'version');
      if (version === undefined || !/^\d{1,16}$/.test(version)) return settingsPage(call, current, { values: settingsValuesOf(current), problems: MISSING_VERSION });
      const outcome = await attemptForm(SETTINGS_FIELDS, () => withLineNumbers(() => changeOrganization(call.op, changeOf(values), { expectedVersion: Number(version) })));
      if (outcome.ok) {
        call.changed();
        return call.redirect('settings?flash=settings_saved');
      }
      if (outcome.problems.stale) {
        // The form again with the values now stored and their version: what the person would overwrite.
        const fresh = await readOrganization(call.op);
        return settingsPage(call, fresh, { values: settingsValuesOf(fresh), problems: outcome.problems });
      }
      return settingsPage(call, current, { values, problems: outcome.problems, version: Number(version) });
    }),
  );

  // The preview of the stored look (the frame's first page), and of the form's values (its Preview
  // button, or the script as the person types). Nothing is saved; it needs only what reads the settings.
  scope.get(
    '/console/settings/preview',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const org = getOrganization(call.op);
      return sendPage(call.reply, previewPage(settingsValuesOf(org), org.name));
    }),
  );
  scope.post(
    '/console/settings/preview',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const org = getOrganization(call.op);
      // The form's own token: a page of another site cannot make the console show its text.
      if (!call.csrfMatches(form, SETTINGS_PURPOSE)) return sendPage(call.reply.code(403), previewPage(settingsValuesOf(org), org.name));
      return sendPage(call.reply, previewPage(valuesFrom(form), org.name));
    }),
  );
}

/** The form's values as typed: strings kept as they are (the use case judges them), the checkbox as its presence. */
function valuesFrom(form: RawParams): SettingsFormValues {
  const text = (name: string): string => param(form, name) ?? '';
  const lifetime = (name: LifetimeField): string => text(name);
  return {
    name: text('name'),
    logoUrl: text('logo_url'),
    primaryColor: text('primary_color'),
    accentColor: text('accent_color'),
    selfRegistration: text('self_registration') === 'open' ? 'open' : 'closed',
    consentRequiredByDefault: param(form, 'consent_required_by_default') !== undefined,
    lifetimes: {
      code_ttl_seconds: lifetime('code_ttl_seconds'),
      access_token_ttl_seconds: lifetime('access_token_ttl_seconds'),
      id_token_ttl_seconds: lifetime('id_token_ttl_seconds'),
      refresh_token_ttl_seconds: lifetime('refresh_token_ttl_seconds'),
      sso_session_ttl_seconds: lifetime('sso_session_ttl_seconds'),
    },
    connectTargetOrigins: text('connect_target_origins'),
  };
}

/** The whole form as one change (every field set: the form shows them all); an empty text clears a branding value. */
function changeOf(values: SettingsFormValues): OrganizationChange {
  const optional = (value: string): string | null => (value.trim() === '' ? null : value.trim());
  // Number('') is 0 and Number('x') NaN: the use case refuses both with the field's bounds.
  const seconds = (value: string): number => (value.trim() === '' ? Number.NaN : Number(value));
  return {
    name: values.name,
    logoUrl: optional(values.logoUrl),
    primaryColor: optional(values.primaryColor),
    accentColor: optional(values.accentColor),
    selfRegistration: values.selfRegistration,
    consentRequiredByDefault: values.consentRequiredByDefault,
    codeTtlSeconds: seconds(values.lifetimes.code_ttl_seconds),
    accessTokenTtlSeconds: seconds(values.lifetimes.access_token_ttl_seconds),
    idTokenTtlSeconds: seconds(values.lifetimes.id_token_ttl_seconds),
    refreshTokenTtlSeconds: seconds(values.lifetimes.refresh_token_ttl_seconds),
    ssoSessionTtlSeconds: seconds(values.lifetimes.sso_session_ttl_seconds),
    connectTargetOrigins: lines(values.connectTargetOrigins),
  };
}

/**
 * The use case names a bad origin by its index (`connect_target_origins[2]`, as the API's JSON
 * array); the form has one textarea of lines, so the error goes beside it, naming the line.
 */
async function withLineNumbers<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const indexed = /^connect_target_origins\[(\d+)\]$/;
    const errors = (error instanceof InvalidInputsError ? error.errors : [error]).map((e) => {
      const match = indexed.exec(e.field);
      return match === null ? e : new InvalidInputError('connect_target_origins', `line ${Number(match[1]) + 1} ${e.rule}`, { rule: `line ${Number(match[1]) + 1} ${e.rule}` });
    });
    throw errors.length === 1 ? errors[0]! : new InvalidInputsError(errors);
  }
}

function settingsPage(call: ConsoleCall, org: Organization, state: { values: SettingsFormValues; problems: FormProblems | null; version?: number; flash?: ReturnType<typeof flashKeyOf> }): FastifyReply {
  const canWrite = call.frame.permissions.has('org:write');
  const body = renderSettingsPage({
    consoleUrl: call.frame.consoleUrl,
    org,
    previewUrl: `${call.frame.consoleUrl}/settings/preview`,
    edit: canWrite ? { csrfToken: call.csrf(SETTINGS_PURPOSE), version: state.version ?? org.updatedAt, values: state.values, problems: state.problems } : null,
  });
  return call.render({ title: 'Settings and branding', section: 'settings', body, flash: state.flash ?? null, extraFrames: [`${call.frame.consoleUrl}/settings/preview`] }, state.problems?.status ?? 200);
}

/**
 * The hosted sign-in page (interactions/pages/sign-in.ts, as constituents get it) with these
 * values' branding: the page kit keeps only a valid colour or logo, as it does for the stored
 * ones. Its CSP is the hosted page's, but it may be framed by the console (this origin) and its
 * form can post nowhere (`form-action 'none'`; the frame is sandboxed as well).
 */
function previewPage(values: SettingsFormValues, fallbackName: string): RenderedPage {
  const name = values.name.trim().slice(0, 200);
  const page = renderSignInPage({
    branding: { orgName: name === '' ? fallbackName : name, logoUrl: values.logoUrl.trim(), primaryColor: values.primaryColor.trim(), accentColor: values.accentColor.trim() },
    clientName: 'Your application',
    action: '#',
    interactionId: 'preview',
    csrfToken: 'preview',
    signUpUrl: values.selfRegistration === 'open' ? '#' : null,
  });
  const framing = "frame-ancestors 'none'";
  if (!page.csp.includes(framing)) throw new Error('the hosted page CSP no longer says frame-ancestors: review the preview');
  return { html: page.html, csp: `${page.csp.replace(framing, "frame-ancestors 'self'")}; form-action 'none'` };
}
