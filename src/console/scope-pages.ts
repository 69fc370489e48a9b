import type { FastifyInstance, FastifyReply } from 'fastify';
import { readForm, readQuery } from '../http/forms.ts';
import { ForbiddenError } from '../lib/errors.ts';
import type { RawParams } from '../lib/url-encoded.ts';
import { USER_SCOPES } from '../lib/scope.ts';
import { param } from '../oauth/params.ts';
import type { NamedCustomScope } from '../orgs/custom-scopes.ts';
import { defineCustomScope, getCustomScope, listCustomScopes, removeCustomScope } from '../orgs/scope-admin.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import { flashKeyOf, type FlashKey } from './flash.ts';
import { attemptForm, MISSING_VERSION, type FormProblems } from './forms.ts';
import { renderScopeRemoval, renderScopes, renderScopeView, SCOPE_FIELD_LABELS, scopeValuesOf, type ScopeFormValues } from './pages/scopes.ts';

const SCOPE_FIELDS = Object.keys(SCOPE_FIELD_LABELS);

/**
 * Scopes and custom scopes (issue 13's OAuth configuration), under the clients section: the
 * standard scopes, the organization's own (orgs/scope-admin.ts: list, define, remove, the same use
 * cases as PUT and DELETE /api/v2/scopes/{name} and `gatehouse scope`), each edit carrying the
 * organization's version, which holds them.
 */
export function registerScopePages(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get(
    '/console/scopes',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => scopesPage(call, { values: { name: '', description: '', attributes: '' }, problems: null, flash: flashKeyOf(param(readQuery(call.request), 'flash')) })),
  );

  scope.post(
    '/console/scopes',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      if (!call.csrfMatches(form, 'scope-create')) return expiredForm(call, 'scopes');
      const values = valuesFrom(form, param(form, 'name') ?? '');
      // onlyIfNew: adding never redefines a scope someone else made meanwhile.
      const outcome = await attemptForm(SCOPE_FIELDS, () => defineCustomScope(call.op, values.name, scopeOf(values), { onlyIfNew: true }));
      if (!outcome.ok) return scopesPage(call, { values, problems: outcome.problems });
      call.changed();
      return call.redirect('scopes?flash=scope_created');
    }),
  );

  scope.get(
    '/console/scopes/:name',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const found = getCustomScope(call.op, call.params.name ?? '');
      return scopePage(call, found, { values: scopeValuesOf(found), problems: null, flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.post(
    '/console/scopes/:name',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const current = getCustomScope(call.op, call.params.name ?? '');
      if (!call.csrfMatches(form, `scope-update:${current.name}`)) return expiredForm(call, `scopes/${encodeURIComponent(current.name)}`);
      const values = valuesFrom(form, current.name);
      const version = param(form, 'version');
      if (version === undefined || !/^\d{1,16}$/.test(version)) return scopePage(call, current, { values: scopeValuesOf(current), problems: MISSING_VERSION });
      const outcome = await attemptForm(SCOPE_FIELDS, () => defineCustomScope(call.op, current.name, scopeOf(values), { expectedVersion: Number(version) }));
      if (outcome.ok) {
        call.changed();
        return call.redirect(`scopes/${encodeURIComponent(current.name)}?flash=scope_updated`);
      }
      // A stale form shows the scope as stored when this request began, with that version.
      if (outcome.problems.stale) return scopePage(call, current, { values: scopeValuesOf(current), problems: outcome.problems });
      return scopePage(call, current, { values, problems: outcome.problems, version: Number(version) });
    }),
  );

  scope.get(
    '/console/scopes/:name/remove',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const found = getCustomScope(call.op, call.params.name ?? '');
      // Only hides the confirmation from a role that could not confirm: the use case refuses it anyway.
      if (!call.frame.permissions.has('org:write')) throw new ForbiddenError('org:write');
      return removalPage(call, found);
    }),
  );

  scope.post(
    '/console/scopes/:name/remove',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const found = getCustomScope(call.op, call.params.name ?? '');
      if (!call.csrfMatches(form, `scope-remove:${found.name}`)) return expiredForm(call, `scopes/${encodeURIComponent(found.name)}/remove`);
      await removeCustomScope(call.op, found.name);
      call.changed();
      return call.redirect('scopes?flash=scope_deleted');
    }),
  );
}

/** The form's values as typed (the use case judges them). */
function valuesFrom(form: RawParams, name: string): ScopeFormValues {
  return { name, description: param(form, 'description') ?? '', attributes: param(form, 'attributes') ?? '' };
}

/** Attributes one per line (commas and spaces separate too: no attribute name holds one). */
function scopeOf(values: ScopeFormValues): { description: string; attributes: string[] } {
  return { description: values.description, attributes: values.attributes.split(/[\s,]+/).filter((a) => a !== '') };
}

function scopesPage(call: ConsoleCall, state: { values: ScopeFormValues; problems: FormProblems | null; flash?: FlashKey | null }): FastifyReply {
  const canWrite = call.frame.permissions.has('org:write');
  const body = renderScopes({
    consoleUrl: call.frame.consoleUrl,
    standard: [...USER_SCOPES],
    custom: listCustomScopes(call.op),
    add: canWrite ? { action: `${call.frame.consoleUrl}/scopes`, csrfToken: call.csrf('scope-create'), values: state.values, problems: state.problems, isNew: true } : null,
  });
  return call.render({ title: 'Scopes', section: 'clients', body, flash: state.flash ?? null }, state.problems?.status ?? 200);
}

function scopePage(call: ConsoleCall, found: NamedCustomScope, state: { values: ScopeFormValues; problems: FormProblems | null; version?: number; flash?: FlashKey | null }): FastifyReply {
  const edit = call.frame.permissions.has('org:write')
    ? {
        action: `${call.frame.consoleUrl}/scopes/${encodeURIComponent(found.name)}`,
        csrfToken: call.csrf(`scope-update:${found.name}`),
        // The version the values shown were read at: a refused form keeps the one it was opened with.
        version: state.version ?? call.op.org.updatedAt,
        values: state.values,
        problems: state.problems,
        isNew: false,
      }
    : null;
  const body = renderScopeView({ consoleUrl: call.frame.consoleUrl, scope: found, edit });
  return call.render({ title: `Scope ${found.name}`, section: 'clients', body, flash: state.flash ?? null }, state.problems?.status ?? 200);
}

function removalPage(call: ConsoleCall, found: NamedCustomScope): FastifyReply {
  return call.render({ title: 'Remove a custom scope', section: 'clients', body: renderScopeRemoval({ consoleUrl: call.frame.consoleUrl, scope: found, csrfToken: call.csrf(`scope-remove:${found.name}`) }) });
}
