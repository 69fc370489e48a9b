import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { DeviceCookies } from '../accounts/device-cookies.ts';
import type { ConnectorServices } from '../connectors/connector-context.ts';
import type { SignInThrottle } from '../accounts/sign-in-throttle.ts';
import { csrfMatches, csrfTokenFor, ensureBrowserCookie, STAFF_COOKIE } from '../http/cookies.ts';
import { html, type RenderedPage } from '../http/html.ts';
import { sendPage } from '../http/pages.ts';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../lib/errors.ts';
import type { RawParams } from '../lib/url-encoded.ts';
import type { OperationContext } from '../staff/actor.ts';
import { ROLE_PERMISSIONS, type Permission } from '../staff/permissions.ts';
import { STAFF_ROLES, type StaffRole } from '../staff/roles.ts';
import { findStaffSession } from '../staff/staff-sessions.ts';
import type { WebhookServices } from '../webhooks/webhook-admin.ts';
import { renderConsolePage, type ConsoleFrame, type ConsolePageOptions } from './layout.ts';

export interface ConsoleDeps {
  readonly publicUrl: string;
  readonly throttle: SignInThrottle;
  /** Issues and recognises the staff device cookies (apart from the constituents'). */
  readonly devices: DeviceCookies;
  /**
   * Called after every change made through the console, with the org: the server drops its
   * cached copies (a suspended client, a changed setting), as after the management API's.
   */
  readonly afterChange?: (orgId: string) => void;
  // Connectors and webhooks pages: the hub's vault (app secrets sealed) and the webhooks' sealer and outbound client.
  readonly connectors: Pick<ConnectorServices, 'vault' | 'allowHttpUrls'>;
  readonly webhooks: WebhookServices;
}

/** The route options of every console page: its errors answer as pages (http/error-handler.ts). */
export const CONSOLE_PAGE = { config: { answers: 'page' as const } };

/** The CSRF purpose of the sign-out form (the console's header, and the staff-session page of the hosted pages). */
export const SIGN_OUT_PURPOSE = 'staff-logout';

/** What a console handler works with: the staff operation's context, the page frame, and the request's helpers. */
export interface ConsoleCall {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** As the use cases take it: the signed-in staff user as actor, with their role's permissions. */
  readonly op: OperationContext;
  readonly frame: ConsoleFrame;
  /** The route's path parameters (`:clientId`), as strings. */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** The CSRF token of a form of `purpose` in this browser. */
  csrf(purpose: string): string;
  /** True when the form carries the token of `purpose` (constant-time). */
  csrfMatches(form: RawParams, purpose: string): boolean;
  /** Sends a page in the console's layout. */
  render(options: ConsolePageOptions, status?: number): FastifyReply;
  /** 303 to a console page (Post/Redirect/Get), `path` relative to the console. */
  redirect(path: string): FastifyReply;
  /** Tells the process its cached copies of the org are stale (after a change). */
  changed(): void;
}

/** The permissions of a role as stored; an unknown role (never written by us) gets none. */
function permissionsOf(role: string): ReadonlySet<Permission> {
  return new Set((STAFF_ROLES as readonly string[]).includes(role) ? ROLE_PERMISSIONS[role as StaffRole] : []);
}

/**
 * A console page's handler: the staff session (else a 303 to the sign-in, coming back here),
 * the operation context built from it (actor `staff`, the role's permissions: the same policy as
 * the management API's keys), and the one mapping of typed errors to console pages:
 * ForbiddenError a 403, NotFoundError a 404, InvalidInputError outside a form (a bad cursor) a 400.
 * Everything else goes on to the scope's page error handler (a 500 page with the cause logged).
 */
export function consoleHandler(deps: ConsoleDeps, handle: (call: ConsoleCall) => Promise<FastifyReply>): RouteHandlerMethod {
  return async function (request, reply) {
    const ctx = request.org;
    const consoleUrl = `${ctx.issuer}/console`;
    const session = await findStaffSession(ctx.db, ctx.clock, ctx.org.id, request.cookies[STAFF_COOKIE]);
    if (session === undefined) {
      const back = request.method === 'GET' ? returnPathOf(request.url, ctx.issuer) : null;
      return reply.code(303).header('location', `${consoleUrl}/login${back === null ? '' : `?${new URLSearchParams({ return_to: back }).toString()}`}`).send();
    }
    const binding = ensureBrowserCookie(request, reply, deps.publicUrl, ctx.org.slug);
    const permissions = permissionsOf(session.role);
    const op: OperationContext = {
      db: ctx.db,
      clock: ctx.clock,
      org: ctx.org,
      actor: { type: 'staff', id: session.staffUserId, staffUserId: session.staffUserId, ip: request.ip, permissions },
    };
    const frame: ConsoleFrame = { orgName: ctx.org.name, email: session.email, role: session.role, permissions, consoleUrl, signOutToken: csrfTokenFor(binding, SIGN_OUT_PURPOSE) };
    const call: ConsoleCall = {
      request,
      reply,
      op,
      frame,
      // Fastify gives every `:name` of the path as a string.
      params: request.params as Readonly<Record<string, string | undefined>>,
      csrf: (purpose) => csrfTokenFor(binding, consolePurpose(purpose)),
      csrfMatches: (form, purpose) => csrfMatches(form, csrfTokenFor(binding, consolePurpose(purpose))),
      render: (options, status = 200) => sendPage(reply.code(status), renderConsolePage(frame, options)),
      redirect: (path) => reply.code(303).header('location', `${consoleUrl}/${path}`).send(),
      changed: () => deps.afterChange?.(ctx.org.id),
    };
    try {
      // No record's id holds a NUL, and PostgreSQL text cannot hold one (a query with it fails):
      // such an address names nothing, refused once here for every page.
      if (Object.values(call.params).some((value) => value?.includes('\u0000'))) throw new NotFoundError('record', 'a path with NUL');
      return await handle(call);
    } catch (error) {
      const page = errorPage(frame, error);
      if (page === undefined) throw error;
      return sendPage(reply.code(page.status), page.page);
    }
  };
}

/** Console forms' purposes are apart from the hosted pages' (a token of one is never another's). */
function consolePurpose(purpose: string): string {
  return `console:${purpose}`;
}

function errorPage(frame: ConsoleFrame, error: unknown): { status: number; page: RenderedPage } | undefined {
  if (error instanceof ForbiddenError) {
    const body = html`<p>Your role (${frame.role.replace('_', ' ')}) does not allow this: it needs the <code>${error.permission}</code> permission. An owner of the organization can change your role.</p>`;
    return { status: 403, page: renderConsolePage(frame, { title: 'Not allowed', section: null, body }) };
  }
  if (error instanceof NotFoundError) {
    // The kind of record, never the id asked for (the request's text is not ours to say back).
    const body = html`<p>There is no such ${error.what} in this organization. It may have been deleted, or the address is mistyped.</p><p><a href="${frame.consoleUrl}/">Back to the overview</a></p>`;
    return { status: 404, page: renderConsolePage(frame, { title: 'Not found', section: null, body }) };
  }
  if (error instanceof InvalidInputError) {
    const body = html`<p>The address asked for something this page cannot show (${error.field.replace(/_/g, ' ')}: ${error.rule}).</p><p><a href="${frame.consoleUrl}/">Back to the overview</a></p>`;
    return { status: 400, page: renderConsolePage(frame, { title: 'Invalid request', section: null, body }) };
  }
  return undefined;
}

/** The form of a console page whose CSRF token did not match: a page saying to reload, nothing done. */
export function expiredForm(call: ConsoleCall, back: string): FastifyReply {
  const body = html`<p>This form has expired or was sent from another browser, so nothing was changed. Open the page again and repeat your change.</p><p><a href="${call.frame.consoleUrl}/${back}">Open the page again</a></p>`;
  return call.render({ title: 'This form has expired', section: null, body }, 403);
}

// A path under the console, by segments of these characters only: never `..`, `//`, a scheme or a host.
const RETURN_PATH = /^(?:[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*)?$/;

/**
 * Where to come back to after signing in: a path under this org's console, relative to it, or
 * null. Only such a path is ever taken (from the request URL or the sign-in form), so the sign-in
 * can never send anyone elsewhere (no open redirect).
 */
export function safeReturnPath(raw: string | undefined | null): string | null {
  if (raw === undefined || raw === null || raw === '' || raw.length > 200 || !RETURN_PATH.test(raw)) return null;
  return raw;
}

function returnPathOf(url: string, issuer: string): string | null {
  const prefix = `${new URL(issuer).pathname}/console/`;
  const path = url.split('?')[0] ?? '';
  return path.startsWith(prefix) ? safeReturnPath(path.slice(prefix.length)) : null;
}
