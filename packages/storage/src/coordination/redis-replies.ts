/**
 * Checks on what Redis sends back: the coordinator trusts no reply's shape, and
 * an unexpected one becomes `VoiceError('INTERNAL')` naming the operation.
 */
import { VoiceError } from '@prx-voice/types';

function unexpected(operation: string, reply: unknown): VoiceError {
  const shown =
    typeof reply === 'string'
      ? reply.slice(0, 80)
      : Array.isArray(reply)
        ? `array(${reply.length})`
        : typeof reply;
  return new VoiceError('INTERNAL', {
    message: `Unexpected reply from Redis to ${operation}`,
    details: { operation, reply: shown },
  });
}

/** An array reply. */
export function replyArray(operation: string, reply: unknown): readonly unknown[] {
  if (!Array.isArray(reply)) throw unexpected(operation, reply);
  return reply;
}

/** A string (bulk) reply. */
export function replyString(operation: string, reply: unknown): string {
  if (typeof reply !== 'string') throw unexpected(operation, reply);
  return reply;
}

/** A finite number, sent as an integer reply or a numeric string. */
export function replyNumber(operation: string, reply: unknown): number {
  const value =
    typeof reply === 'number'
      ? reply
      : typeof reply === 'string' && reply.trim() !== ''
        ? Number(reply)
        : Number.NaN;
  if (!Number.isFinite(value)) throw unexpected(operation, reply);
  return value;
}

/** A safe integer, sent as an integer reply or a numeric string. */
export function replyInteger(operation: string, reply: unknown): number {
  const value = replyNumber(operation, reply);
  if (!Number.isSafeInteger(value)) throw unexpected(operation, reply);
  return value;
}

/** A 0/1 integer reply as a boolean. */
export function replyFlag(operation: string, reply: unknown): boolean {
  if (reply === 0) return false;
  if (reply === 1) return true;
  throw unexpected(operation, reply);
}
