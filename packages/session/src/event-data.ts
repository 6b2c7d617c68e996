/** Shapes of event data the reducer writes: registry codes and JSON values. */
import { isErrorCode } from '@prx-voice/types';
import type { ErrorCode } from '@prx-voice/types';

/** A JSON value as events carry it. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A code of the registry (adapters report VoiceError codes; anything else becomes PROVIDER_ERROR). */
export function registryCode(code: string): ErrorCode {
  return isErrorCode(code) ? code : 'PROVIDER_ERROR';
}

/** Tool arguments as an object (events carry a record). */
export function argumentsRecord(args: unknown): Record<string, JsonValue> {
  return args !== null && typeof args === 'object' && !Array.isArray(args)
    ? (JSON.parse(JSON.stringify(args)) as Record<string, JsonValue>)
    : { value: JSON.parse(JSON.stringify(args ?? null)) as JsonValue };
}
