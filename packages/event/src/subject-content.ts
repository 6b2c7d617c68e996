/**
 * What of an event's payload is a data subject's content: what the caller said or typed,
 * what the agent answered, tool arguments and results, keys pressed, who a call was handed
 * to. These fields are sealed with the subject's key before an event is stored (see the
 * package README, "Sealed and erased events"), and once the subject is erased they are
 * served as `null`, named in the `prxerased` extension attribute.
 *
 * A field is named by its path in `data`, dot-separated (`error.message`).
 */
import type { EventDataMap } from './data-schemas.js';
import type { EventType } from './event-types.js';

/** The extension attribute naming the `data` fields erased with their subject (comma-separated). */
export const ERASED_ATTRIBUTE = 'prxerased';

/**
 * The string fields of each event type's `data` that carry what the caller or the assistant
 * said: what a credential without `transcript:read` sees as `[redacted]`. Part of
 * {@link SUBJECT_CONTENT_FIELDS}.
 */
export const TRANSCRIPT_FIELDS = {
  'prx.voice.asr.transcript_partial': ['text'],
  'prx.voice.asr.transcript_final': ['text'],
  'prx.voice.agent.token_stream': ['text'],
  'prx.voice.agent.response_complete': ['text'],
  'prx.voice.tts.segment_queued': ['text'],
  'prx.voice.interrupt.issued': ['heard_text'],
  'prx.voice.interrupt.resolved': ['heard_text'],
  'prx.voice.playback.flushed': ['heard_text'],
  'prx.voice.turn.completed': ['user_text', 'assistant_text'],
} as const satisfies { readonly [K in EventType]?: readonly (keyof EventDataMap[K] & string)[] };

/**
 * Event type → the `data` fields that carry a data subject's content: the transcript fields,
 * and tool arguments and results, keys pressed, handoff targets and reasons.
 */
export const SUBJECT_CONTENT_FIELDS: Readonly<Partial<Record<EventType, readonly string[]>>> = {
  ...TRANSCRIPT_FIELDS,
  'prx.voice.agent.tool_call': ['arguments'],
  'prx.voice.agent.tool_result': ['result', 'error.message'],
  'prx.voice.media.dtmf': ['digits'],
  'prx.voice.session.handoff_requested': ['target', 'reason'],
  'prx.voice.session.handoff_completed': ['target'],
  'prx.voice.session.handoff_failed': ['target'],
};

const NONE: readonly string[] = [];

/**
 * The `data` fields of an event type that carry a data subject's content (none for an
 * unknown type).
 *
 * @example
 * subjectContentFields('prx.voice.turn.completed'); // ['user_text', 'assistant_text']
 */
export function subjectContentFields(type: string): readonly string[] {
  return (SUBJECT_CONTENT_FIELDS as Readonly<Record<string, readonly string[]>>)[type] ?? NONE;
}

/** The `data` paths an event says were erased (its `prxerased` attribute), none when absent. */
export function erasedFields(event: Readonly<Record<string, unknown>>): readonly string[] {
  const value = event[ERASED_ATTRIBUTE];
  return typeof value === 'string' && value !== '' ? value.split(',') : NONE;
}
