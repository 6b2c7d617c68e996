/**
 * Cartesia Sonic text-to-speech over its WebSocket (`/tts/websocket`): one
 * context per synthesis, streamed text sent as continuations, raw
 * `pcm_s16le` audio and word timestamps back as they are generated.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import WebSocket from 'ws';
import type { TtsProvider, TtsRequest } from '../../interfaces.js';
import { closeQuietly, isAborted, nextUnlessAborted } from '../../internal/clock-delay.js';
import { optionsValidator, parseProviderOptions } from '../../internal/options.js';
import { resolveApiKey } from './credentials.js';
import type { SpeechEnvironment } from './credentials.js';
import { CartesiaSynthesis } from './cartesia-synthesis.js';
import type { CartesiaWebSocketConstructor } from './cartesia-synthesis.js';

const PROVIDER = 'cartesia';

/** The `raw` rates Cartesia produces, ascending. */
const CARTESIA_RATES: readonly SampleRate[] = [8000, 16000, 22050, 24000, 44100, 48000];

/** The options of the Cartesia TTS (`tts.options`). */
const cartesiaTtsOptionsSchema = z.object({
  /** Model (default `sonic-3.5`). */
  model: z.string().min(1).default('sonic-3.5'),
  /** Voice id (default Cartesia's agent voice "Katie"); a request's `voice` overrides it. */
  voice: z.string().min(1).default('f786b574-daa5-4673-aa0c-cbe3e8534c02'),
  /** Language code (`en`, `de`, …); default the request's language without its region, else `en`. */
  language: z
    .string()
    .regex(/^[a-z]{2,3}$/, 'a lower-case ISO 639 code such as en')
    .optional(),
  /** WebSocket origin (default `wss://api.cartesia.ai`); `/tts/websocket` is appended. */
  base_url: z.url({ protocol: /^wss?$/ }).default('wss://api.cartesia.ai'),
  /** API key; defaults to `CARTESIA_API_KEY`. */
  api_key: z.string().min(1).optional(),
  /** `Cartesia-Version` (default `2026-03-01`). */
  version: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
    .default('2026-03-01'),
  /** Whether to ask for word timestamps, yielded as `word` events (default true). */
  add_timestamps: z.boolean().default(true),
  /** The rate to ask Cartesia for (default the requested one); the audio is resampled to the requested rate. */
  sample_rate: z.literal(CARTESIA_RATES).optional(),
  /** Longest wait for the handshake, and once the text is all sent, for each answer, ms (default 5000). */
  first_byte_timeout_ms: z.number().positive().max(120_000).default(5_000),
});

/** What {@link createCartesiaTts} needs. */
export interface CartesiaTtsDeps {
  /** Times the handshake and answer timeouts. */
  readonly clock: Clock;
  /** Where `CARTESIA_API_KEY` is read (default `process.env`). */
  readonly env?: SpeechEnvironment;
  /** The WebSocket class (default `ws`). */
  readonly WebSocket?: CartesiaWebSocketConstructor;
  /** A fresh `context_id` per synthesis (default a random UUID). */
  readonly newContextId?: () => string;
}

/** The rate to ask Cartesia for when `rate` is requested: `rate` when offered, else the next one up. */
export function cartesiaRateFor(rate: number): SampleRate {
  return CARTESIA_RATES.find((offered) => offered >= rate) ?? 48000;
}

/** The language Cartesia is asked for: the option, else the request's primary subtag, else `en`. */
function languageOf(option: string | undefined, requested: string | undefined): string {
  if (option !== undefined) return option;
  const primary = requested?.split(/[-_]/)[0]?.toLowerCase() ?? '';
  return /^[a-z]{2,3}$/.test(primary) ? primary : 'en';
}

/**
 * Creates the `cartesia` TTS provider. Each synthesis opens its own
 * WebSocket (key as `Authorization: Bearer`, `Cartesia-Version` header) with
 * a fresh `context_id`, and closes it when done: simple and isolated, at the
 * price of a handshake per synthesis. A string is sent as one input; a text
 * stream piece by piece as it arrives (`continue: true`, whitespace-only
 * pieces joined to the next) and ended with an empty `continue: false`
 * input, so audio starts before the text is complete. Audio is asked for at
 * the requested rate (Cartesia offers every rate PRX Voice uses) or at the
 * `sample_rate` option and resampled; `timestamps` become `word` events; the
 * end is `usage` with the characters sent. An abort, or a consumer that stops
 * early, sends `cancel` for the context and ends without throwing. Handshake
 * statuses, `error` messages, drops and stalls (`first_byte_timeout_ms`,
 * timed on the handshake and, once all text is sent, between answers) are
 * VoiceErrors saying a fallback may help, with `details.partial`.
 *
 * @example
 * const tts = createCartesiaTts({ clock: systemClock });
 * for await (const e of tts.synthesize({ text: agentTokens, sampleRate: 16000, signal })) …
 */
export function createCartesiaTts(deps: CartesiaTtsDeps): TtsProvider {
  const env = deps.env ?? process.env;
  const WebSocketClass = deps.WebSocket ?? WebSocket;
  const newContextId = deps.newContextId ?? randomUUID;
  return {
    id: PROVIDER,
    validateOptions: optionsValidator(cartesiaTtsOptionsSchema, PROVIDER),
    async *synthesize(request) {
      const options = parseProviderOptions(cartesiaTtsOptionsSchema, request.options, PROVIDER);
      const apiKey = resolveApiKey({
        provider: PROVIDER,
        option: options.api_key,
        env,
        variable: 'CARTESIA_API_KEY',
      });
      if (request.signal.aborted) return;
      if (typeof request.text === 'string' && request.text.trim() === '') {
        yield { type: 'usage', characters: 0 };
        return;
      }
      const synthesis = new CartesiaSynthesis({
        url: `${options.base_url.replace(/\/+$/, '')}/tts/websocket`,
        apiKey,
        version: options.version,
        clock: deps.clock,
        WebSocket: WebSocketClass,
        context: {
          model_id: options.model,
          voice: { mode: 'id', id: request.voice ?? options.voice },
          output_format: {
            container: 'raw',
            encoding: 'pcm_s16le',
            sample_rate: options.sample_rate ?? cartesiaRateFor(request.sampleRate),
          },
          language: languageOf(options.language, request.language),
          context_id: newContextId(),
          add_timestamps: options.add_timestamps,
        },
        outputRate: request.sampleRate,
        firstByteTimeoutMs: options.first_byte_timeout_ms,
        signal: request.signal,
      });
      if (typeof request.text === 'string') synthesis.speak(request.text);
      else void sendTextStream(request.text, synthesis);
      yield* synthesis;
    },
  };
}

/** Feeds a text stream to `synthesis` as it arrives; stops reading when the synthesis is over. */
async function sendTextStream(
  text: Exclude<TtsRequest['text'], string>,
  synthesis: CartesiaSynthesis,
): Promise<void> {
  const iterator = text[Symbol.asyncIterator]();
  const { over } = synthesis;
  for (;;) {
    let next: IteratorResult<string> | undefined;
    try {
      next = await nextUnlessAborted(iterator, over);
    } catch (error) {
      synthesis.failInput(error);
      return;
    }
    if (next === undefined) return;
    if (isAborted(over)) {
      closeQuietly(iterator);
      return;
    }
    if (next.done === true) {
      synthesis.end();
      return;
    }
    synthesis.push(next.value);
  }
}
