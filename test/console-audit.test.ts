import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../src/audit/audit.ts';
import { EXPORT_PAGE_SIZE } from '../src/console/audit-pages.ts';
import type { Clock } from '../src/lib/clock.ts';
import type { TestBrowser } from './helpers/browser.ts';
import { seedOrg, type SeededOrg } from './helpers/fixtures.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';
import { countedStore, decode, QueryCounter, staffBrowser } from './console-helpers.ts';

const at = (iso: string): Clock => () => Date.parse(iso);

describe.each(DIALECTS)('the console\'s audit log on %s', (dialect) => {
  let store: TestStore;
  let server: TestServer;
  let seeded: SeededOrg;
  let consoleUrl: string;
  let supportId: string;
  let support: TestBrowser;
  const counter = new QueryCounter();

  beforeAll(async () => {
    store = await createTestStore(dialect);
    server = await startTestServer(dialect, { store: countedStore(store, counter) });
    seeded = await seedOrg(server.store.storage.db, 'acme');
    consoleUrl = `${server.url}/o/acme/console`;
    const signedIn = await staffBrowser(db(), seeded.org.id, 'acme', 'support', 'sam@acme.example');
    support = signedIn.browser;
    supportId = signedIn.staffUserId;
    await db().updateTable('staff_users').set({ display_name: 'Sam Support' }).where('id', '=', supportId).execute();
    const orgId = seeded.org.id;
    // A small log of known events, apart in time.
    await recordAudit(db(), at('2026-03-01T10:00:00Z'), orgId, { action: 'constituent.password_set', actor: { type: 'staff', id: supportId }, target: { type: 'constituent', id: '1001' }, ip: '192.0.2.7', details: { sessions_ended: 2 } });
    await recordAudit(db(), at('2026-03-02T11:00:00Z'), orgId, { action: 'constituent.session_ended', actor: { type: 'staff', id: supportId }, target: { type: 'constituent', id: '1002' }, details: { session_id: 'abc' } });
    await recordAudit(db(), at('2026-03-03T12:00:00Z'), orgId, { action: 'constituent.password_set', actor: { type: 'api_key', id: 'key_unknown' }, target: { type: 'constituent', id: '1002' } });
    // Values someone else typed, which a spreadsheet would take for formulas.
    await recordAudit(db(), at('2026-03-04T09:00:00Z'), orgId, { action: 'constituent.updated', actor: { type: 'constituent', id: '=cmd|calc' }, target: { type: 'constituent', id: '+1003' }, details: { fields: '@SUM(A1)', note: '-2+3' } });
    // Another org's event never shows.
    const other = await seedOrg(db(), 'other');
    await recordAudit(db(), at('2026-03-02T11:00:00Z'), other.org.id, { action: 'constituent.password_set', actor: { type: 'staff', id: 'st_other' }, target: { type: 'constituent', id: '1001' } });
  });
  afterAll(async () => {
    await server?.close();
    await store?.dispose();
  });

  function db() {
    return server.store.storage.db;
  }
  async function page(browser: TestBrowser, path: string): Promise<{ status: number; html: string }> {
    const response = await browser.request(`${consoleUrl}/${path}`);
    return { status: response.status, html: await response.text() };
  }
  const rows = (html: string): string[] => [...html.matchAll(/<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)<\/td>/g)].map((m) => m[1]!);
  const marchOnly = 'from=2026-03-01&to=2026-03-31';

  it('filters by action, actor, target and time in a GET form, showing staff actors by name', async () => {
    const all = await page(support, `audit?${marchOnly}`);
    expect(all.status).toBe(200);
    expect(all.html).toContain(`<form method="get" action="${consoleUrl}/audit"`);
    expect(rows(all.html)).toEqual(['2026-03-04 09:00:00', '2026-03-03 12:00:00', '2026-03-02 11:00:00', '2026-03-01 10:00:00']);
    // The staff user behind the actor, by name, as readAuditLog gives them; other actors by kind and ID.
    expect(all.html).toContain(`<strong>Sam Support</strong><br>sam@acme.example<br>staff <a href="${consoleUrl}/audit?actor=${supportId}&amp;from=2026-03-01&amp;to=2026-03-31"><code>${supportId}</code></a>`);
    expect(all.html).toContain('api key<br><a href=');
    expect(all.html).toContain('<li>from <code>192.0.2.7</code></li><li>sessions ended: <code>2</code></li>');

    expect(rows((await page(support, `audit?${marchOnly}&action=constituent.password_set`)).html)).toEqual(['2026-03-03 12:00:00', '2026-03-01 10:00:00']);
    expect(rows((await page(support, `audit?${marchOnly}&actor=${supportId}`)).html)).toEqual(['2026-03-02 11:00:00', '2026-03-01 10:00:00']);
    expect(rows((await page(support, `audit?${marchOnly}&target=1002`)).html)).toEqual(['2026-03-03 12:00:00', '2026-03-02 11:00:00']);
    // A date alone as the end includes that day; a time is exclusive.
    expect(rows((await page(support, 'audit?from=2026-03-02&to=2026-03-03')).html)).toEqual(['2026-03-03 12:00:00', '2026-03-02 11:00:00']);
    expect(rows((await page(support, 'audit?from=2026-03-02T11:00&to=2026-03-03T12:00')).html)).toEqual(['2026-03-02 11:00:00']);
    const kept = await page(support, `audit?${marchOnly}&action=constituent.password_set&target=1002`);
    expect(kept.html).toContain('name="action" value="constituent.password_set"');
    expect(kept.html).toContain('name="target" value="1002"');
    expect(kept.html).toContain('name="from" value="2026-03-01"');
  });

  it('pages by cursor, the link to older events keeping the filters', async () => {
    for (let i = 0; i < 55; i++) await recordAudit(db(), at(`2026-04-01T00:${String(i).padStart(2, '0')}:00Z`), seeded.org.id, { action: 'paged.event', actor: { type: 'system', id: null } });
    const first = await page(support, 'audit?action=paged.event');
    expect(rows(first.html)).toHaveLength(50);
    expect(rows(first.html)[0]).toBe('2026-04-01 00:54:00');
    const older = decode(/<a href="([^"]+)">Older events<\/a>/.exec(first.html)![1]!);
    expect(older).toMatch(/\/audit\?action=paged\.event&cursor=/);
    const second = await support.request(older);
    expect(rows(await second.text())).toEqual(['2026-04-01 00:04:00', '2026-04-01 00:03:00', '2026-04-01 00:02:00', '2026-04-01 00:01:00', '2026-04-01 00:00:00']);
  });

  it('answers bad filters with the form again, each error beside its field and the values kept; never a 500', async () => {
    const bad = await page(support, `audit?from=2026-02-31&to=yesterday&action=${'a'.repeat(101)}&target=${encodeURIComponent('<i>t</i>')}`);
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('<p class="field-error" id="from-error">must be a date such as 2026-01-31');
    expect(bad.html).toContain('<p class="field-error" id="to-error">');
    expect(bad.html).toContain('<p class="field-error" id="action-error">must be at most 100 characters</p>');
    expect(bad.html).toContain('<li><a href="#from">From</a>:');
    expect(bad.html).toContain('name="from" value="2026-02-31"');
    expect(bad.html).toContain('name="target" value="&lt;i&gt;t&lt;/i&gt;"');
    expect(rows(bad.html)).toEqual([]);
    const backwards = await page(support, 'audit?from=2026-03-03&to=2026-03-02');
    expect(backwards.status).toBe(400);
    expect(backwards.html).toContain('<p class="field-error" id="to-error">must be later than From</p>');
    for (const path of ['audit?cursor=garbage', 'audit?action=%00', 'audit?target=%ZZ', 'audit/export.csv?actor=%00', 'audit?from=9999-99-99T99:99', 'audit?action=a&action=b', 'audit?to=2026-03-01T24:00', 'audit/export.csv?cursor=x&from=nope']) {
      const answer = await page(support, path);
      expect([200, 303, 400], path).toContain(answer.status);
    }
    // A bad export goes back to the log, where the errors are shown.
    const badExport = await support.request(`${consoleUrl}/audit/export.csv?from=2026-02-31`);
    expect(badExport.status).toBe(303);
    expect(badExport.headers.get('location')).toBe(`${consoleUrl}/audit?from=2026-02-31`);
  });

  it('exports the filtered events as CSV, formulas defused, every page of them', async () => {
    const response = await support.request(`${consoleUrl}/audit/export.csv?${marchOnly}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-acme-\d{4}-\d\d-\d\d\.csv"$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const lines = (await response.text()).split('\r\n');
    expect(lines[0]).toBe('occurred_at,action,actor_type,actor_id,actor_user_email,actor_user_name,target_type,target_id,ip,details');
    expect(lines.slice(1, -1)).toHaveLength(4);
    expect(lines.at(-1)).toBe('');
    expect(lines[1]).toBe(`2026-03-04T09:00:00.000Z,constituent.updated,constituent,'=cmd|calc,,,constituent,'+1003,,"{""fields"":""@SUM(A1)"",""note"":""-2+3""}"`);
    expect(lines[4]).toBe(`2026-03-01T10:00:00.000Z,constituent.password_set,staff,${supportId},sam@acme.example,Sam Support,constituent,1001,192.0.2.7,"{""sessions_ended"":2}"`);
    const filtered = await (await support.request(`${consoleUrl}/audit/export.csv?${marchOnly}&actor=${supportId}`)).text();
    expect(filtered.split('\r\n').slice(1, -1).map((line) => line.split(',')[1])).toEqual(['constituent.session_ended', 'constituent.password_set']);

    // More events than one page of the use case: every one, in order, in a bounded number of statements per page.
    for (let i = 0; i < EXPORT_PAGE_SIZE + 20; i++) await recordAudit(db(), at(`2026-05-01T00:00:00Z`), seeded.org.id, { action: 'bulk.event', actor: { type: 'system', id: null } });
    await page(support, 'audit'); // warm: the org is cached per process, for two seconds
    counter.count = 0;
    const bulk = (await (await support.request(`${consoleUrl}/audit/export.csv?action=bulk.event`)).text()).split('\r\n').slice(1, -1);
    expect(bulk).toHaveLength(EXPORT_PAGE_SIZE + 20);
    expect(new Set(bulk).size).toBe(1);
    // The session, then two pages of events (system actors: no staff user to look up).
    expect(counter.count).toBe(3);
  });

  it('is for the roles that may read the audit log: others get no nav entry and the 403 page, export included', async () => {
    const { browser: reader } = await staffBrowser(db(), seeded.org.id, 'acme', 'read_only');
    const overview = await page(reader, '');
    expect(overview.html).not.toContain(`href="${consoleUrl}/audit"`);
    expect((await page(support, '')).html).toContain(`<a href="${consoleUrl}/audit">Audit log</a>`);
    for (const path of ['audit', 'audit?from=nonsense', 'audit/export.csv']) {
      const refused = await page(reader, path);
      expect(refused.status, path).toBe(403);
      expect(refused.html).toContain('<code>audit:read</code>');
    }
  });

  it('reads a bounded number of statements per page, whatever the number of events and actors', async () => {
    const measure = async (path: string): Promise<number> => {
      await page(support, path);
      counter.count = 0;
      expect((await page(support, path)).status).toBe(200);
      return counter.count;
    };
    const path = 'audit?action=counted.event';
    // One actor of each kind with a staff user behind it (a staff user, an API key): both lookups happen from the first.
    await recordAudit(db(), at('2026-06-01T00:00:00Z'), seeded.org.id, { action: 'counted.event', actor: { type: 'staff', id: supportId } });
    await recordAudit(db(), at('2026-06-01T00:00:00Z'), seeded.org.id, { action: 'counted.event', actor: { type: 'api_key', id: 'key_first' } });
    const few = await measure(path);
    for (let i = 0; i < 40; i++) {
      const { staffUserId } = await staffBrowser(db(), seeded.org.id, 'acme', 'support');
      await recordAudit(db(), at('2026-06-01T00:00:00Z'), seeded.org.id, { action: 'counted.event', actor: { type: i % 2 === 0 ? 'staff' : 'api_key', id: i % 2 === 0 ? staffUserId : `key_${i}` } });
    }
    expect(await measure(path)).toBe(few);
    // The session, the page of events, the staff users behind its actors (the API keys' owners, the staff users).
    expect(few).toBe(4);
  });
});
