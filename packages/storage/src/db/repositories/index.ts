import type { Kysely } from 'kysely';
import { parseId } from '@prx-voice/types';
import type { IdGenerator, TenantId } from '@prx-voice/types';
import type { Database } from '../schema.js';
import type { NowSource } from '../support.js';
import { apiKeyLookup, apiKeyRepository } from './api-keys.js';
import type { ApiKeyLookup, ApiKeyRepository } from './api-keys.js';
import { assistantRepository } from './assistants.js';
import type { AssistantRepository } from './assistants.js';
import { auditRepository } from './audit.js';
import type { AuditRepository } from './audit.js';
import { billingRepository } from './billing.js';
import type { BillingRepository } from './billing.js';
import { sessionEventWriter } from './event-writer.js';
import type { SessionEventWriter } from './event-writer.js';
import { sessionEventRepository } from './events.js';
import type { SessionEventRepository } from './events.js';
import { idempotencyRepository } from './idempotency.js';
import type { IdempotencyRepository } from './idempotency.js';
import { incidentRepository } from './incidents.js';
import type { IncidentRepository } from './incidents.js';
import { invoiceRepository } from './invoices.js';
import type { InvoiceRepository } from './invoices.js';
import { priceBookRepository } from './price-books.js';
import type { PriceBookRepository } from './price-books.js';
import { recordingRepository } from './recordings.js';
import { sessionRecoveryRepository } from './recovery.js';
import type { SessionRecoveryRepository } from './recovery.js';
import type { RecordingRepository } from './recordings.js';
import { retentionRepository } from './retention.js';
import type { RetentionRepository } from './retention.js';
import { sessionStateWriter } from './session-states.js';
import type { SessionStateWriter } from './session-states.js';
import { sessionRepository } from './sessions.js';
import type { SessionRepository } from './sessions.js';
import { subjectKeyRepository } from './subjects.js';
import type { SubjectKeyRepository } from './subjects.js';
import { phoneNumberLookup } from './phone-numbers.js';
import type { PhoneNumberLookup } from './phone-numbers.js';
import { tenantRepository } from './tenants.js';
import type { TenantRepository } from './tenants.js';
import { turnRepository } from './turns.js';
import type { TurnRepository } from './turns.js';
import { usageExportRepository } from './usage-export.js';
import type { UsageExportRepository } from './usage-export.js';

/** Every repository of one tenant: each query they make is filtered on that tenant. */
export interface TenantRepositories {
  readonly tenantId: TenantId;
  readonly apiKeys: ApiKeyRepository;
  readonly sessions: SessionRepository;
  readonly turns: TurnRepository;
  readonly events: SessionEventRepository;
  readonly idempotency: IdempotencyRepository;
  readonly audit: AuditRepository;
  readonly billing: BillingRepository;
  readonly recordings: RecordingRepository;
  readonly incidents: IncidentRepository;
  readonly invoices: InvoiceRepository;
  /** Deleting the tenant's data past its retention periods. */
  readonly retention: RetentionRepository;
  /** Per-data-subject keys (GDPR erasure by crypto-shredding). */
  readonly subjects: SubjectKeyRepository;
  /** Stored assistants, versioned. */
  readonly assistants: AssistantRepository;
}

/** The entry to the database's repositories. */
export interface Repositories {
  /** Platform level: the tenants themselves. */
  readonly tenants: TenantRepository;
  /** Authentication's cross-tenant lookup of API keys by their public lookup id. */
  readonly apiKeyLookup: ApiKeyLookup;
  /** Inbound routing's cross-tenant lookup of the tenant a phone number belongs to. */
  readonly phoneNumbers: PhoneNumberLookup;
  /** Platform-wide incidents (no tenant). */
  readonly platformIncidents: IncidentRepository;
  /** Sessions whose instance is gone: finding and ending them (every tenant). */
  readonly sessionRecovery: SessionRecoveryRepository;
  /**
   * The event log's writer: events of many sessions of any tenants in one statement
   * (each row names its tenant; reads stay per tenant, through `forTenant`).
   */
  readonly sessionEventWriter: SessionEventWriter;
  /** The session rows' writer: state changes of many sessions of any tenants in one statement. */
  readonly sessionStateWriter: SessionStateWriter;
  /** Billing's price books of tiers and tenant overrides. */
  readonly priceBooks: PriceBookRepository;
  /** The usage export outbox's cursors and dead letters (every tenant). */
  readonly usageExport: UsageExportRepository;
  /** The repositories of one tenant; the tenant id is validated. */
  forTenant(tenantId: TenantId): TenantRepositories;
  /** Deletes expired idempotency records of every tenant; returns how many. */
  purgeExpiredIdempotency(): Promise<number>;
}

/**
 * Builds the repositories over a database.
 *
 * @example
 * const repos = createRepositories({ db, clock, ids });
 * const page = await repos.forTenant(tenantId).sessions.list({ limit: 20 });
 */
export function createRepositories(opts: {
  db: Kysely<Database>;
  clock: NowSource;
  ids: IdGenerator;
}): Repositories {
  const ctx = { db: opts.db, clock: opts.clock, ids: opts.ids };
  return {
    tenants: tenantRepository(ctx),
    apiKeyLookup: apiKeyLookup(ctx),
    phoneNumbers: phoneNumberLookup(ctx),
    platformIncidents: incidentRepository(ctx, null),
    sessionRecovery: sessionRecoveryRepository(ctx),
    sessionEventWriter: sessionEventWriter(ctx),
    sessionStateWriter: sessionStateWriter(ctx),
    priceBooks: priceBookRepository(ctx),
    usageExport: usageExportRepository(ctx),
    forTenant(tenantId) {
      const t = { ...ctx, tenantId: parseId('tenant', tenantId) };
      return {
        tenantId: t.tenantId,
        apiKeys: apiKeyRepository(t),
        sessions: sessionRepository(t),
        turns: turnRepository(t),
        events: sessionEventRepository(t),
        idempotency: idempotencyRepository(t),
        audit: auditRepository(t),
        billing: billingRepository(t),
        recordings: recordingRepository(t),
        incidents: incidentRepository(ctx, t.tenantId),
        invoices: invoiceRepository(t),
        retention: retentionRepository(t),
        subjects: subjectKeyRepository(t),
        assistants: assistantRepository(t),
      };
    },
    async purgeExpiredIdempotency() {
      const r = await opts.db
        .deleteFrom('idempotency_records')
        .where('expires_at', '<=', new Date(opts.clock.now()))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
