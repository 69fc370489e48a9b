import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ConstituentRecord } from '../accounts/constituent.ts';
import type { ConstituentChange } from '../accounts/constituent-changes.ts';
import {
  addConstituent,
  disableConstituent,
  enableConstituent,
  endConstituentSession,
  endConstituentSessions,
  getConstituent,
  listConstituentGrants,
  listConstituentSessions,
  revokeConstituentGrant,
  searchConstituents,
  setConstituentPassword,
  updateConstituent,
} from '../accounts/constituent-admin.ts';
import { readForm, readQuery } from '../http/forms.ts';
import { ForbiddenError } from '../lib/errors.ts';
import type { RawParams } from '../lib/url-encoded.ts';
import { param } from '../oauth/params.ts';
import { CONSOLE_PAGE, consoleHandler, expiredForm, type ConsoleCall, type ConsoleDeps } from './console-context.ts';
import { flashKeyOf, type FlashKey } from './flash.ts';
import { attemptForm, MISSING_VERSION, type FormProblems } from './forms.ts';
import {
  NEW_CONSTITUENT_FIELDS,
  PASSWORD_FIELDS,
  PROFILE_FIELDS,
  profileValuesOf,
  renderConstituentList,
  renderConstituentView,
  renderNewConstituentForm,
  type ProfileValues,
} from './pages/constituents.ts';

/** Constituents per page of the search: one statement whatever the org holds. */
export const CONSTITUENTS_PER_PAGE = 50;

/**
 * Constituents: search, one constituent (profile, attributes, applications, sessions), a new one,
 * and the support desk's actions (disable, enable, set a password, revoke an application, end a
 * session). Every action calls accounts/constituent-admin.ts, which checks the role and audits.
 */
export function registerConstituentPages(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get(
    '/console/constituents',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const query = readQuery(call.request);
      const q = (param(query, 'q') ?? '').trim().slice(0, 254);
      const rawStatus = param(query, 'status');
      const status = rawStatus === 'active' || rawStatus === 'disabled' ? rawStatus : '';
      const cursor = param(query, 'cursor');
      const page = await searchConstituents(call.op, { limit: CONSTITUENTS_PER_PAGE, ...(q === '' ? {} : { q }), ...(status === '' ? {} : { status }), ...(cursor === undefined ? {} : { cursor }) });
      const body = renderConstituentList({ consoleUrl: call.frame.consoleUrl, q, status, constituents: page.constituents, nextCursor: page.nextCursor, canWrite: call.frame.permissions.has('constituents:write') });
      return call.render({ title: 'Constituents', section: 'constituents', body });
    }),
  );

  scope.get(
    '/console/constituents/new',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      // Only hides the form from a role that could not use it: addConstituent refuses such a role anyway.
      if (!call.frame.permissions.has('constituents:write')) throw new ForbiddenError('constituents:write');
      return newConstituentPage(call, { username: '', email: '', name: '' }, null);
    }),
  );

  scope.post(
    '/console/constituents',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      if (!call.csrfMatches(form, 'constituent-create')) return expiredForm(call, 'constituents/new');
      const values = profileFrom(form);
      const password = param(form, 'password');
      const outcome = await attemptForm(NEW_CONSTITUENT_FIELDS, () =>
        addConstituent(call.op, {
          username: values.username,
          ...(values.email.trim() === '' ? {} : { email: values.email }),
          ...(values.name.trim() === '' ? {} : { name: values.name }),
          ...(password === undefined ? {} : { password }),
        }),
      );
      if (!outcome.ok) return newConstituentPage(call, values, outcome.problems);
      return call.redirect(`constituents/${encodeURIComponent(outcome.value.accountId)}?flash=constituent_created`);
    }),
  );

  scope.get(
    '/console/constituents/:accountId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const constituent = await getConstituent(call.op, call.params.accountId ?? '');
      return constituentPage(call, constituent, { flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );

  scope.post(
    '/console/constituents/:accountId',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      // Read first: an unknown constituent is a 404 page, whatever the form holds.
      const current = await getConstituent(call.op, call.params.accountId ?? '');
      if (!call.csrfMatches(form, `constituent-update:${current.accountId}`)) return expiredForm(call, pathOf(current));
      const values = profileFrom(form);
      const version = param(form, 'version');
      if (version === undefined || !/^\d{1,16}$/.test(version)) return constituentPage(call, current, { profileProblems: MISSING_VERSION });
      const outcome = await attemptForm(PROFILE_FIELDS, () => updateConstituent(call.op, current.accountId, changeOf(current, values), { expectedVersion: Number(version) }));
      if (outcome.ok) return call.redirect(`${pathOf(current)}?flash=constituent_updated`);
      if (outcome.problems.stale) {
        // The form again with the values now stored and their version: what the person would overwrite.
        return constituentPage(call, await getConstituent(call.op, current.accountId), { profileProblems: outcome.problems });
      }
      return constituentPage(call, current, { profile: values, profileProblems: outcome.problems, version: Number(version) });
    }),
  );

  // The actions of a constituent's page without fields of their own: the same steps, a use case and a fixed flash.
  const action = (path: string, purpose: string, flash: FlashKey, run: (call: ConsoleCall, constituent: ConstituentRecord) => Promise<unknown>): void => {
    scope.post(
      `/console/constituents/:accountId/${path}`,
      CONSOLE_PAGE,
      consoleHandler(deps, async (call) => {
        const form = await readForm(call.request);
        const current = await getConstituent(call.op, call.params.accountId ?? '');
        if (!call.csrfMatches(form, `${purpose}:${current.accountId}`)) return expiredForm(call, pathOf(current));
        await run(call, current);
        return call.redirect(`${pathOf(current)}?flash=${flash}`);
      }),
    );
  };
  action('disable', 'constituent-status', 'constituent_disabled', (call, c) => disableConstituent(call.op, c.accountId));
  action('enable', 'constituent-status', 'constituent_enabled', (call, c) => enableConstituent(call.op, c.accountId));
  action('grants/:clientId/revoke', 'constituent-grant-revoke', 'constituent_grant_revoked', (call, c) => revokeConstituentGrant(call.op, c.accountId, call.params.clientId ?? ''));
  action('sessions/:sessionId/end', 'constituent-session-end', 'constituent_session_ended', (call, c) => endConstituentSession(call.op, c.accountId, call.params.sessionId ?? ''));
  action('sessions/end-all', 'constituent-session-end', 'constituent_sessions_ended', (call, c) => endConstituentSessions(call.op, c.accountId));

  scope.post(
    '/console/constituents/:accountId/password',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const form = await readForm(call.request);
      const current = await getConstituent(call.op, call.params.accountId ?? '');
      if (!call.csrfMatches(form, `constituent-password:${current.accountId}`)) return expiredForm(call, pathOf(current));
      const outcome = await attemptForm(PASSWORD_FIELDS, () => setConstituentPassword(call.op, current.accountId, param(form, 'password') ?? ''));
      if (outcome.ok) return call.redirect(`${pathOf(current)}?flash=constituent_password_set`);
      return constituentPage(call, current, { passwordProblems: outcome.problems });
    }),
  );
}

function pathOf(constituent: ConstituentRecord): string {
  return `constituents/${encodeURIComponent(constituent.accountId)}`;
}

/** The profile as typed: strings as they are (the use case judges them). */
function profileFrom(form: RawParams): ProfileValues {
  const text = (name: string): string => param(form, name) ?? '';
  return { username: text('username'), email: text('email'), name: text('name') };
}

/**
 * The fields the form changed, against the constituent as stored: the audit event names only
 * those, and an untouched form changes nothing. An emptied email or name clears it.
 */
function changeOf(current: ConstituentRecord, values: ProfileValues): ConstituentChange {
  const optional = (typed: string): string | null => (typed.trim() === '' ? null : typed);
  return {
    ...(values.username === current.loginName ? {} : { username: values.username }),
    ...(optional(values.email) === current.email ? {} : { email: optional(values.email) }),
    ...(optional(values.name) === current.displayName ? {} : { name: optional(values.name) }),
  };
}

function newConstituentPage(call: ConsoleCall, values: ProfileValues, problems: FormProblems | null): FastifyReply {
  const body = renderNewConstituentForm({ action: `${call.frame.consoleUrl}/constituents`, csrfToken: call.csrf('constituent-create'), values, problems });
  return call.render({ title: 'New constituent', section: 'constituents', body }, problems?.status ?? 200);
}

interface PageState {
  readonly flash?: FlashKey | null;
  /** The profile as typed, after a refusal; else as stored. */
  readonly profile?: ProfileValues;
  readonly profileProblems?: FormProblems;
  /** The version the refused profile form was opened with. */
  readonly version?: number;
  readonly passwordProblems?: FormProblems;
}

async function constituentPage(call: ConsoleCall, constituent: ConstituentRecord, state: PageState): Promise<FastifyReply> {
  const grants = await listConstituentGrants(call.op, constituent.accountId);
  const sessions = await listConstituentSessions(call.op, constituent.accountId);
  const id = constituent.accountId;
  const controls = call.frame.permissions.has('constituents:write')
    ? {
        profile: { csrfToken: call.csrf(`constituent-update:${id}`), version: state.version ?? constituent.updatedAt, values: state.profile ?? profileValuesOf(constituent), problems: state.profileProblems ?? null },
        statusToken: call.csrf(`constituent-status:${id}`),
        password: { csrfToken: call.csrf(`constituent-password:${id}`), problems: state.passwordProblems ?? null },
        grantToken: call.csrf(`constituent-grant-revoke:${id}`),
        sessionToken: call.csrf(`constituent-session-end:${id}`),
      }
    : null;
  const body = renderConstituentView({ consoleUrl: call.frame.consoleUrl, constituent, grants, sessions, controls });
  const status = state.profileProblems?.status ?? state.passwordProblems?.status ?? 200;
  return call.render({ title: constituent.displayName ?? constituent.loginName, section: 'constituents', body, flash: state.flash ?? null }, status);
}
