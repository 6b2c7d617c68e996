/**
 * `@prx-voice/types` — the vocabulary every PRX Voice package shares: branded
 * IDs, the error-code registry and {@link VoiceError}, enums and PII redaction.
 * No runtime dependencies.
 *
 * @example
 * import { VoiceError } from '@prx-voice/types';
 * throw new VoiceError('SESSION_NOT_FOUND', { details: { session_id } });
 */
export { ERROR_CODES, ERROR_CODE_LIST, errorSpec, isErrorCode } from './error-codes.js';
export type { ErrorCode, ErrorCodeSpec } from './error-codes.js';
export { VoiceError } from './voice-error.js';
export type { ValidationIssue, VoiceErrorBody, VoiceErrorOptions } from './voice-error.js';
export {
  ID_BODY_LENGTH,
  ID_PREFIXES,
  createIdGenerator,
  createSequentialIdGenerator,
  idKindOf,
  idProblem,
  idTimestamp,
  isId,
  parseId,
} from './ids.js';
export type {
  ApiKeyId,
  EventId,
  Id,
  IdGenerator,
  IdGeneratorOptions,
  IdKind,
  RequestId,
  RunId,
  SegmentId,
  SessionId,
  TenantId,
  TurnId,
} from './ids.js';
export {
  ADAPTER_KINDS,
  CHANNELS,
  DIRECTIONS,
  SESSION_OUTCOMES,
  SESSION_STATES,
  SEVERITIES,
  TERMINAL_SESSION_STATES,
  compareSeverity,
  isChannel,
  isDirection,
  isSessionState,
  isSeverity,
  isTerminalState,
} from './enums.js';
export type {
  AdapterKind,
  Channel,
  Direction,
  SessionOutcome,
  SessionState,
  Severity,
} from './enums.js';
export {
  PII_KINDS,
  REDACTION_LEVELS,
  SENSITIVE_KEY_PATTERN,
  findPii,
  hashContent,
  redact,
  redactValue,
} from './redact.js';
export type {
  FindPiiOptions,
  PiiFinding,
  PiiKind,
  RedactOptions,
  RedactValueOptions,
  RedactionLevel,
  RedactionMode,
} from './redact.js';
