import type { FastifyInstance, FastifyReply } from 'fastify';
import { changeClientStatus, changeRegistrationPolicy, getClient, getRegistrationPolicy, listClients, type ClientAction } from '../clients/client-admin.ts';
import type { Client } from '../clients/client.ts';
import { DYNAMIC_REGISTRATION_PATH, REGISTRATION_PAGE_PATH } from '../clients/registration.ts';
import { readForm, readQuery } from '../http/forms.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { param } from '../oauth/params.ts';
import { CLIENT_REGISTRATION_MODES, type ClientRegistrationMode } from '../orgs/settings.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import { flashKeyOf, type FlashKey } from './flash.ts';
import { attemptForm, MISSING_VERSION, type FormProblems } from './forms.ts';
import { POLICY_FIELD_LABELS, renderInitialAccessTokenPage, renderRegistration, renderRegistrations, type PolicyFormValues } from './pages/registrations.ts';

/** Requests per page of the queue: one statement whatever is waiting. */
export const REGISTRATIONS_PER_PAGE = 50;

const TOKEN_CHOICES = ['keep', 'none', 'new'] as const;

/**
 * Registrations (Neos's manual approval): the queue of pending clients, one request with who
 * asked, its approval or rejection (with a reason), and the registration policy. Every action is
 * a use case of clients/client-admin.ts, which checks the role, settles races and audits.
 */
export function registerRegistrationPages(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get(
    '/console/registrations',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const flash = flashKeyOf(param(readQuery(call.request), 'flash'));
      const policy = getRegistrationPolicy(call.op);
      return registrationsPage(call, { values: { mode: policy.mode, initialAccessToken: 'keep' }, problems: null, flash });
    }),
  );

  scope.post(
    '/console/registrations/policy',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      if (!call.csrfMatches(form, 'registration-policy')) return expiredForm(call, 'registrations');
      const rawMode = param(form, 'mode') ?? '';
      const rawToken = param(form, 'initial_access_token') ?? 'keep';
      const values: PolicyFormValues = {
        mode: (CLIENT_REGISTRATION_MODES as readonly string[]).includes(rawMode) ? (rawMode as ClientRegistrationMode) : getRegistrationPolicy(call.op).mode,
        initialAccessToken: (TOKEN_CHOICES as readonly string[]).includes(rawToken) ? (rawToken as PolicyFormValues['initialAccessToken']) : 'keep',
      };
      const version = param(form, 'version');
      if (version === undefined || !/^\d{1,16}$/.test(version)) return registrationsPage(call, { values, problems: MISSING_VERSION });
      const outcome = await attemptForm(Object.keys(POLICY_FIELD_LABELS), async () => {
        // The form's choices are radios: anything else is a forged or broken form, refused beside its field.
        if (!(CLIENT_REGISTRATION_MODES as readonly string[]).includes(rawMode)) throw new InvalidInputError('mode', 'choose one of the options');
        if (!(TOKEN_CHOICES as readonly string[]).includes(rawToken)) throw new InvalidInputError('initial_access_token', 'choose one of the options');
        return changeRegistrationPolicy(call.op, { mode: values.mode, initialAccessToken: values.initialAccessToken }, { expectedVersion: Number(version) });
      });
      if (!outcome.ok) {
        // A stale form shows the policy as stored now: what the person would overwrite.
        const shown = outcome.problems.stale ? { mode: getRegistrationPolicy(call.op).mode, initialAccessToken: 'keep' as const } : values;
        return registrationsPage(call, { values: shown, problems: outcome.problems });
      }
      call.changed();
      const token = outcome.value.initialAccessToken;
      if (token === null) return call.redirect('registrations?flash=registration_policy_saved');
      // A new token is shown once, on this answer only (never in a URL, never stored but hashed).
      return call.render({ title: 'New initial access token', section: 'registrations', body: renderInitialAccessTokenPage({ consoleUrl: call.frame.consoleUrl, token }) });
    }),
  );

  scope.get(
    '/console/registrations/:clientId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const client = await getClient(call.op, call.params.clientId ?? '');
      return registrationPage(call, client, { reason: '', problems: null });
    }),
  );

  for (const action of ['approve', 'reject'] as const satisfies readonly ClientAction[]) {
    scope.post(
      `/console/registrations/:clientId/${action}`,
      CONSOLE_PAGE,
      consoleHandler(deps, async (call) => {
        const form = await readForm(call.request);
        // Read first: an unknown client is a 404 page, whatever the form holds.
        const client = await getClient(call.op, call.params.clientId ?? '');
        const back = `registrations/${encodeURIComponent(client.clientId)}`;
        if (!call.csrfMatches(form, `registration-${action}:${client.clientId}`)) return expiredForm(call, back);
        const reason = action === 'reject' ? (param(form, 'reason') ?? '') : '';
        const outcome = await attemptForm(['reason'], () => changeClientStatus(call.op, client.clientId, action, action === 'reject' ? { reason } : {}));
        if (!outcome.ok) {
          // Decided by someone else meanwhile: the request as it is now, with the conflict's message.
          const current = outcome.problems.status === 409 ? await getClient(call.op, client.clientId) : client;
          return registrationPage(call, current, { reason, problems: outcome.problems });
        }
        call.changed();
        const flash: FlashKey = action === 'approve' ? 'registration_approved' : 'registration_rejected';
        return call.redirect(`registrations?flash=${flash}`);
      }),
    );
  }
}

async function registrationsPage(call: ConsoleCall, state: { values: PolicyFormValues; problems: FormProblems | null; flash?: FlashKey | null }): Promise<FastifyReply> {
  const cursor = param(readQuery(call.request), 'cursor');
  const page = await listClients(call.op, { limit: REGISTRATIONS_PER_PAGE, status: 'pending', ...(cursor === undefined ? {} : { cursor }) });
  const issuer = call.request.org.issuer;
  const body = renderRegistrations({
    consoleUrl: call.frame.consoleUrl,
    policy: getRegistrationPolicy(call.op),
    registrationPageUrl: issuer + REGISTRATION_PAGE_PATH,
    registrationEndpointUrl: issuer + DYNAMIC_REGISTRATION_PATH,
    pending: page.clients,
    nextCursor: page.nextCursor,
    policyForm: call.frame.permissions.has('org:write')
      ? { action: `${call.frame.consoleUrl}/registrations/policy`, csrfToken: call.csrf('registration-policy'), version: call.op.org.updatedAt, values: state.values, problems: state.problems }
      : null,
  });
  return call.render({ title: 'Registrations', section: 'registrations', body, flash: state.flash ?? null }, state.problems?.status ?? 200);
}

function registrationPage(call: ConsoleCall, client: Client, state: { reason: string; problems: FormProblems | null }): FastifyReply {
  const base = `${call.frame.consoleUrl}/registrations/${encodeURIComponent(client.clientId)}`;
  const decide =
    call.frame.permissions.has('clients:write') && client.status === 'pending'
      ? { approveAction: `${base}/approve`, approveToken: call.csrf(`registration-approve:${client.clientId}`), rejectAction: `${base}/reject`, rejectToken: call.csrf(`registration-reject:${client.clientId}`), reason: state.reason }
      : null;
  const body = renderRegistration({ consoleUrl: call.frame.consoleUrl, client, decide, problems: state.problems });
  return call.render({ title: `Registration: ${client.name}`, section: 'registrations', body }, state.problems?.status ?? 200);
}
