import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isRegistrationOpen, REGISTRATION_PAGE_PATH, registrationRequestFromForm, submitRegistrationRequest, type RegisteredClient } from '../clients/registration.ts';
import { beginRegistration, REGISTRATION_RETRY_AFTER_SECONDS, type RegistrationThrottles } from '../clients/registration-throttle.ts';
import { csrfMatches, csrfTokenFor, ensureBrowserCookie } from '../http/cookies.ts';
import { renderErrorPage } from '../http/error-page.ts';
import { readForm } from '../http/forms.ts';
import { brandingOf, sendPage } from '../http/pages.ts';
import { InvalidInputError, InvalidInputsError } from '../lib/errors.ts';
import type { OrgContext } from '../oauth/context.ts';
import { param, type RawParams } from '../oauth/params.ts';
import {
  CLIENT_REGISTRATION_LABELS,
  renderClientRegistrationPage,
  renderClientRegistrationReceivedPage,
  type ClientRegistrationField,
  type ClientRegistrationFieldErrors,
  type ClientRegistrationValues,
} from './pages/client-registration.ts';

export interface RegistrationPageDeps extends RegistrationThrottles {
  readonly publicUrl: string;
}

const PAGE = { config: { answers: 'page' as const } };
const CSRF_PURPOSE = 'client-registration';

/** The form field of each field a registration request's rules name (`name` is the form's app_name). */
const FORM_FIELDS: ReadonlyMap<string, ClientRegistrationField> = new Map([
  ['name', 'app_name'],
  ['redirect_uris', 'redirect_uris'],
  ['client_type', 'client_type'],
  ['requester_name', 'requester_name'],
  ['requester_email', 'requester_email'],
  ['request_reason', 'request_reason'],
]);

/**
 * Each refused field's rules, beside the form field they are about (a field broken several ways,
 * such as two bad redirect URIs, gets each rule once). The rules, not the domain's messages: those
 * quote what was typed, which the field itself shows again. A rule about a field the form does
 * not have (none today: the page asks for no scope nor grant types) goes on the page's alert.
 */
function formErrors(error: InvalidInputError): { fieldErrors: ClientRegistrationFieldErrors; error: string | null } {
  const sentences = new Map<ClientRegistrationField | null, string[]>();
  for (const e of error instanceof InvalidInputsError ? error.errors : [error]) {
    const field = FORM_FIELDS.get(e.field) ?? null;
    // "Your email must be …", "Application name is required.", "A URI has a #fragment …".
    const text =
      field === null ? `${e.field}: ${e.rule}.` : /^(?:is|must) /.test(e.rule) ? `${CLIENT_REGISTRATION_LABELS[field]} ${e.rule}.` : `${e.rule.charAt(0).toUpperCase()}${e.rule.slice(1)}.`;
    const list = sentences.get(field) ?? [];
    if (!list.includes(text)) list.push(text);
    sentences.set(field, list);
  }
  const fieldErrors: Partial<Record<ClientRegistrationField, string>> = {};
  for (const [field, texts] of sentences) if (field !== null) fieldErrors[field] = texts.join(' ');
  return { fieldErrors, error: sentences.get(null)?.join(' ') ?? null };
}

/**
 * The registration page of one organization (GET and POST `/o/:slug/register`, CSRF-protected),
 * open only while its `client_registration` setting is `approval`: people outside the
 * organization ask for a client, created `pending` and recorded in the audit log for staff to
 * decide (RFC 7591's endpoint, oauth/registration/, takes the same requests from programs). The
 * request's refusals go beside the fields they are about. Errors are thrown, for the scope's page
 * handler (answerPageError, which app.ts registers on it).
 */
export function registerRegistrationPageRoutes(scope: FastifyInstance, deps: RegistrationPageDeps): void {
  scope.get(REGISTRATION_PAGE_PATH, PAGE, async (request, reply) => {
    const ctx = request.org;
    if (!isRegistrationOpen(ctx.org)) return closedPage(request, reply);
    const binding = ensureBrowserCookie(request, reply, deps.publicUrl, ctx.org.slug);
    return sendPage(reply, formPage(ctx, binding, { values: null, error: null }));
  });

  scope.post(REGISTRATION_PAGE_PATH, PAGE, async (request, reply) => {
    const ctx = request.org;
    if (!isRegistrationOpen(ctx.org)) return closedPage(request, reply);
    const form = await readForm(request);
    const binding = ensureBrowserCookie(request, reply, deps.publicUrl, ctx.org.slug);
    const values = valuesOf(form);
    if (!csrfMatches(form, csrfTokenFor(binding, CSRF_PURPOSE))) {
      return sendPage(reply.code(400), formPage(ctx, binding, { values, error: 'This page has expired. Check the fields and send the request again.' }));
    }
    // Counted per client network only (an IPv6 client by its /64: see lib/rate-limiter.ts).
    const attempt = beginRegistration(deps, { orgId: ctx.org.id, ip: request.ip });
    if (attempt === undefined) {
      return sendPage(
        reply.code(429).header('retry-after', String(REGISTRATION_RETRY_AFTER_SECONDS)),
        formPage(ctx, binding, { values, error: 'Too many registration requests from your network. Try again later.' }),
      );
    }
    let registered: RegisteredClient;
    try {
      registered = await submitRegistrationRequest(ctx.db, ctx.clock, ctx.org, registrationRequestFromForm(values), { ip: request.ip });
    } catch (error) {
      attempt.refused();
      if (!(error instanceof InvalidInputError)) throw error;
      return sendPage(reply.code(400), formPage(ctx, binding, { values, ...formErrors(error) }));
    }
    attempt.landed();
    request.log.info({ event: 'client_registration_requested', org: ctx.org.slug, client: registered.client.clientId }, 'client registration requested');
    return sendPage(
      reply,
      renderClientRegistrationReceivedPage({ branding: brandingOf(ctx), appName: registered.client.name, clientId: registered.client.clientId, clientSecret: registered.clientSecret }),
    );
  });
}

function valuesOf(form: RawParams): ClientRegistrationValues {
  const field = (name: string): string => {
    try {
      return param(form, name) ?? '';
    } catch {
      return '';
    }
  };
  return {
    appName: field('app_name'),
    redirectUris: field('redirect_uris'),
    clientType: field('client_type') === 'public' ? 'public' : 'confidential',
    requesterName: field('requester_name'),
    requesterEmail: field('requester_email'),
    requestReason: field('request_reason'),
  };
}

function formPage(ctx: OrgContext, binding: string, state: { values: ClientRegistrationValues | null; error: string | null; fieldErrors?: ClientRegistrationFieldErrors }) {
  return renderClientRegistrationPage({
    branding: brandingOf(ctx),
    action: `${ctx.issuer}${REGISTRATION_PAGE_PATH}`,
    csrfToken: csrfTokenFor(binding, CSRF_PURPOSE),
    values: state.values,
    error: state.error,
    fieldErrors: state.fieldErrors ?? null,
  });
}

function closedPage(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendPage(
    reply.code(404),
    renderErrorPage({ branding: brandingOf(request.org), title: 'Page not found', message: `${request.org.org.name} does not take application registrations here.`, requestId: request.id }),
  );
}
