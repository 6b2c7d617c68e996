import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A timestamp column: written as a Date, read as a Date. */
type Timestamp = ColumnType<Date, Date, Date>;
/** A JSON column. */
type Json<T> = ColumnType<T, T, T>;

/** `tenants`: one row per tenant; the only table that is not itself tenant-scoped. */
export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  tier: string;
  status: string;
  limits: Json<Record<string, number | null>>;
  settings: Json<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `api_keys`: secrets are never stored, only a salted hash and a public lookup id. */
export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  lookup_id: string;
  name: string;
  role: string;
  salt: string;
  hash: string;
  created_at: Timestamp;
  created_by: string | null;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** `sessions`: one row per voice session. */
export interface SessionsTable {
  id: string;
  tenant_id: string;
  state: string;
  channel: string;
  direction: string;
  language: string;
  providers: Json<Record<string, unknown>>;
  metadata: Json<Record<string, unknown>>;
  instance_id: string | null;
  /** The data subject the session belongs to (pseudonymous; see `subject_keys`), if any. */
  subject_ref: Generated<string | null>;
  /** The stored assistant the session was created from, and which version of it. */
  assistant_id: Generated<string | null>;
  assistant_version: Generated<number | null>;
  turn_count: Generated<number>;
  outcome: string | null;
  close_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  ended_at: Timestamp | null;
}

/** `turns`: one user→assistant exchange, with the latency breakdown in milliseconds. */
export interface TurnsTable {
  id: string;
  tenant_id: string;
  session_id: string;
  seq: number;
  status: string;
  user_text: string | null;
  assistant_text: string | null;
  assistant_text_generated: string | null;
  interrupted: Generated<boolean>;
  input_kind: string;
  latency_asr_ms: number | null;
  latency_agent_first_token_ms: number | null;
  latency_tts_first_audio_ms: number | null;
  latency_first_audio_sent_ms: number | null;
  latency_voice_to_voice_ms: number | null;
  started_at: Timestamp;
  completed_at: Timestamp | null;
}

/** `session_events`: the durable per-session CloudEvents log, gap-free `seq` from 1. */
export interface SessionEventsTable {
  tenant_id: string;
  session_id: string;
  seq: number;
  id: string;
  type: string;
  time: Timestamp;
  turn_id: string | null;
  run_id: string | null;
  severity: string;
  event: Json<Record<string, unknown>>;
}

/** `idempotency_records`: stored responses of requests sent with an `Idempotency-Key`. */
export interface IdempotencyRecordsTable {
  tenant_id: string;
  key: string;
  scope: string;
  request_hash: string;
  state: string;
  status_code: number | null;
  response: Json<unknown> | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  /** While `in_progress`: until when its request holds the key; `null`: until it expires. */
  locked_until: Timestamp | null;
}

/** `audit_records`: the per-tenant hash-chained audit log. */
export interface AuditRecordsTable {
  id: string;
  tenant_id: string;
  seq: number;
  actor_type: string;
  actor_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  outcome: string;
  request_id: string | null;
  ip: string | null;
  details: Json<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
  created_at: Timestamp;
}

/** `audit_checkpoints`: a tenant's audit chain size and head hash at a moment, as a signed note. */
export interface AuditCheckpointsTable {
  tenant_id: string;
  tree_size: number;
  head_hash: string;
  note: string;
  created_at: Timestamp;
}

/** `assistants`: a tenant's stored assistants, at their current version. */
export interface AssistantsTable {
  id: string;
  tenant_id: string;
  name: string;
  version: number;
  definition: Json<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

/** `assistant_versions`: every version of every assistant, immutable. */
export interface AssistantVersionsTable {
  tenant_id: string;
  assistant_id: string;
  version: number;
  name: string;
  definition: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

/** `assistant_phone_numbers`: a tenant's phone numbers (E.164), each bound to one assistant; a number is in one tenant only. */
export interface AssistantPhoneNumbersTable {
  tenant_id: string;
  phone_number: string;
  assistant_id: string;
}

/** `subject_keys`: a tenant's per-subject data keys, wrapped under the master key; erasure deletes the row. */
export interface SubjectKeysTable {
  tenant_id: string;
  subject_ref: string;
  wrapped_key: string;
  created_at: Timestamp;
}

/** `meter_events`: usage as it happened, idempotent per (tenant, idempotency key). */
export interface MeterEventsTable {
  id: string;
  tenant_id: string;
  session_id: string | null;
  meter: string;
  quantity: number;
  unit: string;
  provider: string | null;
  idempotency_key: string;
  occurred_at: Timestamp;
  recorded_at: Timestamp;
  metadata: Json<Record<string, unknown>>;
}

/** `ledger_entries`: priced, idempotent money movements in micro-units of a currency. */
export interface LedgerEntriesTable {
  id: string;
  tenant_id: string;
  kind: string;
  amount_micros: number;
  currency: string;
  period: string;
  description: string;
  meter_event_id: string | null;
  idempotency_key: string;
  created_at: Timestamp;
}

/** `recordings`: metadata of recordings kept in the object store. */
export interface RecordingsTable {
  id: string;
  tenant_id: string;
  session_id: string;
  object_key: string;
  content_type: string;
  sample_rate: number;
  channels: number;
  duration_ms: number;
  size_bytes: number;
  /** The data subject whose key seals the object (`null`: stored in the clear). */
  subject_ref: Generated<string | null>;
  created_at: Timestamp;
  deleted_at: Timestamp | null;
}

/** `incidents`: degradation incidents, per tenant or platform-wide (`tenant_id` null). */
export interface IncidentsTable {
  id: string;
  tenant_id: string | null;
  severity: string;
  status: string;
  title: string;
  trigger: string;
  details: Json<Record<string, unknown>>;
  opened_at: Timestamp;
  resolved_at: Timestamp | null;
}

/**
 * `price_books`: versioned prices of a tier, or of one tenant (an override); exactly one of
 * `tier` and `tenant_id` is set. Versions of a scope count from 1 and start strictly later
 * than the version before, in the scope's one currency.
 */
export interface PriceBooksTable {
  id: string;
  tier: string | null;
  tenant_id: string | null;
  version: number;
  currency: string;
  effective_from: Timestamp;
  /** As billing gave them; storage does not interpret prices. */
  prices: Json<Record<string, unknown>>;
  /** Meter → quantity included each month. */
  allowances: Json<Record<string, number>>;
  minimum_monthly_micros: Generated<number>;
  created_at: Timestamp;
}

/** One line of an invoice, stored in `invoices.lines` as billing wrote it. */
export interface InvoiceLine {
  readonly [field: string]: unknown;
}

/** `invoices`: a tenant's closed period in one currency, at most one per (period, currency). */
export interface InvoicesTable {
  id: string;
  tenant_id: string;
  /** `YYYY-MM`. */
  period: string;
  currency: string;
  total_micros: number;
  lines: Json<InvoiceLine[]>;
  status: string;
  details: Json<Record<string, unknown>>;
  closed_at: Timestamp;
  created_at: Timestamp;
}

/**
 * `usage_export_cursors`: where a tenant's usage export stands — the last exported (or
 * dead-lettered) meter event in `(recorded_at, id)` order; it only moves forward.
 */
export interface UsageExportCursorsTable {
  tenant_id: string;
  last_recorded_at: Timestamp;
  last_id: string;
  updated_at: Timestamp;
}

/** `usage_export_dead_letters`: meter events the export gave up on, one row per event. */
export interface UsageExportDeadLettersTable {
  id: string;
  tenant_id: string;
  meter_event_id: string;
  /** Failed delivery attempts of the event's last batch. */
  attempts: number;
  last_error: string;
  created_at: Timestamp;
}

/** The whole schema: one Kysely database type for every package. */
export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  turns: TurnsTable;
  session_events: SessionEventsTable;
  idempotency_records: IdempotencyRecordsTable;
  audit_records: AuditRecordsTable;
  audit_checkpoints: AuditCheckpointsTable;
  meter_events: MeterEventsTable;
  ledger_entries: LedgerEntriesTable;
  recordings: RecordingsTable;
  subject_keys: SubjectKeysTable;
  assistants: AssistantsTable;
  assistant_versions: AssistantVersionsTable;
  assistant_phone_numbers: AssistantPhoneNumbersTable;
  incidents: IncidentsTable;
  price_books: PriceBooksTable;
  invoices: InvoicesTable;
  usage_export_cursors: UsageExportCursorsTable;
  usage_export_dead_letters: UsageExportDeadLettersTable;
}

/** A tenant row as read. */
export type TenantRow = Selectable<TenantsTable>;
/** An API key row as read. */
export type ApiKeyRow = Selectable<ApiKeysTable>;
/** A session row as read. */
export type SessionRow = Selectable<SessionsTable>;
/** A session row as inserted. */
export type NewSessionRow = Insertable<SessionsTable>;
/** Columns of a session that may change. */
export type SessionUpdate = Updateable<SessionsTable>;
/** A turn row as read. */
export type TurnRow = Selectable<TurnsTable>;
/** A session event row as read. */
export type SessionEventRow = Selectable<SessionEventsTable>;
/** An idempotency record as read. */
export type IdempotencyRow = Selectable<IdempotencyRecordsTable>;
/** An audit record as read. */
export type AuditRow = Selectable<AuditRecordsTable>;
export type AuditCheckpointRow = Selectable<AuditCheckpointsTable>;
/** A meter event as read. */
export type MeterEventRow = Selectable<MeterEventsTable>;
/** A ledger entry as read. */
export type LedgerEntryRow = Selectable<LedgerEntriesTable>;
/** A recording row as read. */
export type RecordingRow = Selectable<RecordingsTable>;
/** A row of `assistants`. */
export type AssistantRow = Selectable<AssistantsTable>;
/** A row of `assistant_versions`. */
export type AssistantVersionRow = Selectable<AssistantVersionsTable>;
/** A row of `subject_keys`. */
export type SubjectKeyRow = Selectable<SubjectKeysTable>;
/** An incident row as read. */
export type IncidentRow = Selectable<IncidentsTable>;
/** A price book row as read. */
export type PriceBookRow = Selectable<PriceBooksTable>;
/** An invoice row as read. */
export type InvoiceRow = Selectable<InvoicesTable>;
/** A usage export cursor as read. */
export type UsageExportCursorRow = Selectable<UsageExportCursorsTable>;
/** A usage export dead letter as read. */
export type UsageExportDeadLetterRow = Selectable<UsageExportDeadLettersTable>;
