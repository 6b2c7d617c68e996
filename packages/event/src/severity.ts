/** Default `prxseverity` per event type. */
import type { Severity } from '@prx-voice/types';
import type { EventType } from './event-types.js';

/**
 * The severity an event gets unless the emitter says otherwise: high-rate
 * streaming events are `debug`, errors `error`, a failed session `critical`,
 * degradations and drops `warn`, everything else `info`.
 */
export const DEFAULT_SEVERITIES = {
  'prx.voice.session.created': 'info',
  'prx.voice.session.state_changed': 'info',
  'prx.voice.session.paused': 'info',
  'prx.voice.session.resumed': 'info',
  'prx.voice.session.closed': 'info',
  'prx.voice.session.failed': 'critical',
  'prx.voice.session.error': 'error',
  'prx.voice.session.pong': 'debug',
  'prx.voice.media.vad_started': 'info',
  'prx.voice.media.vad_ended': 'info',
  'prx.voice.media.audio_dropped': 'warn',
  'prx.voice.asr.transcript_partial': 'debug',
  'prx.voice.asr.transcript_final': 'info',
  'prx.voice.asr.error': 'error',
  'prx.voice.agent.thinking_started': 'info',
  'prx.voice.agent.token_stream': 'debug',
  'prx.voice.agent.tool_call': 'info',
  'prx.voice.agent.tool_result': 'info',
  'prx.voice.agent.response_complete': 'info',
  'prx.voice.agent.error': 'error',
  'prx.voice.tts.segment_queued': 'debug',
  'prx.voice.tts.chunk_ready': 'debug',
  'prx.voice.tts.stopped': 'info',
  'prx.voice.tts.error': 'error',
  'prx.voice.playback.started': 'info',
  'prx.voice.playback.completed': 'info',
  'prx.voice.playback.flushed': 'info',
  'prx.voice.interrupt.issued': 'info',
  'prx.voice.interrupt.resolved': 'info',
  'prx.voice.interrupt.false_resumed': 'info',
  'prx.voice.turn.completed': 'info',
  'prx.voice.adapter.state_changed': 'info',
  'prx.voice.adapter.health_check': 'debug',
  'prx.voice.adapter.fallback': 'warn',
  'prx.voice.governance.quota_consumed': 'debug',
  'prx.voice.governance.quota_exceeded': 'warn',
  'prx.voice.governance.usage_recorded': 'debug',
  'prx.voice.governance.degradation_changed': 'warn',
  'prx.voice.recording.started': 'info',
  'prx.voice.recording.stopped': 'info',
  'prx.voice.recording.failed': 'error',
  'prx.voice.media.dtmf': 'info',
  'prx.voice.session.handoff_requested': 'info',
  'prx.voice.session.handoff_completed': 'info',
  'prx.voice.session.handoff_failed': 'warn',
  'prx.voice.flow.node_entered': 'info',
  'prx.voice.flow.node_exited': 'info',
  'prx.voice.session.updated': 'info',
  'prx.voice.session.call_status': 'info',
} as const satisfies Readonly<Record<EventType, Severity>>;

/** The default severity of a type. */
export function defaultSeverity(type: EventType): Severity {
  return DEFAULT_SEVERITIES[type];
}
