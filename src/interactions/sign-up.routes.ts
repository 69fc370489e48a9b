import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { preparePassword } from '../accounts/passwords.ts';
import { selfRegistrationIsOpen, signUpConstituent } from '../accounts/self-registration.ts';
import { credentialVersion, type DeviceCookies } from '../accounts/device-cookies.ts';
import type { RateLimiter, ThrottleKey, ThrottleLimits } from '../lib/rate-limiter.ts';
import { inTransaction } from '../db/transaction.ts';
import { cookieValues, csrfMatches, DEVICE_COOKIE } from '../http/cookies.ts';
import { readForm, readQuery } from '../http/forms.ts';
import { brandingOf, sendPage } from '../http/pages.ts';
import { ConflictError, InvalidInputError } from '../lib/errors.ts';
import type { Interaction } from '../oauth/authorize/authorize.ts';
import { param } from '../oauth/params.ts';
import { recordAudit } from '../audit/audit.ts';
import { renderErrorPage } from '../http/error-page.ts';
import { interactionOf, setDeviceCookie, signInAndContinue, SIGN_UP_PATH } from './authorization-flow.ts';
import { expiredPage } from './page-errors.ts';
import { renderSignUpPage, type SignUpPageModel } from './pages/sign-up.ts';

/**
 * Sign-up attempts per client IP, successful or not: enough for a household or an office behind
 * one address, too few to mass-create accounts. Counted in this process's memory.
 */
export const SIGN_UP_THROTTLE_LIMITS: ThrottleLimits = Object.freeze({ failuresPerIdentifier: 20, failuresPerIp: 20, windowMs: 60 * 60 * 1000 });

export interface SignUpDeps {
  readonly publicUrl: string;
  /** Counts sign-up attempts (made with SIGN_UP_THROTTLE_LIMITS); its own, not the sign-in one. */
  readonly throttle: RateLimiter;
  /** The constituents' device cookies: a new account's browser is one it signed in on. */
  readonly devices: DeviceCookies;
}

const PAGE = { config: { answers: 'page' as const } };
const LABELS: Readonly<Record<string, string>> = { username: 'Login name', email: 'Email', password: 'Password' };

/**
 * The hosted sign-up page (`/o/<slug>/signup?interaction=…`), only while the org's
 * self-registration is `open`. Like the sign-in page it belongs to an authorization in progress
 * (the interaction, bound to this browser, with its CSRF token); once the account exists the
 * person is signed in and the authorization continues where it was. Errors are thrown, for the
 * scope's page handler (answerPageError, which app.ts registers on it).
 */
export function registerSignUpRoutes(scope: FastifyInstance, deps: SignUpDeps): void {
  scope.get(SIGN_UP_PATH, PAGE, async (request, reply) => {
    if (!selfRegistrationIsOpen(request.org.org.settings)) return closedPage(request, reply);
    const interaction = await interactionOf(request, readQuery(request));
    if (interaction === undefined) return expiredPage(request, reply);
    return sendPage(reply, signUpPage(request, interaction, {}));
  });

  scope.post(SIGN_UP_PATH, PAGE, async (request, reply) => {
    const ctx = request.org;
    if (!selfRegistrationIsOpen(ctx.org.settings)) return closedPage(request, reply);
    const form = await readForm(request);
    const interaction = await interactionOf(request, form);
    if (interaction === undefined || !csrfMatches(form, interaction.csrfToken)) return expiredPage(request, reply);
    const values = { username: param(form, 'username') ?? '', email: param(form, 'email')?.trim() ?? '' };
    // Counted per client network only (an IPv6 client by its /64: see lib/rate-limiter.ts).
    const throttleKey: ThrottleKey = { orgId: ctx.org.id, ip: request.ip };
    // Every attempt counts, a success too (never taken back): creating accounts is what is being limited.
    if (deps.throttle.begin(throttleKey) === undefined) {
      return sendPage(reply.code(429).header('retry-after', '3600'), signUpPage(request, interaction, { values, error: { field: null, message: 'Too many sign-ups from your network. Try again later.' } }));
    }
    let accountId: string;
    let passwordHash: string;
    try {
      const password = await preparePassword(param(form, 'password') ?? '');
      passwordHash = password.passwordHash;
      accountId = await inTransaction(ctx.db, async (trx) => {
        const created = await signUpConstituent(trx, ctx.clock, ctx.org, { username: values.username, email: values.email, password });
        await recordAudit(trx, ctx.clock, ctx.org.id, { action: 'constituent.signed_up', actor: { type: 'constituent', id: created.accountId }, target: { type: 'constituent', id: created.accountId }, ip: request.ip, details: { client_id: interaction.client.clientId } });
        return created.accountId;
      });
    } catch (error) {
      if (error instanceof InvalidInputError || error instanceof ConflictError) {
        return sendPage(reply.code(400), signUpPage(request, interaction, { values, error: pageError(error) }));
      }
      throw error;
    }
    request.log.info({ event: 'sign_up', org: ctx.org.slug, account: accountId }, 'constituent signed up');
    setDeviceCookie(reply, deps.publicUrl, ctx.org.slug, deps.devices.issue(cookieValues(request, DEVICE_COOKIE), { orgId: ctx.org.id, kind: 'constituent', accountId, credential: credentialVersion(passwordHash) }));
    return signInAndContinue(request, reply, interaction, accountId, deps);
  });
}

/** A rule's message in words for the form, naming the field by its label and the rule, not what was typed (the field shows it). */
function pageError(error: InvalidInputError | ConflictError): NonNullable<SignUpPageModel['error']> {
  const field = error.field === 'username' || error.field === 'email' || error.field === 'password' ? error.field : null;
  if (error instanceof ConflictError) return { field, message: `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.` };
  return { field, message: `${LABELS[error.field] ?? error.field} ${error.rule}.` };
}

function signUpPage(request: FastifyRequest, interaction: Interaction, state: Pick<SignUpPageModel, 'values' | 'error'>) {
  const ctx = request.org;
  return renderSignUpPage({
    branding: brandingOf(ctx),
    clientName: interaction.client.name,
    action: `${ctx.issuer}${SIGN_UP_PATH}`,
    signInUrl: `${ctx.issuer}/login?interaction=${interaction.id}`,
    interactionId: interaction.id,
    csrfToken: interaction.csrfToken,
    ...state,
  });
}

function closedPage(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendPage(
    reply.code(404),
    renderErrorPage({ branding: brandingOf(request.org), title: 'Page not found', message: `${request.org.org.name} does not take sign-ups here. Ask the organization for an account.`, requestId: request.id }),
  );
}
