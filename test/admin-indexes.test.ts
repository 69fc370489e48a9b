import { CompiledQuery, sql, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchConstituentsPage } from '../src/accounts/constituents.repository.ts';
import { listClientsPage } from '../src/clients/clients.repository.ts';
import { listDueForRefresh } from '../src/connectors/account-connectors.repository.ts';
import type { Db } from '../src/db/database.ts';
import * as adminIndexes from '../src/db/migrations/0007_admin_indexes.ts';
import { expireCodesOfAccount } from '../src/oauth/credentials/credentials.repository.ts';
import { listAuditEvents } from '../src/audit/audit.ts';
import { apiKeyUseOf, lastStaffSignIns, revokeApiKeyRow, revokeEverythingOf } from '../src/staff/staff.repository.ts';
import { createTestStore, DIALECTS, type TestStore } from './helpers/storage.ts';

const NOW = 1_700_000_000_000;
const ORG = 'org_plans';

/**
 * The plans of the real queries (captured from the repository functions, not copied) must use
 * the 0007 index meant for them and no sort. PostgreSQL is told to avoid sequential scans and
 * sorts, so that it picks a matching index even on these empty tables when one exists, and a
 * plan without one shows a Seq Scan or a Sort.
 */
describe.each(DIALECTS)('indexes of the management API on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore(dialect);
  });
  afterAll(async () => {
    await store?.dispose();
  });

  /** The statements `run` sends, compiled as sent. */
  async function statementsOf(run: (db: Db) => Promise<unknown>): Promise<CompiledQuery[]> {
    const db = store.storage.db;
    const nodes: RootOperationNode[] = [];
    const capture: KyselyPlugin = {
      transformQuery: ({ node }) => {
        nodes.push(node);
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    await run(db.withPlugin(capture));
    return nodes.map((node) => db.getExecutor().compileQuery(node, { queryId: 'plan' }));
  }

  interface Plan {
    readonly indexes: string[];
    /** A step that reads every row, or sorts them. */
    readonly scansOrSorts: string[];
  }

  async function planOf(query: CompiledQuery): Promise<Plan> {
    const db = store.storage.db;
    if (dialect === 'sqlite') {
      const rows = (await db.executeQuery(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]))).rows as Array<{ detail: string }>;
      return {
        indexes: rows.flatMap((r) => /USING (?:COVERING )?INDEX (\w+)/.exec(r.detail)?.[1] ?? []),
        scansOrSorts: rows.map((r) => r.detail).filter((d) => /^SCAN |TEMP B-TREE/.test(d)),
      };
    }
    return db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      await sql`set local enable_sort = off`.execute(trx);
      const rows = (await trx.executeQuery(CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]))).rows as Array<{ 'QUERY PLAN': Array<{ Plan: PgPlanNode }> }>;
      const nodes: PgPlanNode[] = [];
      const walk = (node: PgPlanNode) => {
        nodes.push(node);
        for (const child of node.Plans ?? []) walk(child);
      };
      walk(rows[0]!['QUERY PLAN'][0]!.Plan);
      return {
        indexes: nodes.flatMap((n) => n['Index Name'] ?? []),
        scansOrSorts: nodes.map((n) => n['Node Type']).filter((t) => t === 'Seq Scan' || t.endsWith('Sort')),
      };
    });
  }

  /** The plan of the one statement of `run` that reads or writes `table`. */
  async function planOn(table: string, run: (db: Db) => Promise<unknown>): Promise<Plan> {
    const statements = (await statementsOf(run)).filter((q) => new RegExp(`^(select .* from|update) "${table}"`).test(q.sql));
    expect(statements).toHaveLength(1);
    return planOf(statements[0]!);
  }

  function expectIndex(plan: Plan, index: string): void {
    expect(plan.indexes).toContain(index);
    expect(plan.scansOrSorts).toEqual([]);
  }

  it('disabling an account or revoking a grant expires codes through (org_id, account_id, client_id)', async () => {
    expectIndex(await planOn('authorization_codes', (db) => expireCodesOfAccount(db, ORG, '1001', NOW)), 'authorization_codes_account_idx');
    expectIndex(await planOn('authorization_codes', (db) => expireCodesOfAccount(db, ORG, '1001', NOW, { clientId: 'c1' })), 'authorization_codes_account_idx');
  });

  it('constituent search pages in (created_at, account_id) order without sorting, with or without a status', async () => {
    expectIndex(await planOn('constituents', (db) => searchConstituentsPage(db, ORG, {}, { limit: 51 })), 'constituents_org_created_idx');
    expectIndex(await planOn('constituents', (db) => searchConstituentsPage(db, ORG, {}, { limit: 51, after: { createdAt: NOW, accountId: '1001' } })), 'constituents_org_created_idx');
    expectIndex(await planOn('constituents', (db) => searchConstituentsPage(db, ORG, { status: 'disabled' }, { limit: 51 })), 'constituents_org_status_idx');
  });

  it('client list pages (and the approval queue) in (created_at, id) order without sorting', async () => {
    expectIndex(await planOn('clients', (db) => listClientsPage(db, ORG, { limit: 51 })), 'clients_org_created_idx');
    expectIndex(await planOn('clients', (db) => listClientsPage(db, ORG, { limit: 51, status: 'pending' })), 'clients_org_status_idx');
  });

  it('the audit log filtered by action, actor or target, newest first, without sorting', async () => {
    expectIndex(await planOn('audit_events', (db) => listAuditEvents(db, ORG, { limit: 50, action: 'client.approved' })), 'audit_events_action_idx');
    expectIndex(await planOn('audit_events', (db) => listAuditEvents(db, ORG, { limit: 50, actorId: 'key_x' })), 'audit_events_actor_idx');
    expectIndex(await planOn('audit_events', (db) => listAuditEvents(db, ORG, { limit: 50, targetId: 'client_x' })), 'audit_events_target_idx');
  });

  // One statement per page, the staff user behind each actor joined by primary key (issue 9 item 15).
  it('the audit log between since and until, with or without a filter, by a range of the same indexes', async () => {
    const window = { since: NOW - 3_600_000, until: NOW };
    expectIndex(await planOn('audit_events', (db) => listAuditEvents(db, ORG, { limit: 50, ...window })), 'audit_events_org_time_idx');
    expectIndex(await planOn('audit_events', (db) => listAuditEvents(db, ORG, { limit: 50, since: window.since })), 'audit_events_org_time_idx');
    expectIndex(await planOn('audit_events', (db) => listAuditEvents(db, ORG, { limit: 50, action: 'client.approved', ...window })), 'audit_events_action_idx');
    expectIndex(await planOn('audit_events', (db) => listAuditEvents(db, ORG, { limit: 50, actorId: 'key_x', until: NOW })), 'audit_events_actor_idx');
    expectIndex(await planOn('audit_events', (db) => listAuditEvents(db, ORG, { limit: 50, targetId: 'client_x', ...window })), 'audit_events_target_idx');
  });

  it('disabling a staff user and revoking a key end API sessions without reading them all', async () => {
    expectIndex(await planOn('api_sessions', (db) => revokeEverythingOf(db, ORG, 'stf_x', NOW)), 'api_sessions_staff_user_idx');
    expectIndex(await planOn('api_sessions', (db) => revokeApiKeyRow(db, ORG, 'key_x', NOW)), 'api_sessions_api_key_idx');
  });

  // The console's staff list: its page of users' last sign-ins and key use, grouped, whatever the sessions and keys held.
  it('the staff list reads its users\' sign-ins and API keys through their (org_id, staff_user_id) indexes, without sorting', async () => {
    expectIndex(await planOn('staff_sessions', (db) => lastStaffSignIns(db, ORG, ['stf_a', 'stf_b'])), 'staff_sessions_user_idx');
    expectIndex(await planOn('api_keys', (db) => apiKeyUseOf(db, ORG, ['stf_a', 'stf_b'])), 'api_keys_staff_user_idx');
  });

  // Issue 12: every server process scans the due connectors of every organization every 15 s.
  it('the background refresh finds the due connectors through the partial index on next_refresh_at, without sorting', async () => {
    expectIndex(await planOn('account_connectors', (db) => listDueForRefresh(db, NOW, 50)), 'account_connectors_next_refresh_idx');
  });

  it('migrates down to the indexes before it, and up again', async () => {
    const db = store.storage.db;
    const indexNames = async (): Promise<string[]> => {
      const query = dialect === 'sqlite' ? sql<{ name: string }>`select name from sqlite_master where type = 'index'` : sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema()`;
      return (await query.execute(db)).rows.map((r) => r.name).sort();
    };
    const added = ['api_sessions_api_key_idx', 'api_sessions_staff_user_idx', 'audit_events_action_idx', 'audit_events_actor_idx', 'audit_events_target_idx', 'authorization_codes_account_idx', 'clients_org_created_idx', 'clients_org_status_idx', 'constituents_org_created_idx', 'constituents_org_status_idx'];
    const after = await indexNames();
    expect(after).toEqual(expect.arrayContaining(added));
    expect(after).not.toContain('clients_org_idx');

    await db.transaction().execute((trx) => adminIndexes.down(trx));
    const before = await indexNames();
    expect(before.filter((name) => added.includes(name))).toEqual([]);
    expect(before).toContain('clients_org_idx');

    await db.transaction().execute((trx) => adminIndexes.up(trx));
    expect(await indexNames()).toEqual(after);
  });
});

interface PgPlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly Plans?: PgPlanNode[];
}
