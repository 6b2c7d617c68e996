/**
 * What the load bench sends and expects on the wire, and the mock providers'
 * settings it asks for — one place, so the client, the echo baseline and the
 * delay subtraction agree.
 */

/** Frame length of the caller's audio and of the servers' output, ms. */
export const FRAME_MS = 20;
/** The caller's audio: PCM16 mono at 16 kHz (the session WebSocket's default input). */
export const INPUT_RATE = 16_000;
/** Bytes of one inbound frame. */
export const INPUT_FRAME_BYTES = (INPUT_RATE / 1000) * FRAME_MS * 2;
/** The output: PCM16 mono at 24 kHz (the default output), bytes per ms. */
export const OUTPUT_BYTES_PER_MS = (24_000 / 1000) * 2;
/**
 * How far the server's output pacer runs ahead of the listener: the session
 * actor's default (`outputLeadMs ?? 200` in `@prx-voice/session`'s actor), which
 * the server does not override. The echo baseline paces by the same rule.
 */
export const PACER_LEAD_MS = 200;

/** What the mock ASR transcribes every utterance as. */
export const MOCK_TRANSCRIPT = 'hello';
/** The mock agent's delay before each token, ms (its default, asked for explicitly). */
export const MOCK_TOKEN_DELAY_MS = 20;
/** The mock agent's answer (`You said: {text}`, one word per token). */
export const MOCK_REPLY = `You said: ${MOCK_TRANSCRIPT}`;

/** The `provider_options` of every bench session. */
export const BENCH_PROVIDER_OPTIONS = {
  asr: { transcript: MOCK_TRANSCRIPT },
  agent: { token_delay_ms: MOCK_TOKEN_DELAY_MS },
} as const;

/** The settings the voice server reports (`info` of its child process) that the subtraction needs. */
export interface VoiceDelaySettings {
  readonly vadMinSilenceMs: number;
  readonly endpointMinDelayMs: number;
}

/** The parts of a voice turn's latency that are configured waits, not work, ms. */
export interface MockDelays {
  /** The VAD's silence before it reports the end of speech. */
  readonly vadMs: number;
  /** The endpointing wait after that, before the transcript is finalized. */
  readonly endpointMs: number;
  /** Token delays before the first chunk reaches TTS. */
  readonly agentMs: number;
  /** All of them: what a voice-to-voice time minus this leaves is orchestration. */
  readonly totalMs: number;
}

/**
 * The configured waits inside a voice turn's voice-to-voice time, for the bench's
 * caller (continuous speech, then digital silence) and mock providers:
 * - VAD: `adapters.vad.min_silence_ms` of silence frames before `speech_end`,
 *   rounded up to whole frames (the energy VAD scores 20 ms frames);
 * - endpointing: `session.endpointing.min_delay_ms` of silence, counted from the
 *   VAD's silence start (the mock reply sounds finished and the caller never
 *   pauses inside an utterance, so the adaptive delay stays at its minimum);
 * - agent: started speculatively when the VAD reports the silence; the mock reply
 *   has no sentence end, so the sentence chunker hands it to TTS only when the
 *   agent is done — after every token's delay. Its audio is held until the end
 *   of turn, so the wait is the longer of the two;
 * - ASR and TTS mocks have no delays (final at finalize, audio at once).
 */
export function mockDelays(settings: VoiceDelaySettings): MockDelays {
  const vadMs = Math.ceil(settings.vadMinSilenceMs / FRAME_MS) * FRAME_MS;
  const endpointMs = settings.endpointMinDelayMs;
  const agentMs = MOCK_REPLY.split(/\s+/).length * MOCK_TOKEN_DELAY_MS;
  return { vadMs, endpointMs, agentMs, totalMs: Math.max(endpointMs, vadMs + agentMs) };
}

/** Reads the delay settings from the voice server child's `info`; a missing one is an error. */
export function delaySettingsOf(
  info: Readonly<Record<string, string | number>>,
): VoiceDelaySettings {
  const number = (key: string): number => {
    const value = info[key];
    if (typeof value !== 'number') {
      throw new Error(`bench: the voice server did not report ${key} (got ${String(value)})`);
    }
    return value;
  };
  if (info['vad_provider'] !== 'energy') {
    throw new Error(
      `bench: expects the energy VAD (its 20 ms frames make the VAD wait exact); the server runs ${String(info['vad_provider'])}`,
    );
  }
  return {
    vadMinSilenceMs: number('vad_min_silence_ms'),
    endpointMinDelayMs: number('endpoint_min_delay_ms'),
  };
}
