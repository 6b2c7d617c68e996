import { describe, expect, it } from 'vitest';
import { EVENT_DATA_SCHEMAS } from './data-schemas.js';
import { EVENT_FAMILIES, EVENT_TYPES, eventFamily, isEventType } from './event-types.js';
import { DEFAULT_SEVERITIES } from './severity.js';

// The list of shared/PROTOCOL.md, "Events: CloudEvents 1.0", as written there.
const PROTOCOL_LIST = [
  'prx.voice.session.{created,state_changed,paused,resumed,closed,failed,error,pong}',
  'prx.voice.media.{vad_started,vad_ended,audio_dropped}',
  'prx.voice.asr.{transcript_partial,transcript_final,error}',
  'prx.voice.agent.{thinking_started,token_stream,tool_call,tool_result,response_complete,error}',
  'prx.voice.tts.{segment_queued,chunk_ready,stopped,error}',
  'prx.voice.playback.{started,completed,flushed}',
  'prx.voice.interrupt.{issued,resolved,false_resumed}',
  'prx.voice.turn.completed',
  'prx.voice.adapter.{state_changed,health_check,fallback}',
  'prx.voice.governance.{quota_consumed,quota_exceeded,usage_recorded,degradation_changed}',
  'prx.voice.recording.{started,stopped,failed}',
  'prx.voice.media.dtmf',
  'prx.voice.session.{handoff_requested,handoff_completed,handoff_failed}',
  'prx.voice.flow.{node_entered,node_exited}',
  'prx.voice.session.updated',
  'prx.voice.session.call_status',
];

function expand(pattern: string): string[] {
  const m = /^(.*)\{(.*)\}$/.exec(pattern);
  return m === null ? [pattern] : (m[2] ?? '').split(',').map((name) => `${m[1] ?? ''}${name}`);
}

describe('EVENT_TYPES', () => {
  it('is exactly the protocol list, in its order', () => {
    expect([...EVENT_TYPES]).toEqual(PROTOCOL_LIST.flatMap(expand));
    expect(EVENT_TYPES).toHaveLength(49);
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
  });

  it('has one data schema and one default severity per type, and nothing else', () => {
    expect(Object.keys(EVENT_DATA_SCHEMAS).sort()).toEqual([...EVENT_TYPES].sort());
    expect(Object.keys(DEFAULT_SEVERITIES).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('names each type by a known family', () => {
    for (const type of EVENT_TYPES) expect(EVENT_FAMILIES).toContain(eventFamily(type));
    expect(eventFamily('prx.voice.turn.completed')).toBe('turn');
    expect(eventFamily('prx.voice.governance.usage_recorded')).toBe('governance');
  });

  it('recognizes types', () => {
    expect(isEventType('prx.voice.asr.error')).toBe(true);
    expect(isEventType('prx.voice.asr.nope')).toBe(false);
    expect(isEventType(42)).toBe(false);
  });
});
