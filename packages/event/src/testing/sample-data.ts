/** A valid example payload for every event type, for tests that need one. */
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { EventDataMap } from '../data-schemas.js';

const ids = createSequentialIdGenerator(Date.UTC(2026, 0, 1));
const segmentId = ids.next('segment');
const turnId = ids.next('turn');
const recordingId = ids.next('recording');

/** One valid `data` per event type (deterministic IDs), e.g. `SAMPLE_EVENT_DATA['prx.voice.tts.chunk_ready']`. */
export const SAMPLE_EVENT_DATA: EventDataMap = {
  'prx.voice.session.created': {
    channel: 'websocket',
    direction: 'inbound',
    language: 'en-US',
    providers: { asr: 'mock', agent: 'mock', tts: 'mock', vad: 'energy' },
    audio: {
      input: { encoding: 'pcm16', sample_rate: 16_000, channels: 1 },
      output: { encoding: 'pcm16', sample_rate: 24_000, channels: 1 },
    },
  },
  'prx.voice.session.state_changed': {
    from: 'Listening',
    to: 'UserSpeaking',
    trigger: 'vad_started',
  },
  'prx.voice.session.paused': { from: 'Listening', reason: 'api' },
  'prx.voice.session.resumed': { to: 'Listening', paused_ms: 1500 },
  'prx.voice.session.closed': {
    outcome: 'completed',
    reason: 'client_end',
    duration_ms: 61_000,
    turn_count: 4,
  },
  'prx.voice.session.failed': {
    code: 'PROVIDER_UNAVAILABLE',
    message: 'every ASR provider failed',
    from: 'Connecting',
    duration_ms: 5000,
  },
  'prx.voice.session.error': {
    code: 'INVALID_FRAME',
    message: 'unknown frame type "nope"',
    retryable: false,
    details: { type: 'nope' },
  },
  'prx.voice.session.pong': { ping_id: 'p1' },
  'prx.voice.media.vad_started': { at_ms: 1200, probability: 0.91 },
  'prx.voice.media.vad_ended': { at_ms: 2400, speech_ms: 1200 },
  'prx.voice.media.audio_dropped': {
    direction: 'outbound',
    reason: 'backpressure',
    frames: 3,
    duration_ms: 60,
  },
  'prx.voice.asr.transcript_partial': { text: 'hel', start_ms: 1200, end_ms: 1600 },
  'prx.voice.asr.transcript_final': {
    text: 'hello',
    start_ms: 1200,
    end_ms: 2400,
    confidence: 0.97,
  },
  'prx.voice.asr.error': {
    code: 'PROVIDER_TIMEOUT',
    message: 'no transcript within 5000 ms',
    retryable: true,
    provider: 'mock',
    fallback: true,
  },
  'prx.voice.agent.thinking_started': { provider: 'mock', model: 'echo', round: 0 },
  'prx.voice.agent.token_stream': { text: 'You ' },
  'prx.voice.agent.tool_call': {
    call_id: 'call_1',
    name: 'lookup_order',
    arguments: { order_id: 'A-17', verbose: false, tags: ['x'] },
  },
  'prx.voice.agent.tool_result': {
    call_id: 'call_1',
    name: 'lookup_order',
    ok: true,
    result: { status: 'shipped' },
    duration_ms: 42,
  },
  'prx.voice.agent.response_complete': {
    text: 'You said: hello',
    finish_reason: 'stop',
    tool_rounds: 0,
    usage: { input_tokens: 12, output_tokens: 4 },
  },
  'prx.voice.agent.error': {
    code: 'PROVIDER_ERROR',
    message: 'model refused the request',
    retryable: false,
    provider: 'openai',
  },
  'prx.voice.tts.segment_queued': { segment_id: segmentId, text: 'You said: hello.' },
  'prx.voice.tts.chunk_ready': { segment_id: segmentId, bytes: 9600, duration_ms: 200 },
  'prx.voice.tts.stopped': { reason: 'interrupted', segment_id: segmentId },
  'prx.voice.tts.error': {
    code: 'PROVIDER_UNAVAILABLE',
    message: 'connection reset',
    retryable: true,
    provider: 'mock',
    segment_id: segmentId,
  },
  'prx.voice.playback.started': { segment_id: segmentId },
  'prx.voice.playback.completed': { segment_id: segmentId, played_ms: 800 },
  'prx.voice.playback.flushed': { segment_id: segmentId, played_ms: 300, discarded_ms: 1200 },
  'prx.voice.interrupt.issued': { reason: 'barge_in', heard_text: 'You said' },
  'prx.voice.interrupt.resolved': { heard_text: 'You said', played_ms: 300 },
  'prx.voice.interrupt.false_resumed': { segment_id: segmentId, resume_at_ms: 300, waited_ms: 600 },
  'prx.voice.turn.completed': {
    turn_id: turnId,
    user_text: 'hello',
    assistant_text: 'You said: hello',
    interrupted: false,
    latency: {
      asr_ms: 180,
      agent_first_token_ms: 240,
      tts_first_audio_ms: 90,
      first_audio_sent_ms: 5,
      voice_to_voice_ms: 515,
    },
  },
  'prx.voice.adapter.state_changed': {
    kind: 'asr',
    provider: 'mock',
    from: 'connecting',
    to: 'ready',
  },
  'prx.voice.adapter.health_check': {
    kind: 'tts',
    provider: 'mock',
    healthy: true,
    latency_ms: 12,
  },
  'prx.voice.adapter.fallback': {
    kind: 'agent',
    from: 'openai',
    to: 'mock',
    reason: 'timeout',
    code: 'PROVIDER_TIMEOUT',
  },
  'prx.voice.governance.quota_consumed': {
    quota: 'session_minutes',
    used: 120,
    limit: 1000,
    unit: 'minutes',
    window: 'month',
    consumed: 1,
  },
  'prx.voice.governance.quota_exceeded': {
    quota: 'concurrent_sessions',
    used: 10,
    limit: 10,
    unit: 'sessions',
    window: 'instant',
    action: 'deny',
  },
  'prx.voice.governance.usage_recorded': {
    meter: 'tts_characters',
    quantity: 16,
    unit: 'characters',
    provider: 'mock',
    idempotency_key: 'sess_x:seg_y:tts',
  },
  'prx.voice.governance.degradation_changed': {
    from: 0,
    to: 2,
    signal: 'eventLoopLagMs',
    value: 312,
  },
  'prx.voice.recording.started': {
    recording_id: recordingId,
    sample_rate: 24000,
    channels: 2,
    content_type: 'audio/wav',
    chunk_ms: 5000,
  },
  'prx.voice.recording.stopped': {
    recording_id: recordingId,
    duration_ms: 61250,
    size_bytes: 5880044,
    gap_ms: 0,
  },
  'prx.voice.recording.failed': {
    recording_id: recordingId,
    stage: 'chunk',
    chunk: 3,
    gap_ms: 5000,
    message: 'object store unavailable',
  },
  'prx.voice.media.dtmf': {
    digits: '1234',
    source: 'websocket',
    complete: true,
    reason: 'terminator',
  },
};
