/**
 * The event types of the public contract (`shared/PROTOCOL.md`, "Events"):
 * the complete, fixed list, grouped by family.
 */

/** Every CloudEvents `type` PRX Voice emits, in protocol order. */
export const EVENT_TYPES = [
  'prx.voice.session.created',
  'prx.voice.session.state_changed',
  'prx.voice.session.paused',
  'prx.voice.session.resumed',
  'prx.voice.session.closed',
  'prx.voice.session.failed',
  'prx.voice.session.error',
  'prx.voice.session.pong',
  'prx.voice.media.vad_started',
  'prx.voice.media.vad_ended',
  'prx.voice.media.audio_dropped',
  'prx.voice.asr.transcript_partial',
  'prx.voice.asr.transcript_final',
  'prx.voice.asr.error',
  'prx.voice.agent.thinking_started',
  'prx.voice.agent.token_stream',
  'prx.voice.agent.tool_call',
  'prx.voice.agent.tool_result',
  'prx.voice.agent.response_complete',
  'prx.voice.agent.error',
  'prx.voice.tts.segment_queued',
  'prx.voice.tts.chunk_ready',
  'prx.voice.tts.stopped',
  'prx.voice.tts.error',
  'prx.voice.playback.started',
  'prx.voice.playback.completed',
  'prx.voice.playback.flushed',
  'prx.voice.interrupt.issued',
  'prx.voice.interrupt.resolved',
  'prx.voice.interrupt.false_resumed',
  'prx.voice.turn.completed',
  'prx.voice.adapter.state_changed',
  'prx.voice.adapter.health_check',
  'prx.voice.adapter.fallback',
  'prx.voice.governance.quota_consumed',
  'prx.voice.governance.quota_exceeded',
  'prx.voice.governance.usage_recorded',
  'prx.voice.governance.degradation_changed',
  'prx.voice.recording.started',
  'prx.voice.recording.stopped',
  'prx.voice.recording.failed',
  'prx.voice.media.dtmf',
  'prx.voice.session.handoff_requested',
  'prx.voice.session.handoff_completed',
  'prx.voice.session.handoff_failed',
  'prx.voice.flow.node_entered',
  'prx.voice.flow.node_exited',
  'prx.voice.session.updated',
  'prx.voice.session.call_status',
] as const;

/** A protocol event type. */
export type EventType = (typeof EVENT_TYPES)[number];

/** The families of event types (the segment after `prx.voice.`). */
export const EVENT_FAMILIES = [
  'session',
  'media',
  'asr',
  'agent',
  'tts',
  'playback',
  'interrupt',
  'turn',
  'adapter',
  'governance',
  'recording',
  'flow',
] as const;

/** An event family. */
export type EventFamily = (typeof EVENT_FAMILIES)[number];

/** The prefix every PRX Voice event type starts with. */
export const EVENT_TYPE_PREFIX = 'prx.voice.';

const TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/** Whether a value is one of the protocol's event types. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && TYPE_SET.has(value);
}

/** The family of an event type: `prx.voice.asr.error` → `asr`. */
export function eventFamily(type: EventType): EventFamily {
  return type.slice(
    EVENT_TYPE_PREFIX.length,
    type.indexOf('.', EVENT_TYPE_PREFIX.length),
  ) as EventFamily;
}
