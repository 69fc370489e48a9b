import type { FastifyInstance, FastifyReply } from 'fastify';
import { changeClientStatus, deleteClient, getClient } from '../clients/client-admin.ts';
import type { Client } from '../clients/client.ts';
import { readForm } from '../http/forms.ts';
import { ForbiddenError } from '../lib/errors.ts';
import { param } from '../oauth/params.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import type { FlashKey } from './flash.ts';
import { attemptForm, type FormProblems } from './forms.ts';
import { renderLifecycleConfirm, type LifecycleStep } from './pages/client-lifecycle.ts';

const DONE: Readonly<Record<LifecycleStep, FlashKey>> = { suspend: 'client_suspended', reactivate: 'client_reactivated', delete: 'client_deleted' };

/**
 * A client's lifecycle from its page: suspend, reactivate and delete, each confirmed on a page
 * of its own (GET), then made by its POST through the use case (changeClientStatus,
 * deleteClient), which checks the role, settles a race by a conditional UPDATE and audits.
 */
export function registerClientLifecyclePages(scope: FastifyInstance, deps: ConsoleDeps): void {
  for (const step of ['suspend', 'reactivate', 'delete'] as const satisfies readonly LifecycleStep[]) {
    scope.get(
      `/console/clients/:clientId/${step}`,
      CONSOLE_PAGE,
      consoleHandler(deps, async (call) => {
        const client = await getClient(call.op, call.params.clientId ?? '');
        // Only hides the confirmation from a role that could not confirm: the use case refuses it anyway.
        if (!call.frame.permissions.has('clients:write')) throw new ForbiddenError('clients:write');
        return confirmPage(call, client, step, { reason: '', problems: null });
      }),
    );

    scope.post(
      `/console/clients/:clientId/${step}`,
      CONSOLE_PAGE,
      consoleHandler(deps, async (call) => {
        const form = await readForm(call.request);
        const client = await getClient(call.op, call.params.clientId ?? '');
        if (!call.csrfMatches(form, `client-${step}:${client.clientId}`)) return expiredForm(call, `clients/${encodeURIComponent(client.clientId)}/${step}`);
        const reason = param(form, 'reason') ?? '';
        const outcome = await attemptForm(['reason'], () =>
          step === 'delete' ? deleteClient(call.op, client.clientId) : changeClientStatus(call.op, client.clientId, step, reason.trim() === '' ? {} : { reason }),
        );
        if (!outcome.ok) {
          // Changed meanwhile (suspended by someone else): the confirmation again, with the status now.
          const current = outcome.problems.status === 409 ? await getClient(call.op, client.clientId) : client;
          return confirmPage(call, current, step, { reason, problems: outcome.problems });
        }
        call.changed();
        return call.redirect(step === 'delete' ? `clients?flash=${DONE[step]}` : `clients/${encodeURIComponent(client.clientId)}?flash=${DONE[step]}`);
      }),
    );
  }
}

function confirmPage(call: ConsoleCall, client: Client, step: LifecycleStep, state: { reason: string; problems: FormProblems | null }): FastifyReply {
  const body = renderLifecycleConfirm({ consoleUrl: call.frame.consoleUrl, client, step, csrfToken: call.csrf(`client-${step}:${client.clientId}`), reason: state.reason, problems: state.problems });
  return call.render({ title: `${step[0]!.toUpperCase()}${step.slice(1)} a client`, section: 'clients', body }, state.problems?.status ?? 200);
}
