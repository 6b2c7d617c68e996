/**
 * Deepgram live streaming transcription (`wss://api.deepgram.com/v1/listen`)
 * as an {@link AsrProvider}: raw `linear16` mono audio, interim results,
 * server endpointing and utterance-end events, KeepAlive on silence,
 * `Finalize` per utterance and `CloseStream` at the end.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import WebSocket from 'ws';
import type { AsrProvider } from '../../interfaces.js';
import { optionsValidator, parseProviderOptions } from '../../internal/options.js';
import { resolveApiKey } from './credentials.js';
import type { SpeechEnvironment } from './credentials.js';
import { DeepgramAsrStream } from './deepgram-asr-stream.js';
import type { DeepgramWebSocketConstructor } from './deepgram-asr-stream.js';
import { failedAsrStream } from './failed-asr-stream.js';

const PROVIDER = 'deepgram';

/** The options of the Deepgram ASR (`asr.options`). */
const deepgramAsrOptionsSchema = z.object({
  /** Model (default `nova-3`). */
  model: z.string().min(1).default('nova-3'),
  /** WebSocket origin (default `wss://api.deepgram.com`). */
  base_url: z.url({ protocol: /^wss?$/ }).default('wss://api.deepgram.com'),
  /** Silence that ends a server-side segment (`endpointing`), ms (default 300). */
  endpointing_ms: z.number().int().min(10).max(60_000).default(300),
  /** Gap after the last word that sends `UtteranceEnd`, ms (default 1000; needs interim results). */
  utterance_end_ms: z.number().int().min(1_000).max(60_000).default(1_000),
  /** Whether to ask for interim results, which become partials (default true). */
  interim_results: z.boolean().default(true),
  /** API key; defaults to `DEEPGRAM_API_KEY`. */
  api_key: z.string().min(1).optional(),
  /** Terms to boost: `keyterm` for Nova-3 models, `keywords` for older ones. */
  keywords: z.array(z.string().min(1)).max(100).default([]),
  /** Longest wait for the upgrade, and for the answer to `Finalize`/`CloseStream`, ms (default 5000). */
  first_byte_timeout_ms: z.number().positive().max(120_000).default(5_000),
});

/** Parsed options of the Deepgram ASR. */
export type DeepgramAsrOptions = z.output<typeof deepgramAsrOptionsSchema>;

/** What {@link createDeepgramAsr} needs. */
export interface DeepgramAsrDeps {
  /** Times KeepAlive and the timeouts. */
  readonly clock: Clock;
  /** Where `DEEPGRAM_API_KEY` is read (default `process.env`). */
  readonly env?: SpeechEnvironment;
  /** The WebSocket class (default `ws`). */
  readonly WebSocket?: DeepgramWebSocketConstructor;
}

/** The `/v1/listen` URL for a stream: every query parameter in a fixed order. */
export function deepgramListenUrl(
  options: DeepgramAsrOptions,
  sampleRate: SampleRate,
  language: string,
): string {
  const params: [string, string][] = [
    ['model', options.model],
    ['encoding', 'linear16'],
    ['sample_rate', String(sampleRate)],
    ['channels', '1'],
    ['language', language],
    ['interim_results', String(options.interim_results)],
    ['endpointing', String(options.endpointing_ms)],
  ];
  // Utterance end works on interim results; Deepgram refuses it without them.
  if (options.interim_results) params.push(['utterance_end_ms', String(options.utterance_end_ms)]);
  params.push(['vad_events', 'true']);
  const boost = options.model.startsWith('nova-3') ? 'keyterm' : 'keywords';
  for (const term of options.keywords) params.push([boost, term]);
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return `${options.base_url.replace(/\/+$/, '')}/v1/listen?${query}`;
}

/**
 * Creates the `deepgram` ASR provider. Pushed frames are sent as binary
 * messages as they come (audio pushed before the connection opens is queued,
 * the most recent 5 s, and flushed on open); `KeepAlive` goes out after 8 s
 * without sending. Each `finalize()` yields exactly one `final` (possibly
 * empty) gathering Deepgram's final segments of the utterance: after
 * `Finalize` is answered by the `from_finalize` result, or at once when the
 * server's finals already cover the audio. A server silent for
 * `first_byte_timeout_ms` while an answer is owed (upgrade, `Finalize`,
 * `CloseStream`) is a `PROVIDER_TIMEOUT` - unless its results already reached
 * the utterance's end, when after 1 s what it heard (interim text included)
 * is taken as the final. `end()` sends `CloseStream`; the closing `Metadata`
 * gives `usage`. Failures are VoiceErrors saying a fallback may help;
 * `abort()` sends `CloseStream`, closes and ends quietly.
 *
 * @example
 * const asr = createDeepgramAsr({ clock: systemClock });
 * const stream = asr.open({ sampleRate: 16000, language: 'en-US', options: { model: 'nova-3' } });
 * stream.push(frame); stream.finalize(); // → partials, then one final
 */
export function createDeepgramAsr(deps: DeepgramAsrDeps): AsrProvider {
  const env = deps.env ?? process.env;
  const WebSocketClass = deps.WebSocket ?? WebSocket;
  return {
    id: PROVIDER,
    validateOptions: optionsValidator(deepgramAsrOptionsSchema, PROVIDER),
    open(open) {
      const options = parseProviderOptions(deepgramAsrOptionsSchema, open.options, PROVIDER);
      let apiKey: string;
      try {
        apiKey = resolveApiKey({
          provider: PROVIDER,
          option: options.api_key,
          env,
          variable: 'DEEPGRAM_API_KEY',
        });
      } catch (error) {
        return failedAsrStream(error as Error);
      }
      return new DeepgramAsrStream({
        url: deepgramListenUrl(options, open.sampleRate, open.language),
        apiKey,
        clock: deps.clock,
        WebSocket: WebSocketClass,
        sampleRate: open.sampleRate,
        firstByteTimeoutMs: options.first_byte_timeout_ms,
        signal: open.signal,
      });
    },
  };
}
