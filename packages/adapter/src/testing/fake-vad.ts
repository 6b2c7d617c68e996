/**
 * A scriptable VAD for tests: emits the scripted events (or errors) when the
 * audio pushed reaches the given stream times, optionally after a delay on the
 * injected clock (as a model's inference latency).
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import { durationMsOf } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import type { VoiceError } from '@prx-voice/types';
import type { VadEvent, VadOptions, VadProvider, VadState, VadStream } from '../interfaces.js';

/**
 * One step: an event or an error, delivered once `atAudioMs` of audio has
 * been pushed (default for an event: its own `atMs`), `delayMs` later on the clock.
 */
export type FakeVadStep = (
  | { readonly event: VadEvent; readonly atAudioMs?: number }
  | { readonly error: VoiceError; readonly atAudioMs: number }
) & { readonly delayMs?: number };

/** Options of {@link createFakeVad}. */
export interface FakeVadOptions {
  readonly clock: Clock;
  /** Played by every stream from the start. */
  readonly steps: readonly FakeVadStep[];
  /** Provider id (default `fake`). */
  readonly id?: string;
}

/** What a test can see of one opened stream. */
export interface FakeVadStreamRecord {
  readonly options: VadOptions;
  /** Audio pushed so far, ms. */
  readonly audioMs: number;
  readonly closed: boolean;
}

/** A fake VAD provider with the record of its streams. */
export interface FakeVad extends VadProvider {
  readonly streams: readonly FakeVadStreamRecord[];
}

/**
 * Creates a scriptable VAD. Its state follows the events delivered
 * (`speech_start` → speaking with the event's probability, `speech_end` → quiet with 0);
 * an error goes to `onError` and closes the stream.
 *
 * @example
 * const vad = createFakeVad({ clock, steps: [
 *   { event: { type: 'speech_start', atMs: 500, probability: 0.9 }, atAudioMs: 750 },
 *   { event: { type: 'speech_end', atMs: 1500, speechMs: 1000 }, atAudioMs: 2000 },
 * ] });
 */
export function createFakeVad(options: FakeVadOptions): FakeVad {
  const streams: FakeVadStreamRecord[] = [];
  return {
    id: options.id ?? 'fake',
    streams,
    open(vadOptions, onEvent, onError) {
      const stream = new FakeVadStream(options.clock, options.steps, vadOptions, onEvent, onError);
      streams.push(stream);
      return stream;
    },
  };
}

class FakeVadStream implements VadStream, FakeVadStreamRecord {
  readonly options: VadOptions;
  state: VadState = 'quiet';
  probability = 0;
  closed = false;
  readonly #clock: Clock;
  readonly #rate: SampleRate;
  readonly #waiting: FakeVadStep[];
  readonly #timers = new Set<TimerHandle>();
  readonly #onEvent: (event: VadEvent) => void;
  readonly #onError: ((error: VoiceError) => void) | undefined;
  #samples = 0;

  constructor(
    clock: Clock,
    steps: readonly FakeVadStep[],
    options: VadOptions,
    onEvent: (event: VadEvent) => void,
    onError: ((error: VoiceError) => void) | undefined,
  ) {
    this.options = options;
    this.#clock = clock;
    this.#rate = options.sampleRate;
    this.#waiting = [...steps];
    this.#onEvent = onEvent;
    this.#onError = onError;
  }

  get audioMs(): number {
    return durationMsOf(this.#samples, this.#rate);
  }

  push(samples: Int16Array): void {
    if (this.closed) return;
    this.#samples += samples.length;
    const audioMs = this.audioMs;
    for (let i = 0; i < this.#waiting.length;) {
      const step = this.#waiting[i] as FakeVadStep;
      const at = step.atAudioMs ?? ('event' in step ? step.event.atMs : 0);
      if (audioMs < at) {
        i += 1;
        continue;
      }
      this.#waiting.splice(i, 1);
      this.#trigger(step);
      if (this.#isClosed()) return;
    }
  }

  close(): void {
    this.closed = true;
    for (const handle of this.#timers) this.#clock.clearTimeout(handle);
    this.#timers.clear();
  }

  /** Read through a call: an error step closes the stream. */
  #isClosed(): boolean {
    return this.closed;
  }

  #trigger(step: FakeVadStep): void {
    const delay = step.delayMs ?? 0;
    if (delay <= 0) {
      this.#deliver(step);
      return;
    }
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      this.#deliver(step);
    }, delay);
    this.#timers.add(handle);
  }

  #deliver(step: FakeVadStep): void {
    if (this.closed) return;
    if ('error' in step) {
      this.close();
      this.#onError?.(step.error);
      return;
    }
    const { event } = step;
    this.state = event.type === 'speech_start' ? 'speaking' : 'quiet';
    this.probability = event.type === 'speech_start' ? event.probability : 0;
    this.#onEvent(event);
  }
}
