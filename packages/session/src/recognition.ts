/**
 * The session's recognition stream, for the actor: opened with the provider,
 * language and options in force, its transcripts and usage dispatched as
 * inputs, reopened when a settings change at a turn boundary asks (the old
 * stream is aborted and nothing more of it is dispatched), aborted at the end.
 */
import type { AsrStream } from '@prx-voice/adapter';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import type { AudioInput } from './audio-input.js';
import type { SessionInput } from './model.js';
import type { SessionRuntime } from './run-effects.js';

/** The recognition stream of one session. */
export interface Recognition {
  /** Opens the stream (throws what the provider throws). */
  open(): void;
  /** Replaces the stream by one opened with what is in force now; a failure is an `asr_error`. */
  reopen(): void;
  /** Asks the stream for the final of the audio so far. */
  finalize(): void;
  /** Aborts the stream; nothing more of it is dispatched. */
  close(): void;
}

/** Creates the recognition of a session. */
export function createRecognition(deps: {
  readonly sessionId: string;
  readonly sampleRate: SampleRate;
  readonly runtime: SessionRuntime;
  readonly audioIn: AudioInput;
  readonly dispatch: (input: SessionInput) => void;
}): Recognition {
  const { runtime: rt, audioIn, dispatch } = deps;
  let asr: AsrStream | null = null;
  let usageReports = 0;

  function open(): void {
    const stream = rt.providers.asr.open({
      sampleRate: deps.sampleRate,
      language: rt.language,
      ...(rt.providerOptions.asr === undefined ? {} : { options: rt.providerOptions.asr }),
    });
    asr = stream;
    audioIn.asr = stream;
    void consume(stream);
  }

  async function consume(stream: AsrStream): Promise<void> {
    // Providers report the audio processed so far in the stream: what is new is metered.
    let meteredMs = 0;
    try {
      for await (const e of stream) {
        // A stream replaced or closed says nothing more.
        if (stream !== asr) return;
        if (e.type === 'partial') dispatch({ type: 'asr_partial', text: e.text });
        else if (e.type === 'final') dispatch({ type: 'asr_final', text: e.text });
        else if (e.type === 'usage' && Math.round(e.audioMs) > meteredMs) {
          const soFar = Math.round(e.audioMs);
          usageReports += 1;
          dispatch({
            type: 'provider_usage',
            kind: 'asr',
            quantity: soFar - meteredMs,
            key: `${deps.sessionId}:asr:${String(usageReports)}`,
          });
          meteredMs = soFar;
        }
      }
    } catch (err) {
      if (stream !== asr) return;
      const e = VoiceError.from(err, 'PROVIDER_ERROR');
      dispatch({ type: 'asr_error', code: e.code, message: e.message });
    }
  }

  return {
    open,
    reopen() {
      const old = asr;
      if (old === null) return;
      try {
        open();
      } catch (err) {
        asr = null;
        audioIn.asr = null;
        const e = VoiceError.from(err, 'PROVIDER_ERROR');
        dispatch({ type: 'asr_error', code: e.code, message: e.message });
      }
      old.abort();
    },
    finalize() {
      audioIn.stopStreaming();
      asr?.finalize();
    },
    close() {
      const old = asr;
      asr = null;
      audioIn.asr = null;
      old?.abort();
    },
  };
}
