import type { FastifyInstance } from 'fastify';
import { signInActivity, type SignInDay } from '../audit/audit-admin.ts';
import { clientStatusCounts } from '../clients/client-admin.ts';
import type { ClientStatus } from '../clients/client.ts';
import type { AccountConnectorStatus } from '../connectors/connector.ts';
import { connectorStatusCounts } from '../connectors/refresh/connector-status-admin.ts';
import { readQuery } from '../http/forms.ts';
import { html, type SafeHtml } from '../http/html.ts';
import { liveSsoSessions, tokensIssuedPerDay, type LiveSessions, type TokenDay } from '../oauth/activity-admin.ts';
import { OAUTH_PATHS } from '../oauth/endpoints.ts';
import { param } from '../oauth/params.ts';
import { getOrganization } from '../orgs/org-admin.ts';
import type { Organization } from '../orgs/organization.ts';
import { renderBarChart } from './chart.ts';
import { CONSOLE_PAGE, consoleHandler, type ConsoleDeps } from './console-context.ts';
import { flashKeyOf } from './flash.ts';
import { copyable } from './forms.ts';


/** Days the sign-in chart covers, today included. */
export const ACTIVITY_DAYS = 14;

/**
 * `GET /console/`: the organization's identifiers, each to copy (Neon: "Settings cog >
 * Organization Profile", the Org ID), and its constituents' sign-ins per day as a chart.
 */
export function registerOverviewPage(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get(
    '/console/',
    CONSOLE_PAGE,
    consoleHandler(deps, async (call) => {
      const org = await getOrganization(call.op);
      const activity = await signInActivity(call.op, { days: ACTIVITY_DAYS });
      // One grouped statement each, whatever the org holds (console.test.ts counts them).
      const tokens = await tokensIssuedPerDay(call.op, { days: ACTIVITY_DAYS });
      const sessions = await liveSsoSessions(call.op, { days: ACTIVITY_DAYS });
      const clients = await clientStatusCounts(call.op);
      const connectors = await connectorStatusCounts(call.op);
      const body = html`${identifiers(org, call.request.org.issuer)}
<section class="panel" aria-labelledby="activity-heading">
<h2 id="activity-heading">Sign-ins, last ${ACTIVITY_DAYS} days</h2>
${activityChart(activity)}
</section>
${tokensPanel(tokens)}
${sessionsPanel(sessions)}
${clientsPanel(clients)}
${connectorsPanel(connectors)}`;
      return call.render({ title: 'Overview', section: 'overview', body, flash: flashKeyOf(param(readQuery(call.request), 'flash')) });
    }),
  );
}

function identifiers(org: Organization, issuer: string): SafeHtml {
  return html`<section class="panel" aria-labelledby="org-heading">
<h2 id="org-heading">Organization</h2>
<p class="muted">What applications and integrations need to know about this organization.</p>
<dl class="facts">
<dt>Name</dt><dd>${org.name}</dd>
<dt id="org-id-label">Organization ID</dt><dd>${copyable('org-id', 'Organization ID', org.id)}</dd>
<dt>Slug</dt><dd>${copyable('org-slug', 'slug', org.slug)}</dd>
<dt>Issuer</dt><dd>${copyable('issuer', 'issuer URL', issuer)}</dd>
<dt>Discovery</dt><dd>${copyable('discovery', 'discovery URL', issuer + OAUTH_PATHS.openidConfiguration)}</dd>
</dl>
</section>`;
}

function activityChart(days: readonly SignInDay[]): SafeHtml {
  const total = (pick: (day: SignInDay) => number): number => days.reduce((sum, day) => sum + pick(day), 0);
  const signIns = total((d) => d.signIns);
  const failed = total((d) => d.failedSignIns);
  const busiest = days.reduce<SignInDay | null>((best, day) => (best === null || day.signIns > best.signIns ? day : best), null);
  const description =
    `${signIns} sign-ins and ${failed} failed sign-ins from ${days[0]?.date ?? ''} to ${days.at(-1)?.date ?? ''} (UTC)` +
    (busiest !== null && busiest.signIns > 0 ? `; most sign-ins on ${busiest.date} (${busiest.signIns}).` : '.');
  return renderBarChart({
    id: 'sign-in-chart',
    title: 'Constituent sign-ins per day',
    description,
    categories: days.map((d) => d.date),
    categoryHeading: 'Day (UTC)',
    axisLabel: (date) => date.slice(5),
    series: [
      { label: 'Sign-ins', values: days.map((d) => d.signIns) },
      { label: 'Failed sign-ins', values: days.map((d) => d.failedSignIns) },
    ],
  });
}

function sessionsPanel(sessions: LiveSessions): SafeHtml {
  const description =
    `${sessions.total} single sign-on ${sessions.total === 1 ? 'session is' : 'sessions are'} active now` +
    (sessions.earlier > 0 ? `, ${sessions.earlier} of them begun before ${sessions.perDay[0]?.date ?? ''}.` : '.');
  return html`<section class="panel" aria-labelledby="sessions-heading">
<h2 id="sessions-heading">Active single sign-on sessions</h2>
<p class="stat"><strong>${sessions.total}</strong> active now${sessions.earlier > 0 ? html` (${sessions.earlier} begun before the days shown)` : null}</p>
${renderBarChart({
  id: 'sessions-chart',
  title: 'Active single sign-on sessions by the day they began',
  description,
  categories: sessions.perDay.map((d) => d.date),
  categoryHeading: 'Day begun (UTC)',
  axisLabel: (date) => date.slice(5),
  series: [{ label: 'Active sessions', values: sessions.perDay.map((d) => d.sessions) }],
})}
</section>`;
}

const CLIENT_STATUS_LABELS: Readonly<Record<ClientStatus, string>> = { pending: 'Pending approval', active: 'Active', suspended: 'Suspended', rejected: 'Rejected' };

function clientsPanel(counts: Readonly<Record<ClientStatus, number>>): SafeHtml {
  const statuses = Object.keys(counts) as ClientStatus[];
  return html`<section class="panel" aria-labelledby="clients-heading">
<h2 id="clients-heading">Client registrations</h2>
<p class="stat"><strong>${counts.pending}</strong> pending approval</p>
${renderBarChart({
  id: 'clients-chart',
  title: 'OAuth clients by status',
  description: `${counts.pending} pending approval, ${statuses.filter((s) => s !== 'pending').map((s) => `${counts[s]} ${CLIENT_STATUS_LABELS[s].toLowerCase()}`).join(', ')}.`,
  categories: statuses.map((s) => CLIENT_STATUS_LABELS[s]),
  categoryHeading: 'Status',
  series: [{ label: 'Clients', values: statuses.map((s) => counts[s]) }],
})}
</section>`;
}

const CONNECTOR_STATUS_LABELS: Readonly<Record<AccountConnectorStatus, string>> = { unauthenticated: 'Not connected', authenticated: 'Connected', needs_reauth: 'Needs reconnecting', disabled: 'Disabled' };

function connectorsPanel(counts: Readonly<Record<AccountConnectorStatus, number>>): SafeHtml {
  const statuses = Object.keys(counts) as AccountConnectorStatus[];
  return html`<section class="panel" aria-labelledby="connectors-heading">
<h2 id="connectors-heading">Account connectors</h2>
${renderBarChart({
  id: 'connectors-chart',
  title: 'Account connectors by status',
  description: `${statuses.map((s) => `${counts[s]} ${CONNECTOR_STATUS_LABELS[s].toLowerCase()}`).join(', ')}.`,
  categories: statuses.map((s) => CONNECTOR_STATUS_LABELS[s]),
  categoryHeading: 'Status',
  series: [{ label: 'Connectors', values: statuses.map((s) => counts[s]) }],
})}
</section>`;
}

function tokensPanel(days: readonly TokenDay[]): SafeHtml {
  const total = (grant: keyof TokenDay['issued']): number => days.reduce((sum, day) => sum + day.issued[grant], 0);
  const description =
    `${total('authorization_code')} access tokens issued for authorization codes, ${total('refresh_token')} for refresh tokens and ` +
    `${total('client_credentials')} for client credentials from ${days[0]?.date ?? ''} to ${days.at(-1)?.date ?? ''} (UTC).`;
  return html`<section class="panel" aria-labelledby="tokens-heading">
<h2 id="tokens-heading">Tokens issued, last ${ACTIVITY_DAYS} days</h2>
${renderBarChart({
  id: 'tokens-chart',
  title: 'Access tokens issued per day, by grant',
  description,
  categories: days.map((d) => d.date),
  categoryHeading: 'Day (UTC)',
  axisLabel: (date) => date.slice(5),
  series: [
    { label: 'Authorization code', values: days.map((d) => d.issued.authorization_code) },
    { label: 'Refresh token', values: days.map((d) => d.issued.refresh_token) },
    { label: 'Client credentials', values: days.map((d) => d.issued.client_credentials) },
  ],
})}
</section>`;
}
