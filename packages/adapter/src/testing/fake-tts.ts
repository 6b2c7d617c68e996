/**
 * A scriptable TTS for tests: the mock's tone with a set first-byte delay,
 * speed, chunk pacing, word timings on or off, and an injected failure.
 */
import type { Clock } from '@prx-voice/core';
import type { VoiceError } from '@prx-voice/types';
import { providerError } from '../interfaces.js';
import type { TtsEvent, TtsProvider, TtsRequest } from '../interfaces.js';
import { toneSpeech } from '../internal/tone-speech.js';

/** Options of {@link createFakeTts}. */
export interface FakeTtsOptions {
  readonly clock: Clock;
  /** Wait on the clock before the first audio chunk of each synthesis (default 0). */
  readonly firstByteDelayMs?: number;
  /** Audio per character, ms (default 50). */
  readonly msPerChar?: number;
  /** Audio chunk length, ms (default 20). */
  readonly chunkMs?: number;
  /** Wait on the clock between audio chunks (default 0: as fast as consumed). */
  readonly chunkIntervalMs?: number;
  /** Throw after this many audio chunks of a synthesis (0: before the first). */
  readonly failAfterChunks?: number;
  /** The error thrown then (default `PROVIDER_ERROR`, retryable, fallback allowed). */
  readonly failure?: VoiceError;
  /** Report word timings (default true). */
  readonly wordTimings?: boolean;
  /** Provider id (default `fake`). */
  readonly id?: string;
}

/** What a test can see of one synthesis. */
export interface FakeTtsSynthesis {
  readonly request: TtsRequest;
  /** The text received so far, pieces joined. */
  readonly text: string;
  /** Events yielded so far. */
  readonly events: readonly TtsEvent[];
  /** Whether the request's signal aborted before the synthesis ended. */
  readonly aborted: boolean;
}

/** A fake TTS provider with the record of its syntheses. */
export interface FakeTts extends TtsProvider {
  readonly syntheses: readonly FakeTtsSynthesis[];
}

/**
 * Creates a scriptable TTS: a 440 Hz tone of `msPerChar` per character (as the
 * mock, amplitude 0.3), with the delays on the injected clock.
 *
 * @example
 * const tts = createFakeTts({ clock, firstByteDelayMs: 120, msPerChar: 60, failAfterChunks: 3 });
 */
export function createFakeTts(options: FakeTtsOptions): FakeTts {
  const syntheses: FakeTtsSynthesis[] = [];
  const id = options.id ?? 'fake';
  const failure =
    options.failure ??
    providerError('PROVIDER_ERROR', {
      provider: id,
      message: 'The fake TTS failed as scripted',
      retryable: true,
      fallback: true,
    });

  async function* synthesize(request: TtsRequest): AsyncGenerator<TtsEvent> {
    const record = { request, text: '', events: [] as TtsEvent[], aborted: false };
    syntheses.push(record);
    const speech = toneSpeech(request, {
      msPerChar: options.msPerChar ?? 50,
      chunkMs: options.chunkMs ?? 20,
      frequencyHz: 440,
      amplitude: 0.3,
      wordTimings: options.wordTimings ?? true,
      clock: options.clock,
      ...(options.firstByteDelayMs === undefined
        ? {}
        : { firstByteDelayMs: options.firstByteDelayMs }),
      ...(options.chunkIntervalMs === undefined
        ? {}
        : { chunkIntervalMs: options.chunkIntervalMs }),
      ...(options.failAfterChunks === undefined
        ? {}
        : { failAfterChunks: options.failAfterChunks, failure: () => failure }),
      onText: (piece) => {
        record.text += piece;
      },
    });
    try {
      for await (const event of speech) {
        record.events.push(event);
        yield event;
      }
    } finally {
      record.aborted = request.signal.aborted;
    }
  }

  return { id, syntheses, synthesize };
}
