/**
 * `@prx-voice/audit`: the tamper-evident audit log — each tenant's records in a SHA-256
 * hash chain over canonical JSON, checkpoints of the chains signed with Ed25519 as
 * signed notes (the shape transparency logs publish), and verification that names the
 * first record or checkpoint that does not hold; the retention sweeper, which deletes what is
 * past a tenant's retention periods and records it.
 *
 * @packageDocumentation
 */
export { canonicalJson } from './canonical-json.js';
export { auditHash, createChainWalker } from './chain.js';
export type { ChainBreak, ChainWalker, FirstBadRecord } from './chain.js';
export {
  checkpointBody,
  createCheckpointSigner,
  parsePrivateKey,
  verifyCheckpointNote,
} from './checkpoint.js';
export type { Checkpoint, CheckpointSigner, NoteCheck } from './checkpoint.js';
export { auditOrigin, createAuditLog } from './audit-log.js';
export type { AuditLog, AuditLogOptions, AuditVerification, BadCheckpoint } from './audit-log.js';
export { DEFAULT_RETENTION, createRetentionSweeper, retentionOf } from './retention.js';
export type {
  RetentionPeriods,
  RetentionSweeper,
  RetentionSweeperOptions,
  TenantSweep,
} from './retention.js';
