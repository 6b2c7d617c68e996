/**
 * The payload schema of every event type, and {@link EventDataMap}, the
 * compile-time map from type to payload.
 */
import type { z } from 'zod';
import type { EventType } from './event-types.js';
import { ADAPTER_DATA_SCHEMAS } from './schemas/adapter.js';
import { AGENT_DATA_SCHEMAS } from './schemas/agent.js';
import { FLOW_DATA_SCHEMAS } from './schemas/flow.js';
import { ASR_DATA_SCHEMAS } from './schemas/asr.js';
import { CALL_DATA_SCHEMAS } from './schemas/call.js';
import { GOVERNANCE_DATA_SCHEMAS } from './schemas/governance.js';
import { HANDOFF_DATA_SCHEMAS } from './schemas/handoff.js';
import { INTERRUPT_DATA_SCHEMAS } from './schemas/interrupt.js';
import { MEDIA_DATA_SCHEMAS } from './schemas/media.js';
import { PLAYBACK_DATA_SCHEMAS } from './schemas/playback.js';
import { RECORDING_DATA_SCHEMAS } from './schemas/recording.js';
import { SESSION_DATA_SCHEMAS } from './schemas/session.js';
import { TTS_DATA_SCHEMAS } from './schemas/tts.js';
import { TURN_DATA_SCHEMAS } from './schemas/turn.js';

/** The zod schema of each event type's `data`; exactly one per protocol type. */
export const EVENT_DATA_SCHEMAS = {
  ...SESSION_DATA_SCHEMAS,
  ...MEDIA_DATA_SCHEMAS,
  ...ASR_DATA_SCHEMAS,
  ...AGENT_DATA_SCHEMAS,
  ...TTS_DATA_SCHEMAS,
  ...PLAYBACK_DATA_SCHEMAS,
  ...INTERRUPT_DATA_SCHEMAS,
  ...TURN_DATA_SCHEMAS,
  ...ADAPTER_DATA_SCHEMAS,
  ...GOVERNANCE_DATA_SCHEMAS,
  ...RECORDING_DATA_SCHEMAS,
  ...HANDOFF_DATA_SCHEMAS,
  ...FLOW_DATA_SCHEMAS,
  ...CALL_DATA_SCHEMAS,
} as const satisfies { readonly [K in EventType]: z.ZodType };

// Fails to compile if a family map carries a type that is not in EVENT_TYPES.
type _ExtraTypes = Exclude<keyof typeof EVENT_DATA_SCHEMAS, EventType>;
const _noExtraTypes: [_ExtraTypes] extends [never] ? true : never = true;

/** Type → the type of its `data`, e.g. `EventDataMap['prx.voice.asr.transcript_final']`. */
export type EventDataMap = {
  readonly [K in EventType]: z.infer<(typeof EVENT_DATA_SCHEMAS)[K]>;
};

/** The `data` of events of type `T`. */
export type EventData<T extends EventType> = EventDataMap[T];

/** The data schema of a type. */
export function dataSchemaOf<T extends EventType>(type: T): (typeof EVENT_DATA_SCHEMAS)[T] {
  return EVENT_DATA_SCHEMAS[type];
}
