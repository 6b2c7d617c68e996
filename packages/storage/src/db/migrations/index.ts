import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as idempotencyLease from './0002-idempotency-lease.js';
import * as billing from './0003-billing.js';
import * as usageExport from './0004-usage-export.js';
import * as auditCheckpoints from './0005-audit-checkpoints.js';
import * as subjects from './0006-subjects.js';
import * as assistants from './0007-assistants.js';
import * as assistantPhoneNumbers from './0008-assistant-phone-numbers.js';
import * as phoneNumberOwner from './0009-phone-number-owner.js';

/**
 * Every migration, in order. Names sort in the order they must run; each is
 * forward-only (no `down`): a schema change ships as a new migration.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-idempotency-lease': idempotencyLease,
  '0003-billing': billing,
  '0004-usage-export': usageExport,
  '0005-audit-checkpoints': auditCheckpoints,
  '0006-subjects': subjects,
  '0007-assistants': assistants,
  '0008-assistant-phone-numbers': assistantPhoneNumbers,
  '0009-phone-number-owner': phoneNumberOwner,
};
