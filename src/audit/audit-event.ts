// The audit log's values: a leaf that its table, repository and domain all read.

/** `cli`: an operator running the gatehouse command on the server (no further identity). `client`: an OAuth client acting for itself (client_credentials), its id the client_id. */
export type ActorType = 'staff' | 'api_key' | 'constituent' | 'client' | 'account_user' | 'system' | 'anonymous' | 'cli';

/** Who did something: a staff user, an API key, the CLI's operator, a constituent, a user of one of the org's customer accounts (the connector hub), nobody known. */
export interface AuditActor {
  readonly type: ActorType;
  readonly id: string | null;
}

/** Something that happened, for the append-only audit log. `details` never holds a secret. */
export interface AuditEventInput {
  readonly action: string;
  readonly actor: AuditActor;
  readonly target?: { readonly type: string; readonly id: string };
  readonly ip?: string | null;
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditEvent {
  readonly id: string;
  readonly occurredAt: number;
  readonly action: string;
  readonly actor: AuditActor;
  readonly target: { readonly type: string; readonly id: string } | null;
  readonly ip: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AuditQuery {
  readonly limit: number;
  readonly cursor?: string;
  readonly action?: string;
  readonly actorId?: string;
  readonly targetId?: string;
  /** Only events at or after this time (ms). */
  readonly since?: number;
  /** Only events before this time (ms). */
  readonly until?: number;
}
