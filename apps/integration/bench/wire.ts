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

/** The VADs the load bench runs the voice server with. */
export const BENCH_VADS = ['energy', 'silero'] as const;
/** A VAD of {@link BENCH_VADS}. */
export type BenchVad = (typeof BENCH_VADS)[number];

/**
 * How long a frame each VAD scores, ms: the energy VAD scores the caller's 20 ms
 * frames, Silero 32 ms windows (512 samples at 16 kHz) of the stream.
 */
const VAD_FRAME_MS: Readonly<Record<BenchVad, number>> = { energy: FRAME_MS, silero: 32 };

/** The settings the voice server reports (`info` of its child process) that the subtraction needs. */
export interface VoiceDelaySettings {
  readonly vad: BenchVad;
  readonly vadMinSilenceMs: number;
  readonly endpointMinDelayMs: number;
}

/** The configured waits of a voice turn that do not depend on where its speech ended, ms. */
export interface MockDelays {
  readonly vad: BenchVad;
  /** The VAD's frame (its scoring unit). */
  readonly vadFrameMs: number;
  /** The VAD's silence before it reports the end of speech: `min_silence_ms` rounded up to whole VAD frames. */
  readonly vadMs: number;
  /** The endpointing wait, counted from the VAD's silence start. */
  readonly endpointMs: number;
  /** Token delays before the first chunk reaches TTS. */
  readonly agentMs: number;
}

/** Where one turn's speech ended and where the VAD put the silence start, on the caller's audio timeline, ms. */
export interface TurnTimeline {
  /** The end of the caller's last speech frame. */
  readonly speechEndMs: number;
  /** The VAD's silence start (`media.vad_ended` `at_ms`); null: taken as the first VAD frame after the speech. */
  readonly vadSilenceAtMs: number | null;
}

/** The waits inside one turn's voice-to-voice time, ms. */
export interface TurnWaits {
  /** The VAD's silence start minus the speech's end (Silero's judgement; 0 for the energy VAD on a tone). */
  readonly vadLateMs: number;
  /** From the end of the caller's speech (its last frame due) to the first answer audio, were the server instant. */
  readonly clientMs: number;
  /** What the server's own `voice_to_voice_ms` holds of waits (the server's clock starts at the VAD's silence start). */
  readonly serverMs: number;
}

/**
 * The configured waits for the bench's caller (speech, then digital silence)
 * and mock providers:
 * - VAD: `adapters.vad.min_silence_ms` of silence, rounded up to whole VAD
 *   frames, after the VAD's silence start (see {@link turnWaits});
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
  const vadFrameMs = VAD_FRAME_MS[settings.vad];
  return {
    vad: settings.vad,
    vadFrameMs,
    vadMs: Math.ceil(settings.vadMinSilenceMs / vadFrameMs) * vadFrameMs,
    endpointMs: settings.endpointMinDelayMs,
    agentMs: MOCK_REPLY.split(/\s+/).length * MOCK_TOKEN_DELAY_MS,
  };
}

/**
 * One turn's waits. The VAD's silence starts at `vadSilenceAtMs` (S: for the
 * energy VAD on a tone, the speech's end E; Silero puts it at a window
 * boundary, where its model stops hearing speech); it can report the end once
 * `vadMs` more audio is scored, which it has when the caller's frame holding
 * that audio arrives: at audio position H = S + `vadMs` rounded up to whole
 * caller frames, H − E after the speech's end in real time. The server dates
 * the silence start back by the audio it holds past S (H − S): endpointing then
 * ends at S + `endpointMs`, the agent's first chunk comes at H + `agentMs`; the
 * answer at the later of the two. The wait from the speech's end is that minus
 * E; the server counts from S. Silero's scoring time is work, not a wait: it
 * stays in the overhead.
 */
export function turnWaits(d: MockDelays, turn: TurnTimeline): TurnWaits {
  const start = turn.vadSilenceAtMs ?? Math.ceil(turn.speechEndMs / d.vadFrameMs) * d.vadFrameMs;
  const heard = Math.ceil((start + d.vadMs) / FRAME_MS) * FRAME_MS;
  const serverMs = Math.max(d.endpointMs, heard - start + d.agentMs);
  const vadLateMs = start - turn.speechEndMs;
  return { vadLateMs, clientMs: vadLateMs + serverMs, serverMs };
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
  const vad = BENCH_VADS.find((v) => v === info['vad_provider']);
  if (vad === undefined) {
    throw new Error(
      `bench: expects the ${BENCH_VADS.join(' or ')} VAD (named, so the waits are known); the server runs ${String(info['vad_provider'])}`,
    );
  }
  return {
    vad,
    vadMinSilenceMs: number('vad_min_silence_ms'),
    endpointMinDelayMs: number('endpoint_min_delay_ms'),
  };
}
