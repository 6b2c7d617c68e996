/**
 * Deepgram Aura text-to-speech over its REST endpoint (`POST /v1/speak`),
 * asking for raw `linear16` audio without a container, streamed back as it is
 * synthesized.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import type { TtsProvider } from '../../interfaces.js';
import type { SpeechEnvironment } from './credentials.js';
import { createHttpPcmTts } from './http-pcm-tts.js';
import type { FetchFunction } from './http-pcm-tts.js';

const PROVIDER = 'deepgram';

/** The options of the Deepgram TTS (`tts.options`). */
const deepgramTtsOptionsSchema = z.object({
  /** Aura voice model (default `aura-2-thalia-en`); a request's `voice` overrides it. */
  model: z.string().min(1).default('aura-2-thalia-en'),
  /** API origin (default `https://api.deepgram.com`). */
  base_url: z.url({ protocol: /^https?$/ }).default('https://api.deepgram.com'),
  /** API key; defaults to `DEEPGRAM_API_KEY`. */
  api_key: z.string().min(1).optional(),
  /** Longest wait for the answer and between its audio chunks, ms (default 5000). */
  first_byte_timeout_ms: z.number().positive().max(120_000).default(5_000),
});

/** The `linear16` rates Aura produces; other requested rates are resampled from the next one up. */
const AURA_RATES: ReadonlySet<SampleRate> = new Set<SampleRate>([8000, 16000, 24000, 48000]);

/** What {@link createDeepgramTts} needs. */
export interface DeepgramTtsDeps {
  /** Times the first-byte and between-chunk timeouts. */
  readonly clock: Clock;
  /** Where `DEEPGRAM_API_KEY` is read (default `process.env`). */
  readonly env?: SpeechEnvironment;
  /** The HTTP client (default the global `fetch`). */
  readonly fetch?: FetchFunction;
}

/** The Aura rate to ask for when `rate` is requested. */
export function auraRateFor(rate: SampleRate): SampleRate {
  if (AURA_RATES.has(rate)) return rate;
  return rate > 24000 ? 48000 : 24000;
}

/**
 * Creates the `deepgram` TTS provider (Aura). The endpoint takes the whole
 * text, so a text stream is collected first and sent in one request (text
 * longer than Aura accepts is refused: `PROVIDER_ERROR`). Audio is asked for
 * at the requested rate when Aura offers it (8, 16, 24, 48 kHz), else at 24
 * or 48 kHz and resampled; it is yielded as it arrives, then `usage` with the
 * characters sent.
 *
 * @example
 * const tts = createDeepgramTts({ clock: systemClock });
 * for await (const e of tts.synthesize({ text: 'Hello!', sampleRate: 16000, signal })) …
 */
export function createDeepgramTts(deps: DeepgramTtsDeps): TtsProvider {
  return createHttpPcmTts(
    {
      provider: PROVIDER,
      schema: deepgramTtsOptionsSchema,
      keyVariable: 'DEEPGRAM_API_KEY',
      prepare: ({ request, options, apiKey }) => {
        const rate = auraRateFor(request.sampleRate);
        const query = new URLSearchParams({
          model: request.voice ?? options.model,
          encoding: 'linear16',
          sample_rate: String(rate),
          container: 'none',
        });
        const url = `${options.base_url.replace(/\/+$/, '')}/v1/speak?${query.toString()}`;
        return (text) => ({
          url,
          headers: { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ text }),
          rate,
        });
      },
    },
    deps,
  );
}
