/**
 * The share of provider requests that failed since the last look, from session events:
 * a request is an agent run's request (`agent.thinking_started`), a segment sent to
 * synthesis (`tts.segment_queued`) or an utterance transcribed (`asr.transcript_final`);
 * a failure is an `asr.error`, `agent.error` or `tts.error`. Too few requests make no rate.
 */
import type { AnyVoiceEvent } from '@prx-voice/event';

/** Provider failures over requests, between two looks. */
export interface ProviderErrorRate {
  /** Counts one session event (a sink of every session). */
  readonly observe: (event: AnyVoiceEvent) => void;
  /** Failures over requests since the last call (undefined under `minRequests`), then starts over. */
  readonly take: () => number | undefined;
}

/** Creates the counter. */
export function createProviderErrorRate(minRequests = 10): ProviderErrorRate {
  let requests = 0;
  let errors = 0;
  return {
    observe: (event) => {
      switch (event.type) {
        case 'prx.voice.agent.thinking_started':
        case 'prx.voice.tts.segment_queued':
        case 'prx.voice.asr.transcript_final':
          requests++;
          return;
        case 'prx.voice.asr.error':
        case 'prx.voice.agent.error':
        case 'prx.voice.tts.error':
          errors++;
          return;
        default:
          return;
      }
    },
    take: () => {
      const seen = Math.max(requests, errors);
      const rate = seen >= minRequests ? errors / seen : undefined;
      requests = 0;
      errors = 0;
      return rate;
    },
  };
}
