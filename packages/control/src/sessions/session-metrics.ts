/**
 * Feeds the server's metrics from what sessions emit: each session's events pass
 * through this sink (beside the bus and the durable log), so a metric counts exactly
 * what the events report — a turn's latency breakdown, barge-ins, provider errors and
 * fallbacks, dropped audio, recordings and their gaps.
 */
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SloTracker, VoiceMetrics } from '@prx-voice/observe';
import type { TurnLatency } from '@prx-voice/storage';

const STAGES = [
  ['asr_ms', 'asrMs'],
  ['agent_first_token_ms', 'agentFirstTokenMs'],
  ['tts_first_audio_ms', 'ttsFirstAudioMs'],
  ['first_audio_sent_ms', 'firstAudioSentMs'],
  ['voice_to_voice_ms', 'voiceToVoiceMs'],
] as const;

/** A sink that feeds `metrics` from one session's events. */
export function sessionMetricsSink(
  metrics: VoiceMetrics,
  slo?: SloTracker,
): (event: AnyVoiceEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'prx.voice.turn.completed': {
        const latency: { -readonly [K in keyof TurnLatency]: number } = {};
        for (const [field, key] of STAGES) {
          const ms = event.data.latency[field];
          if (ms !== null) latency[key] = ms;
        }
        metrics.observeTurn(latency, event.prxtenantid);
        if (slo !== undefined) {
          const l = event.data.latency;
          if (l.asr_ms !== null) slo.recordLatency('asr_final_latency', l.asr_ms);
          if (l.tts_first_audio_ms !== null)
            slo.recordLatency('tts_first_audio', l.tts_first_audio_ms);
          if (l.voice_to_voice_ms !== null)
            slo.recordLatency('voice_to_voice', l.voice_to_voice_ms);
        }
        return;
      }
      case 'prx.voice.interrupt.issued':
        metrics.bargeIn('issued');
        return;
      case 'prx.voice.interrupt.resolved':
        metrics.bargeIn('resolved');
        return;
      case 'prx.voice.interrupt.false_resumed':
        metrics.bargeIn('false_resumed');
        return;
      case 'prx.voice.asr.error':
      case 'prx.voice.agent.error':
      case 'prx.voice.tts.error':
        metrics.providerError({
          kind:
            event.type === 'prx.voice.asr.error'
              ? 'asr'
              : event.type === 'prx.voice.agent.error'
                ? 'agent'
                : 'tts',
          provider: event.data.provider,
          code: event.data.code,
        });
        return;
      case 'prx.voice.adapter.fallback':
        metrics.fallback({ kind: event.data.kind, from: event.data.from, to: event.data.to });
        return;
      case 'prx.voice.recording.started':
        metrics.recording('started');
        return;
      case 'prx.voice.recording.stopped':
        metrics.recording('stopped');
        return;
      case 'prx.voice.recording.failed':
        metrics.recording(
          event.data.stage === 'chunk' ? 'chunk_failed' : 'finalize_failed',
          event.data.gap_ms,
        );
        return;
      case 'prx.voice.media.audio_dropped':
        metrics.audioDropped(event.data.direction, event.data.reason, event.data.frames);
        return;
      default:
        return;
    }
  };
}
