import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { systemClock } from '../src/lib/clock.ts';
import { csrfTokenFor } from '../src/http/cookies.ts';
import type { StaffRole } from '../src/staff/roles.ts';
import { startStaffSession } from '../src/staff/staff-sessions.ts';
import { createStaffUser } from '../src/staff/staff.ts';
import type { Db } from '../src/db/database.ts';
import { TestBrowser } from './helpers/browser.ts';
import type { TestStore } from './helpers/storage.ts';

/**
 * Counts the statements a store executes: every one passes through its plugins' transformResult
 * (precompiled statements too, which skip transformQuery). BEGIN and COMMIT are not counted.
 */
export class QueryCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.count++;
    return args.result;
  }
}

/** The same store, its queries counted by `counter`: give it to startTestServer as `store`, and dispose the original. */
export function countedStore(store: TestStore, counter: QueryCounter): TestStore {
  return { ...store, storage: { ...store.storage, db: store.storage.db.withPlugin(counter) } };
}

/** A browser signed in to `slug`'s console as a new staff user of `role` (a session made directly, no password). */
export async function staffBrowser(db: Db, orgId: string, slug: string, role: StaffRole, email = `${role}-${Math.random().toString(36).slice(2)}@acme.example`): Promise<{ browser: TestBrowser; staffUserId: string }> {
  const created = await createStaffUser(db, systemClock, orgId, { email, role });
  const cookie = await startStaffSession(db, systemClock, orgId, created.userId);
  const browser = new TestBrowser();
  browser.setCookie('gh_staff', cookie, `/o/${slug}`);
  return { browser, staffUserId: created.userId };
}

/** The console's CSRF token of `purpose` for this browser (as a page would render it), once the browser has its binding cookie. */
export function consoleCsrf(browser: TestBrowser, purpose: string): string {
  const binding = browser.cookie('gh_browser');
  if (binding === undefined) throw new Error('open a console page first: the browser has no gh_browser cookie');
  return csrfTokenFor(binding, `console:${purpose}`);
}

/** The hidden inputs of the form posting to `action` (its exact action attribute) in `html`. */
export function formFields(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  if (start === -1) throw new Error(`no form posting to ${action}`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const match of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields[match[1]!] = decode(match[2]!);
  return fields;
}

export function decode(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#96;/g, '`').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
