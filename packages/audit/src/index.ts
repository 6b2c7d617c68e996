/**
 * `@prx-voice/audit`: the tamper-evident audit log — each tenant's records in a SHA-256
 * hash chain over canonical JSON, checkpoints of the chains signed with Ed25519 as
 * signed notes (the shape transparency logs publish), and verification that names the
 * first record or checkpoint that does not hold; the retention sweeper, which deletes what is
 * past a tenant's retention periods (audit records only up to a signed checkpoint, the anchor
 * verification then starts from) and records it; crypto-shredding primitives for erasure —
 * per-subject data keys wrapped under a master key, sealed texts and sealed streams; the secret box sealing operator-held secrets (tool credentials).
 *
 * @packageDocumentation
 */
export { canonicalJson } from './canonical-json.js';
export { auditHash, createChainWalker } from './chain.js';
export type { ChainAnchor, ChainBreak, ChainWalker, FirstBadRecord } from './chain.js';
export {
  checkpointBody,
  createCheckpointSigner,
  parsePrivateKey,
  verifyCheckpointNote,
} from './checkpoint.js';
export type { Checkpoint, CheckpointSigner, NoteCheck } from './checkpoint.js';
export { auditOrigin, createAuditLog } from './audit-log.js';
export type {
  AuditAnchor,
  AuditExpiry,
  AuditLog,
  AuditLogOptions,
  AuditVerification,
  BadCheckpoint,
} from './audit-log.js';
export { DEFAULT_RETENTION, createRetentionSweeper, retentionOf } from './retention.js';
export type {
  RetentionPeriods,
  RetentionSweeper,
  RetentionSweeperOptions,
  TenantSweep,
} from './retention.js';
export {
  isSealedText,
  newDataKey,
  openText,
  parseMasterKey,
  sealText,
  subjectRef,
  unwrapKey,
  wrapKey,
} from './sealing.js';
export type { DataKey, OpenFailure } from './sealing.js';
export {
  DEFAULT_CHUNK_BYTES,
  MAX_CHUNK_BYTES,
  SEALED_CONTENT_TYPE,
  openStream,
  sealStream,
  sealedSize,
} from './sealing-stream.js';
export type { SealStreamOptions } from './sealing-stream.js';
export { createSecretBox, isSealedSecret } from './secret-box.js';
export type { SecretBox, SecretBoxOptions } from './secret-box.js';
export { createSubjectKeys } from './subject-keys.js';
export type { SessionSubject, SubjectKeys, SubjectKeysOptions } from './subject-keys.js';
export { transcriptOpener, transcriptSealer } from './transcript-sealing.js';
export { recordingAad, recordingStream } from './recording-objects.js';
export { tarHeader, tarStream } from './tar-writer.js';
export type { TarEntry } from './tar-writer.js';
export { SUBJECT_EXPORT_FORMAT, exportSubject } from './subject-export.js';
export type { ExportedFile, SubjectExport, SubjectExportDeps } from './subject-export.js';
export { eraseSubject } from './subject-erasure.js';
export {
  ERASED_ATTRIBUTE,
  SEALED_ATTRIBUTE,
  SEALED_FIELDS_ATTRIBUTE,
  erasedEvent,
  eventAad,
  isSealedEvent,
  openEventContent,
  sealEventContent,
} from './event-content.js';
export type { EventJson } from './event-content.js';
export { createEventSealing } from './event-sealing.js';
export type { EventSealing, EventSealingOptions } from './event-sealing.js';
export type { SubjectErasure, SubjectErasureDeps } from './subject-erasure.js';
