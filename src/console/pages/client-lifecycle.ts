import type { Client } from '../../clients/client.ts';
import { html, type SafeHtml } from '../../http/html.ts';
import { field, formState, problemSummary, type FormProblems } from '../forms.ts';

/** A change of a client's life, each confirmed on a page of its own before it is made. */
export type LifecycleStep = 'suspend' | 'reactivate' | 'delete';

const WORDS: Readonly<Record<LifecycleStep, { readonly title: string; readonly button: string; readonly effect: string }>> = {
  suspend: {
    title: 'Suspend',
    button: 'Suspend the client',
    effect: 'Every token and code it holds is revoked at once, and it gets no sign-in, token or refresh until it is reactivated.',
  },
  reactivate: {
    title: 'Reactivate',
    button: 'Reactivate the client',
    effect: 'It can sign people in and get tokens again. What was revoked when it was suspended stays revoked: people sign in again.',
  },
  delete: {
    title: 'Delete',
    button: 'Delete the client for good',
    effect: 'The client and everything issued to it (codes, access and refresh tokens, remembered consent) are deleted at once. This cannot be undone: the application would need a new client, with a new ID and secret.',
  },
};

/** The steps a client's status allows (deleting always does); a pending one is decided on its registration page. */
export function stepsFor(client: Client): LifecycleStep[] {
  return [...(client.status === 'active' ? ['suspend' as const] : []), ...(client.status === 'suspended' ? ['reactivate' as const] : []), 'delete'];
}

/** The client page's status panel: its steps as links to their confirmation, for a role that may take them. */
export function renderLifecycleActions(model: { readonly consoleUrl: string; readonly client: Client }): SafeHtml {
  const { client } = model;
  const base = `${model.consoleUrl}/clients/${encodeURIComponent(client.clientId)}`;
  return html`<section class="panel" aria-labelledby="lifecycle-heading">
<h2 id="lifecycle-heading">Status</h2>
<p>This client is <span class="badge">${client.status}</span>.${client.status === 'pending' ? html` <a href="${model.consoleUrl}/registrations/${encodeURIComponent(client.clientId)}">Review the registration request</a>.` : null}</p>
<div class="actions">${stepsFor(client).map((step) => html`<a class="button secondary" href="${base}/${step}">${WORDS[step].title}…</a>`)}</div>
</section>`;
}

export interface LifecycleConfirmModel {
  readonly consoleUrl: string;
  readonly client: Client;
  readonly step: LifecycleStep;
  readonly csrfToken: string;
  /** The reason typed (suspend and reactivate may carry one, kept in the audit log). */
  readonly reason: string;
  readonly problems: FormProblems | null;
}

/** The confirmation of a step: what it does, in words, and one button; Cancel goes back to the client. */
export function renderLifecycleConfirm(model: LifecycleConfirmModel): SafeHtml {
  const { client, step } = model;
  const base = `${model.consoleUrl}/clients/${encodeURIComponent(client.clientId)}`;
  const words = WORDS[step];
  return html`${problemSummary(model.problems, { reason: 'Reason' })}
<section class="panel" aria-labelledby="confirm-heading">
<h2 id="confirm-heading">${words.title} <q>${client.name}</q>?</h2>
<p>${words.effect}</p>
<dl class="facts"><dt>Client ID</dt><dd><code>${client.clientId}</code></dd><dt>Status now</dt><dd><span class="badge">${client.status}</span></dd></dl>
<form method="post" action="${base}/${step}" novalidate>
${formState(model.csrfToken)}
${step === 'delete' ? null : field({ name: 'reason', label: 'Reason (optional)', type: 'textarea', value: model.reason, error: model.problems?.fields.reason, hint: 'Kept in the audit log and sent with the webhook event (at most 500 characters).', attributes: 'maxlength="500"' })}
<div class="actions"><button type="submit"${step === 'reactivate' ? null : html` class="danger"`}>${words.button}</button><a class="button secondary" href="${base}">Cancel</a></div>
</form>
</section>`;
}
