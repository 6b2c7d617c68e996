/**
 * Maps what ioredis throws to `VoiceError`: lost or refused connections and a
 * Redis that is loading, read-only or failing over are `STORAGE_UNAVAILABLE`
 * (retryable); other error replies (a bug on our side) are `INTERNAL`.
 */
import { VoiceError } from '@prx-voice/types';

/** Error replies that mean "Redis cannot serve this right now". */
const UNAVAILABLE_REPLY =
  /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MISCONF)\b/;

/** Whether an error is a Redis error reply rather than a connection problem. */
function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Converts a failure of `operation` into a `VoiceError` (a VoiceError passes through). */
export function toVoiceError(error: unknown, operation: string): VoiceError {
  if (VoiceError.is(error)) return error;
  if (isReplyError(error) && !UNAVAILABLE_REPLY.test(error.message)) {
    return new VoiceError('INTERNAL', {
      message: `Redis rejected ${operation}: ${error.message}`,
      details: { operation },
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new VoiceError('STORAGE_UNAVAILABLE', {
    message: `Redis is unavailable (${operation}): ${reason}`,
    details: { operation },
    cause: error,
  });
}

/** Whether an error reply says the script is not cached (EVALSHA needs EVAL). */
export function isNoScriptError(error: unknown): boolean {
  return isReplyError(error) && error.message.startsWith('NOSCRIPT');
}
