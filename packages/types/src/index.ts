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
export type { VoiceErrorBody, VoiceErrorOptions } from './voice-error.js';
