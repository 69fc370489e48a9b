import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiter, ThrottleKey, ThrottleLimits } from '../lib/rate-limiter.ts';
import { inTransaction } from '../db/transaction.ts';
import { csrfMatches, csrfTokenFor, ensureBrowserCookie } from '../http/cookies.ts';
import { readForm } from '../http/forms.ts';
import { sendPage } from '../http/pages.ts';
import { brandingOf } from '../interactions/interactions.routes.ts';
import {
  CLIENT_REGISTRATION_LABELS,
  renderClientRegistrationPage,
  renderClientRegistrationReceivedPage,
  type ClientRegistrationField,
  type ClientRegistrationFieldErrors,
  type ClientRegistrationValues,
} from '../interactions/pages/client-registration.ts';
import { renderErrorPage } from '../http/error-page.ts';
import { InvalidInputError, InvalidInputsError } from '../lib/errors.ts';
import type { OrgContext } from '../oauth/context.ts';
import { errorBody, InvalidRequest, InvalidToken, OAuthError } from '../oauth/errors.ts';
import { param, type RawParams } from '../oauth/params.ts';
import { recordAudit } from '../audit/audit.ts';
import {
  asRegistrationError,
  clientInformationResponse,
  DYNAMIC_REGISTRATION_PATH,
  initialAccessTokenMatches,
  InvalidClientMetadata,
  isRegistrationOpen,
  parseClientMetadata,
  REGISTRATION_PAGE_PATH,
  registrationRequestFromForm,
  requestClientRegistration,
  type RegisteredClient,
  type RegistrationRequestInput,
} from './registration.ts';

/**
 * Registration requests per client IP (page and dynamic registration together): enough for a
 * developer's retries, too few to flood the approval queue. Counted in this process's memory.
 */
export const REGISTRATION_THROTTLE_LIMITS: ThrottleLimits = Object.freeze({ failuresPerIdentifier: 10, failuresPerIp: 10, windowMs: 60 * 60 * 1000 });

/**
 * Refused registration requests per client IP, counted apart from those that land. Each costs
 * the server a judgement (cheap since a list is refused by its count, never a free one) and, if
 * refusals were not counted at all, anyone could send them without end. Counted apart rather than
 * at some weight against the accepted ones: a developer fixing typos must not use up the requests
 * that land, and 60 an hour is more refusals than anyone fixing a form meets.
 */
export const REFUSED_REGISTRATION_THROTTLE_LIMITS: ThrottleLimits = Object.freeze({ failuresPerIdentifier: 60, failuresPerIp: 60, windowMs: 60 * 60 * 1000 });

export interface ClientRegistrationDeps {
  readonly publicUrl: string;
  /** Counts registration requests that land (made with REGISTRATION_THROTTLE_LIMITS); its own, not the sign-in one. */
  readonly throttle: RateLimiter;
  /** Counts refused registration requests (made with REFUSED_REGISTRATION_THROTTLE_LIMITS). */
  readonly refusedThrottle: RateLimiter;
}

/** A registration request counted under both limits until it is known to have landed or been refused. */
interface RegistrationAttempt {
  landed(): void;
  refused(): void;
}

/**
 * Counts a request against both limits at once, each as if it would end its way (landed and
 * refused); the outcome takes back the other count. Undefined, nothing counted, when either
 * limit is reached: no await separates the checks from the counts, so a burst gets no more.
 */
function beginRegistration(deps: ClientRegistrationDeps, key: ThrottleKey): RegistrationAttempt | undefined {
  const asRefused = deps.refusedThrottle.begin(key);
  if (asRefused === undefined) return undefined;
  const asLanded = deps.throttle.begin(key);
  if (asLanded === undefined) {
    asRefused.release();
    return undefined;
  }
  return { landed: () => asRefused.release(), refused: () => asLanded.release() };
}

const PAGE = { config: { answers: 'page' as const } };
const JSON_ROUTE = { config: { answers: 'json' as const } };
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
 * Registration requests of one organization (under `/o/:slug`), open only while its
 * `client_registration` setting is `approval`: the registration page (GET and POST
 * `/register`, CSRF-protected, for people) and RFC 7591 dynamic registration (POST
 * `/connect/register`, JSON, optionally behind an initial access token). Either way the client
 * is created `pending` and the request is recorded in the audit log for staff to decide.
 */
export function registerClientRegistrationRoutes(scope: FastifyInstance, deps: ClientRegistrationDeps): void {
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    if (request.routeOptions.config.answers === 'page') {
      if ((error.statusCode ?? 500) < 500 || error instanceof OAuthError) {
        // request.org is not set yet when the body could not be parsed (the org hook runs after).
        const branding = request.org === null || request.org === undefined ? null : brandingOf(request.org);
        return sendPage(reply.code(400), renderErrorPage({ branding, title: 'Invalid request', message: 'The request could not be read.', requestId: request.id }));
      }
      request.log.error({ err: error }, 'unexpected error on the registration page');
      return sendPage(reply.code(500), renderErrorPage({ title: 'Something went wrong', message: 'The server met an unexpected condition. Try again later.', requestId: request.id }));
    }
    if (error instanceof OAuthError) {
      if (error.detail !== undefined) request.log.info({ error: error.error, detail: error.detail }, 'registration refused');
      return sendJsonError(reply, error);
    }
    const status = error.statusCode ?? 500;
    if (status === 413) return sendJsonError(reply.code(413), new InvalidClientMetadata('The request body is too large.'));
    if (status < 500) return sendJsonError(reply, new InvalidClientMetadata('Send the client metadata as a JSON object (application/json, RFC 7591 section 3.1).'));
    request.log.error({ err: error }, 'unexpected error at the registration endpoint');
    return reply.code(500).header('cache-control', 'no-store').send({ error: 'server_error', error_description: 'The server met an unexpected condition.' });
  });

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
    const attempt = beginRegistration(deps, throttleKeyOf(request));
    if (attempt === undefined) {
      return sendPage(reply.code(429).header('retry-after', '3600'), formPage(ctx, binding, { values, error: 'Too many registration requests from your network. Try again later.' }));
    }
    let registered: RegisteredClient;
    try {
      registered = await register(request, registrationRequestFromForm(values));
    } catch (error) {
      attempt.refused();
      if (!(error instanceof InvalidInputError)) throw error;
      return sendPage(reply.code(400), formPage(ctx, binding, { values, ...formErrors(error) }));
    }
    attempt.landed();
    return sendPage(
      reply,
      renderClientRegistrationReceivedPage({ branding: brandingOf(ctx), appName: registered.client.name, clientId: registered.client.clientId, clientSecret: registered.clientSecret }),
    );
  });

  scope.post(DYNAMIC_REGISTRATION_PATH, JSON_ROUTE, async (request, reply) => {
    const ctx = request.org;
    if (!isRegistrationOpen(ctx.org)) {
      return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', error_description: 'This organization does not accept client registrations.' });
    }
    // RFC 7591 §3: an invalid or missing initial access token is answered as RFC 6750 says.
    if (!initialAccessTokenMatches(ctx.org, request.headers.authorization)) {
      const error = new InvalidToken('A valid initial access token is required to register a client.');
      return sendJsonError(reply.header('www-authenticate', `Bearer realm="${ctx.issuer}", error="invalid_token"`), error);
    }
    const attempt = beginRegistration(deps, throttleKeyOf(request));
    if (attempt === undefined) {
      return sendJsonError(reply.code(429).header('retry-after', '3600'), new InvalidRequest('Too many registration requests from this address; try again later.'));
    }
    let parsed: ReturnType<typeof parseClientMetadata>;
    let registered: RegisteredClient;
    try {
      parsed = parseClientMetadata(request.body);
      registered = await register(request, parsed.request);
    } catch (error) {
      attempt.refused();
      if (error instanceof InvalidInputError) throw asRegistrationError(error);
      throw error;
    }
    attempt.landed();
    // RFC 7591 §3.2.1: 201 Created, never cached.
    return reply.code(201).header('cache-control', 'no-store').header('pragma', 'no-cache').send(clientInformationResponse(registered, parsed.tokenEndpointAuthMethod));
  });
}

/** Creates the pending client and its audit event (the request staff will see) in one transaction. */
async function register(request: FastifyRequest, input: RegistrationRequestInput): Promise<RegisteredClient> {
  const ctx = request.org;
  return inTransaction(ctx.db, async (trx) => {
    const registered = await requestClientRegistration(trx, ctx.clock, ctx.org, input);
    const client = registered.client;
    await recordAudit(trx, ctx.clock, ctx.org.id, {
      action: 'client.registration_requested',
      actor: { type: 'anonymous', id: null },
      target: { type: 'client', id: client.clientId },
      ip: request.ip,
      details: { name: client.name, registration_source: client.registrationSource, requester_email: client.requesterEmail },
    });
    request.log.info({ event: 'client_registration_requested', org: ctx.org.slug, client: client.clientId }, 'client registration requested');
    return registered;
  });
}

function throttleKeyOf(request: FastifyRequest): ThrottleKey {
  // Counted per client network only (an IPv6 client by its /64: see lib/rate-limiter.ts).
  return { orgId: request.org.org.id, ip: request.ip };
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

function sendJsonError(reply: FastifyReply, error: OAuthError): FastifyReply {
  if (reply.statusCode < 400) reply.code(error.status);
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(errorBody(error));
}
