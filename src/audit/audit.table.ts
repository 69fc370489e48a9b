import type { ActorType } from './audit-event.ts';

/** Append-only: rows are inserted, never updated or deleted (but with their organization). */
export interface AuditEventsTable {
  id: string;
  org_id: string;
  occurred_at: number;
  actor_type: ActorType;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  /** JSON object; never holds a secret. */
  details: string;
}
