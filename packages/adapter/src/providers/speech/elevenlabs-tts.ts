/**
 * ElevenLabs text-to-speech over its streaming REST endpoint
 * (`POST /v1/text-to-speech/{voice_id}/stream`) with `output_format=pcm_{rate}`:
 * raw 16-bit mono little-endian audio, streamed back as it is synthesized.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import type { TtsProvider } from '../../interfaces.js';
import type { SpeechEnvironment } from './credentials.js';
import { createHttpPcmTts, offeredRateFor } from './http-pcm-tts.js';
import type { FetchFunction } from './http-pcm-tts.js';

const PROVIDER = 'elevenlabs';

/** The `pcm_*` rates ElevenLabs offers that the media layer supports (it also has 32 kHz). */
const ELEVENLABS_RATES = [
  8000, 16000, 22050, 24000, 44100, 48000,
] as const satisfies readonly SampleRate[];

/** A voice setting between 0 and 1. */
const unitSchema = z.number().min(0).max(1);

/** The options of the ElevenLabs TTS (`tts.options`). */
const elevenLabsTtsOptionsSchema = z.object({
  /** Voice id (default `JBFqnCBsd6RMkjVDRZzb`, the premade "George"); a request's `voice` overrides it. */
  voice_id: z.string().min(1).max(100).default('JBFqnCBsd6RMkjVDRZzb'),
  /** Model (default `eleven_flash_v2_5`, the low-latency one). */
  model_id: z.string().min(1).default('eleven_flash_v2_5'),
  /** ISO 639-1 language to enforce (Flash/Turbo v2.5 models only; others refuse it). */
  language_code: z
    .string()
    .regex(/^[a-z]{2,3}$/, 'expected an ISO 639-1 code such as en')
    .optional(),
  /** `voice_settings.stability`, 0–1. */
  stability: unitSchema.optional(),
  /** `voice_settings.similarity_boost`, 0–1. */
  similarity_boost: unitSchema.optional(),
  /** `voice_settings.style` (style exaggeration), 0–1. */
  style: unitSchema.optional(),
  /** `voice_settings.use_speaker_boost`. */
  use_speaker_boost: z.boolean().optional(),
  /** `voice_settings.speed`, 0.7–1.2 (1 is normal). */
  speed: z.number().min(0.7).max(1.2).optional(),
  /**
   * Highest PCM rate to ask for (default 48000). ElevenLabs reserves 44.1 kHz
   * PCM for its Pro plan and above: on lower plans set 24000, and higher
   * requested rates are resampled from it.
   */
  max_sample_rate: z.literal(ELEVENLABS_RATES).default(48000),
  /** API origin (default `https://api.elevenlabs.io`). */
  base_url: z.url({ protocol: /^https?$/ }).default('https://api.elevenlabs.io'),
  /** API key; defaults to `ELEVENLABS_API_KEY`. */
  api_key: z.string().min(1).optional(),
  /** Longest wait for the answer and between its audio chunks, ms (default 5000). */
  first_byte_timeout_ms: z.number().positive().max(120_000).default(5_000),
});

type ElevenLabsTtsOptions = z.output<typeof elevenLabsTtsOptionsSchema>;

/** What {@link createElevenLabsTts} needs. */
export interface ElevenLabsTtsDeps {
  /** Times the first-byte and between-chunk timeouts. */
  readonly clock: Clock;
  /** Where `ELEVENLABS_API_KEY` is read (default `process.env`). */
  readonly env?: SpeechEnvironment;
  /** The HTTP client (default the global `fetch`). */
  readonly fetch?: FetchFunction;
}

/**
 * The ElevenLabs PCM rate to ask for when `rate` is requested: `rate` itself
 * unless it is above `max` (default 48000), else the highest offered rate up
 * to `max`.
 */
export function elevenLabsRateFor(rate: SampleRate, max: SampleRate = 48000): SampleRate {
  return offeredRateFor(
    rate,
    ELEVENLABS_RATES.filter((offered) => offered <= max),
  );
}

/** `voice_settings` with only the settings that are set; undefined when none is. */
function voiceSettingsOf(options: ElevenLabsTtsOptions): Record<string, unknown> | undefined {
  const settings = Object.fromEntries(
    (['stability', 'similarity_boost', 'style', 'use_speaker_boost', 'speed'] as const)
      .filter((name) => options[name] !== undefined)
      .map((name) => [name, options[name]]),
  );
  return Object.keys(settings).length === 0 ? undefined : settings;
}

/**
 * Creates the `elevenlabs` TTS provider. The endpoint takes the whole text, so
 * a text stream is collected first and sent in one request. Audio is asked for
 * as `pcm_{rate}` at the requested rate (ElevenLabs offers every rate of the
 * media layer), or, above `max_sample_rate`, at that cap and resampled; it is
 * yielded as it arrives, then `usage` with the characters sent. ElevenLabs'
 * error `detail` reaches the VoiceError message.
 *
 * @example
 * const tts = createElevenLabsTts({ clock: systemClock });
 * const events = tts.synthesize({ text: 'Hi', sampleRate: 16000, signal, options: { stability: 0.6 } });
 */
export function createElevenLabsTts(deps: ElevenLabsTtsDeps): TtsProvider {
  return createHttpPcmTts(
    {
      provider: PROVIDER,
      schema: elevenLabsTtsOptionsSchema,
      keyVariable: 'ELEVENLABS_API_KEY',
      prepare: ({ request, options, apiKey }) => {
        const rate = elevenLabsRateFor(request.sampleRate, options.max_sample_rate);
        const voiceId = encodeURIComponent(request.voice ?? options.voice_id);
        const query = new URLSearchParams({ output_format: `pcm_${rate}` });
        const url = `${options.base_url.replace(/\/+$/, '')}/v1/text-to-speech/${voiceId}/stream?${query.toString()}`;
        const voiceSettings = voiceSettingsOf(options);
        return (text) => ({
          url,
          headers: { 'xi-api-key': apiKey, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            text,
            model_id: options.model_id,
            ...(voiceSettings === undefined ? {} : { voice_settings: voiceSettings }),
            ...(options.language_code === undefined
              ? {}
              : { language_code: options.language_code }),
          }),
          rate,
        });
      },
    },
    deps,
  );
}
