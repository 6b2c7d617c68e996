/**
 * `@prx-voice/storage` — everything PRX Voice persists or coordinates through:
 * the Kysely database (embedded PGlite or PostgreSQL) with migrations and
 * tenant-scoped repositories, coordination (in-process or Redis) and object
 * storage (filesystem or S3).
 *
 * The drivers are optional peer dependencies, loaded only when configured:
 * `@electric-sql/pglite` (the embedded default), `pg` (PostgreSQL), `ioredis`
 * (`@prx-voice/storage/redis`) and the AWS SDK (`@prx-voice/storage/s3`).
 *
 * @example
 * const handle = await openDatabase(databaseTarget({ databaseUrl: process.env.DATABASE_URL, dataDir: '.data' }));
 * await migrateToLatest(handle.db);
 * const repos = createRepositories({ db: handle.db, clock, ids });
 */

// Database
export { databaseTarget, migrateToLatest, openDatabase } from './db/connect.js';
export type {
  DatabaseHandle,
  DatabaseTarget,
  MigrationReport,
  PGliteThread,
} from './db/connect.js';
export type {
  ApiKeyRow,
  ApiKeysTable,
  AuditCheckpointsTable,
  AuditRecordsTable,
  AuditCheckpointRow,
  AuditRow,
  Database,
  IdempotencyRecordsTable,
  IncidentsTable,
  InvoiceLine,
  InvoicesTable,
  LedgerEntriesTable,
  MeterEventsTable,
  PriceBooksTable,
  RecordingsTable,
  SubjectKeysTable,
  AssistantPhoneNumbersTable,
  AssistantsTable,
  AssistantVersionsTable,
  SessionEventsTable,
  SessionsTable,
  TenantsTable,
  TurnsTable,
  IdempotencyRow,
  IncidentRow,
  InvoiceRow,
  LedgerEntryRow,
  MeterEventRow,
  PriceBookRow,
  RecordingRow,
  SubjectKeyRow,
  AssistantRow,
  AssistantVersionRow,
  SessionEventRow,
  SessionRow,
  TenantRow,
  TurnRow,
  UsageExportCursorRow,
  UsageExportCursorsTable,
  UsageExportDeadLetterRow,
  UsageExportDeadLettersTable,
} from './db/schema.js';
export { MAX_PAGE_SIZE, isTransientStorageError } from './db/support.js';
export type { NowSource, Page, PageOptions } from './db/support.js';
export { createRepositories } from './db/repositories/index.js';
export type { Repositories, TenantRepositories } from './db/repositories/index.js';
export type { ApiKeyLookup, ApiKeyRepository, NewApiKey } from './db/repositories/api-keys.js';
export type { PhoneNumberLookup, PhoneNumberOwner } from './db/repositories/phone-numbers.js';
export { AUDIT_GENESIS_HASH } from './db/repositories/audit.js';
export type {
  AuditChainInput,
  AuditCheckpointListOptions,
  AuditListOptions,
  AuditRepository,
  NewAuditCheckpoint,
  NewAuditRecord,
} from './db/repositories/audit.js';
export { PERIOD as BILLING_PERIOD, MAX_METER_EVENTS_PER_WRITE } from './db/repositories/billing.js';
export type {
  BillingRepository,
  NewLedgerEntry,
  NewMeterEvent,
  Recorded,
  RecordedMany,
  UsageTotal,
} from './db/repositories/billing.js';
export type { NewSessionEvent, SessionEventRepository } from './db/repositories/events.js';
export { MAX_EVENT_ROWS_PER_WRITE } from './db/repositories/event-writer.js';
export { MAX_STATE_UPDATES_PER_WRITE } from './db/repositories/session-states.js';
export type { SessionStateUpdate, SessionStateWriter } from './db/repositories/session-states.js';
export type {
  AppendManyResult,
  SessionEventWriter,
  SkippedSessionEvent,
  TenantSessionEvent,
} from './db/repositories/event-writer.js';
export type {
  AbandonedSessionEnd,
  AbandonedSessionEnded,
  SessionRecoveryRepository,
} from './db/repositories/recovery.js';
export type {
  IdempotencyBegin,
  IdempotencyKeyRef,
  IdempotencyRepository,
} from './db/repositories/idempotency.js';
export type { IncidentRepository, NewIncident } from './db/repositories/incidents.js';
export type { InvoiceRepository, NewInvoice } from './db/repositories/invoices.js';
export type {
  NewPriceBook,
  PriceBookRepository,
  PriceBookScope,
} from './db/repositories/price-books.js';
export type { NewRecording, RecordingRepository } from './db/repositories/recordings.js';
export type { BillingDeleted, RetentionRepository } from './db/repositories/retention.js';
export type { SubjectKeyRepository } from './db/repositories/subjects.js';
export type { AssistantDraft, AssistantRepository } from './db/repositories/assistants.js';
export type {
  NewSession,
  SessionListOptions,
  SessionPatch,
  SessionRepository,
} from './db/repositories/sessions.js';
export type { NewTenant, TenantPatch, TenantRepository } from './db/repositories/tenants.js';
export type {
  NewTurn,
  TurnCompletion,
  TurnLatency,
  TurnRepository,
} from './db/repositories/turns.js';
export { MAX_USAGE_EXPORT_BATCH } from './db/repositories/usage-export.js';
export type {
  UsageExportDeadLetterInput,
  UsageExportPosition,
  UsageExportReadOptions,
  UsageExportRepository,
} from './db/repositories/usage-export.js';

// Coordination
export { DEFAULT_STREAM_RETENTION_MS } from './coordination/coordinator.js';
export type {
  AcquireLeaseRequest,
  AppendOptions,
  BoundedIncrementResult,
  Coordinator,
  CounterOptions,
  Lease,
  LeaseResult,
  MessageHandler,
  ReadAfterOptions,
  RenewLeaseRequest,
  StreamEntry,
  TakeTokensRequest,
  TakeTokensResult,
  TrimOptions,
  Unsubscribe,
} from './coordination/coordinator.js';
export { createLeaseKeeper } from './coordination/lease-keeper.js';
export type { LeaseKeeper, LeaseKeeperOptions, LeaseLoss } from './coordination/lease-keeper.js';
export { createMemoryCoordinator } from './coordination/memory-coordinator.js';
export type { MemoryCoordinatorOptions } from './coordination/memory-coordinator.js';
export { MemoryCoordinationHub } from './coordination/memory-hub.js';
export type { MemoryCoordinationHubOptions } from './coordination/memory-hub.js';

// Object store
export type {
  ListObjectsOptions,
  ListObjectsResult,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutObjectOptions,
} from './object-store/object-store.js';
export {
  OBJECT_KINDS,
  objectKey,
  parseObjectKey,
  tenantPrefix,
} from './object-store/object-key-layout.js';
export type {
  ObjectKeyParts,
  ObjectKind,
  ParsedObjectKey,
} from './object-store/object-key-layout.js';
export { createFilesystemObjectStore } from './object-store/filesystem-object-store.js';
export type { FilesystemObjectStoreOptions } from './object-store/filesystem-object-store.js';

// Composition from configuration
export { openStorage } from './open-storage.js';
export type { StorageServices } from './open-storage.js';
export { startEmbeddedMaintenance } from './db/embedded-maintenance.js';
export type { EmbeddedMaintenance, MaintainedTable } from './db/embedded-maintenance.js';
