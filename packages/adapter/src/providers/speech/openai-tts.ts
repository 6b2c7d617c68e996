/**
 * OpenAI text-to-speech (`POST /audio/speech`) with `response_format: "pcm"`:
 * raw 24 kHz 16-bit mono little-endian audio, streamed, resampled to the
 * requested rate. Works with OpenAI-compatible servers through `base_url`.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import type { TtsProvider } from '../../interfaces.js';
import type { SpeechEnvironment } from './credentials.js';
import { createHttpPcmTts } from './http-pcm-tts.js';
import type { FetchFunction } from './http-pcm-tts.js';

const PROVIDER = 'openai';
/** The rate of OpenAI's `pcm` format. */
const OPENAI_PCM_RATE = 24000;

/** The options of the OpenAI TTS (`tts.options`). */
const openAiTtsOptionsSchema = z.object({
  /** Speech model (default `gpt-4o-mini-tts`). */
  model: z.string().min(1).default('gpt-4o-mini-tts'),
  /** Voice (default `alloy`); a request's `voice` overrides it. */
  voice: z.string().min(1).default('alloy'),
  /** API base including the version (default `https://api.openai.com/v1`). */
  base_url: z.url({ protocol: /^https?$/ }).default('https://api.openai.com/v1'),
  /** API key; defaults to `OPENAI_API_KEY`. */
  api_key: z.string().min(1).optional(),
  /** How to speak (tone, pace); not supported by `tts-1` models. */
  instructions: z.string().min(1).optional(),
  /** Longest wait for the answer and between its audio chunks, ms (default 5000). */
  first_byte_timeout_ms: z.number().positive().max(120_000).default(5_000),
});

/** What {@link createOpenAiTts} needs. */
export interface OpenAiTtsDeps {
  /** Times the first-byte and between-chunk timeouts. */
  readonly clock: Clock;
  /** Where `OPENAI_API_KEY` is read (default `process.env`). */
  readonly env?: SpeechEnvironment;
  /** The HTTP client (default the global `fetch`). */
  readonly fetch?: FetchFunction;
}

/**
 * Creates the `openai` TTS provider. The endpoint takes the whole text, so a
 * text stream is collected first and sent in one request (OpenAI accepts up to
 * 4,096 characters). The 24 kHz PCM answer is resampled to the requested rate
 * and yielded as it arrives, then `usage` with the characters sent.
 *
 * @example
 * const tts = createOpenAiTts({ clock: systemClock });
 * const events = tts.synthesize({ text: 'Hi', sampleRate: 16000, signal, options: { voice: 'coral' } });
 */
export function createOpenAiTts(deps: OpenAiTtsDeps): TtsProvider {
  return createHttpPcmTts(
    {
      provider: PROVIDER,
      schema: openAiTtsOptionsSchema,
      keyVariable: 'OPENAI_API_KEY',
      prepare: ({ request, options, apiKey }) => {
        const url = `${options.base_url.replace(/\/+$/, '')}/audio/speech`;
        return (text) => ({
          url,
          headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            model: options.model,
            input: text,
            voice: request.voice ?? options.voice,
            response_format: 'pcm',
            ...(options.instructions === undefined ? {} : { instructions: options.instructions }),
          }),
          rate: OPENAI_PCM_RATE,
        });
      },
    },
    deps,
  );
}
