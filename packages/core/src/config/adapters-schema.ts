/** The `adapters` section: which ASR, agent, TTS and VAD providers run, and their options. */
import { z } from 'zod';
import { integerIn, numberIn, optionsRecord, recordName } from './schema-helpers.js';

/**
 * The provider `auto`: the server picks the local engine when it is installed
 * (pocketsphinx for ASR, espeak-ng for TTS, the `scripted` agent when
 * `adapters.providers.scripted` holds a script), else `mock`; for the VAD,
 * `silero` when onnxruntime-node and the Silero model load, else `energy`.
 * Decided once at start-up.
 */
export const AUTO_PROVIDER = 'auto';

/** One stage's provider chain: the primary, then fallbacks tried in order. */
export const adapterChainSchema = z
  .strictObject({
    provider: recordName('provider').default(AUTO_PROVIDER),
    fallbacks: z
      .array(recordName('provider'), { error: 'expected a list of provider names' })
      .default([]),
    options: optionsRecord(),
  })
  .superRefine((chain, ctx) => {
    const seen = new Set<string>([chain.provider]);
    chain.fallbacks.forEach((name, index) => {
      if (seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fallbacks', index],
          message: `expected each provider once in the chain ("${name}" is already in it)`,
        });
      }
      seen.add(name);
    });
  });

/**
 * `adapters.vad`: voice activity detection, `auto` (the default, see
 * {@link AUTO_PROVIDER}), `energy` or `silero`. The VAD marks speech start and end
 * on the audio; the session does its own endpointing (and barge-in policy) on
 * top of these events, so the defaults favour a fast, sensitive VAD. They were
 * measured with both VADs on speech-like test signals and espeak-ng speech at
 * peaks of −12 to −36 dBFS over a quiet line and 10 dB over noise beds (white,
 * pink, brown, hum, a chord), at 8 and 16 kHz:
 * - `min_speech_ms` 120: every utterance, a 300 ms "yes" included, is heard,
 *   the energy VAD's onset 21 ms after the sound's on average; at 150 ms a
 *   "yes" at −36 dBFS was lost and onsets came 66 ms late, at 200 ms 20 of 98
 *   utterances over noise were lost. Trains of clicks are still rejected, and
 *   barge-in is confirmed by the session's `session.interruption` policy.
 * - `min_silence_ms` 250: speech end is reported a quarter second after the
 *   speech stops; Silero split six spoken sentences only at their full stops,
 *   where at 200 ms it also split one at a comma (the session merges speech
 *   that resumes before it has answered, so a split costs little either way).
 * - `max_dip_ms` 100: a syllable gap or a plosive's closure (40–100 ms) does
 *   not reset a starting run; a click train still cannot start one.
 * - `threshold` 0.5: Silero's recommended value; the energy VAD's score is 0.5
 *   at 7 dB above its noise floor.
 */
export const vadSchema = z.strictObject({
  provider: z
    .enum([AUTO_PROVIDER, 'energy', 'silero'], { error: 'expected "auto", "energy" or "silero"' })
    .default(AUTO_PROVIDER),
  /** Speech score at or above which a frame counts as speech (0–1). */
  threshold: numberIn(0, 1).default(0.5),
  /** Speech frames must add up to this long (short dips not counted) before speech start is reported. */
  min_speech_ms: integerIn(0, 5_000).default(120),
  /** Silence must last this long before speech end is reported. */
  min_silence_ms: integerIn(0, 10_000).default(250),
  /** Longest dip (a syllable gap, a plosive) that does not reset a starting run of speech. */
  max_dip_ms: integerIn(0, 1_000).default(100),
  /**
   * Frames whose RMS level (0–1 of full scale) is below this are silence whatever the model
   * says; 0 turns the floor off. Default 0.0003 (about −70 dBFS, below any microphone's
   * noise): Silero's probability climbs again on exact digital zeros after quiet speech,
   * which ended −30 dBFS speech about 700 ms late without it.
   */
  min_volume: numberIn(0, 1).default(0.0003),
  /**
   * Worker threads that run the Silero model (per process): 0 (the default) for one per
   * core (`os.availableParallelism()`) up to 8. Each stream stays on the worker it was given
   * (the one with the fewest streams), and a worker runs the windows ready from all its
   * streams in one batch.
   */
  silero_workers: integerIn(0, 64).default(0),
});

/** The `adapters` section. */
export const adaptersSchema = z.strictObject({
  asr: adapterChainSchema.prefault({}),
  agent: adapterChainSchema.prefault({}),
  tts: adapterChainSchema.prefault({}),
  vad: vadSchema.prefault({}),
  /** Per-provider settings shared by every stage: credentials, base URLs, regions. */
  providers: z
    .record(
      recordName('provider'),
      z.record(z.string(), z.unknown(), { error: 'expected a mapping of option names to values' }),
      {
        error: 'expected a mapping of provider names to options',
      },
    )
    .default({}),
});

/** The validated `adapters` section. */
export type AdaptersConfig = z.output<typeof adaptersSchema>;
/** The validated provider chain of one stage (`adapters.asr`, `.agent`, `.tts`). */
export type AdapterChainConfig = z.output<typeof adapterChainSchema>;
/** The validated `adapters.vad` block. */
export type VadConfig = z.output<typeof vadSchema>;
