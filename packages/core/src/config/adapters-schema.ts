/** The `adapters` section: which ASR, agent, TTS and VAD providers run, and their options. */
import { z } from 'zod';
import { integerIn, numberIn, optionsRecord, recordName } from './schema-helpers.js';

/**
 * The provider `auto`: the server picks the local engine when it is installed
 * (pocketsphinx for ASR, espeak-ng for TTS, the `scripted` agent when
 * `adapters.providers.scripted` holds a script), else `mock`.
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

/** `adapters.vad`: voice activity detection. */
export const vadSchema = z.strictObject({
  provider: z
    .enum(['energy', 'silero'], { error: 'expected "energy" or "silero"' })
    .default('energy'),
  /** Speech score above which a frame counts as speech (0–1). */
  threshold: numberIn(0, 1).default(0.5),
  /** Speech must last this long before speech start is reported. */
  min_speech_ms: integerIn(0, 5_000).default(250),
  /** Silence must last this long before speech end is reported. */
  min_silence_ms: integerIn(0, 10_000).default(500),
  /** Frames whose RMS level (0–1 of full scale) is below this are silence; 0 turns the floor off. */
  min_volume: numberIn(0, 1).default(0),
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
