/**
 * A scriptable ASR for tests: each step emits an event (or fails the stream)
 * once enough audio was pushed or at the n-th `finalize()`, optionally after a
 * delay on the injected clock.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import { durationMsOf } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import type { VoiceError } from '@prx-voice/types';
import type { AsrEvent, AsrOpenOptions, AsrProvider, AsrStream } from '../interfaces.js';
import { AsyncEventQueue } from '../internal/async-queue.js';

/** When a step happens: after this much audio, or at the n-th `finalize()` (from 1). */
export type FakeAsrTrigger = { readonly afterAudioMs: number } | { readonly onFinalize: number };

/** What a step does: emit an event, or make the iteration throw. */
export type FakeAsrAction = { readonly emit: AsrEvent } | { readonly fail: VoiceError };

/** One step of a fake ASR script; `delayMs` on the clock after the trigger (default 0: at once). */
export type FakeAsrStep = FakeAsrTrigger & FakeAsrAction & { readonly delayMs?: number };

/** Options of {@link createFakeAsr}. */
export interface FakeAsrOptions {
  readonly clock: Clock;
  /** Played by every stream from the start; steps fire in array order when triggers coincide. */
  readonly steps: readonly FakeAsrStep[];
  /** Provider id (default `fake`). */
  readonly id?: string;
}

/** What a test can see of one opened stream. */
export interface FakeAsrStreamRecord {
  readonly options: AsrOpenOptions;
  /** Audio pushed so far, ms. */
  readonly audioMs: number;
  readonly finalizeCalls: number;
  readonly ended: boolean;
  readonly aborted: boolean;
  /** Events the stream emitted so far. */
  readonly emitted: readonly AsrEvent[];
}

/** A fake ASR provider with the record of its streams. */
export interface FakeAsr extends AsrProvider {
  /** Every stream opened, in order. */
  readonly streams: readonly FakeAsrStreamRecord[];
}

/**
 * Creates a scriptable ASR. A step with `afterAudioMs` triggers once that much
 * audio has been pushed; one with `onFinalize` at that `finalize()` call. A
 * `fail` step makes the iteration throw its error after the events before it.
 * `end()` lets delayed steps already triggered fire, then ends the iteration;
 * `abort()` ends it at once.
 *
 * @example
 * const asr = createFakeAsr({ clock, steps: [
 *   { afterAudioMs: 200, emit: { type: 'partial', text: 'hel', startMs: 0, endMs: 200 } },
 *   { onFinalize: 1, delayMs: 150, emit: { type: 'final', text: 'hello', startMs: 0, endMs: 400 } },
 * ] });
 */
export function createFakeAsr(options: FakeAsrOptions): FakeAsr {
  const streams: FakeAsrStreamRecord[] = [];
  return {
    id: options.id ?? 'fake',
    streams,
    open(openOptions) {
      const stream = new FakeAsrStream(options.clock, options.steps, openOptions);
      streams.push(stream);
      return stream;
    },
  };
}

class FakeAsrStream implements AsrStream, FakeAsrStreamRecord {
  readonly options: AsrOpenOptions;
  readonly emitted: AsrEvent[] = [];
  finalizeCalls = 0;
  ended = false;
  aborted = false;
  readonly #clock: Clock;
  readonly #rate: SampleRate;
  readonly #queue: AsyncEventQueue<AsrEvent>;
  /** Audio steps not triggered yet. */
  readonly #waiting: FakeAsrStep[];
  readonly #steps: readonly FakeAsrStep[];
  readonly #timers = new Set<TimerHandle>();
  #samples = 0;
  #done = false;

  constructor(clock: Clock, steps: readonly FakeAsrStep[], options: AsrOpenOptions) {
    this.options = options;
    this.#clock = clock;
    this.#rate = options.sampleRate;
    this.#steps = steps;
    this.#waiting = steps.filter((step) => 'afterAudioMs' in step);
    this.#queue = new AsyncEventQueue<AsrEvent>(() => {
      this.abort();
    });
    if (options.signal?.aborted === true) this.abort();
    options.signal?.addEventListener('abort', () => {
      this.abort();
    });
  }

  get audioMs(): number {
    return durationMsOf(this.#samples, this.#rate);
  }

  push(samples: Int16Array): void {
    if (this.#done || this.ended) return;
    this.#samples += samples.length;
    const audioMs = this.audioMs;
    for (let i = 0; i < this.#waiting.length;) {
      const step = this.#waiting[i] as FakeAsrStep & { readonly afterAudioMs: number };
      if (audioMs >= step.afterAudioMs) {
        this.#waiting.splice(i, 1);
        this.#trigger(step);
        if (this.#isDone()) return;
      } else {
        i += 1;
      }
    }
  }

  finalize(): void {
    if (this.#done || this.ended) return;
    this.finalizeCalls += 1;
    for (const step of this.#steps) {
      if ('onFinalize' in step && step.onFinalize === this.finalizeCalls) {
        this.#trigger(step);
        if (this.#isDone()) return;
      }
    }
  }

  end(): void {
    if (this.#done || this.ended) return;
    this.ended = true;
    if (this.#timers.size === 0) this.#finish();
  }

  abort(): void {
    if (this.#done) return;
    this.aborted = true;
    this.#finish();
    this.#queue.clear();
  }

  [Symbol.asyncIterator](): AsyncIterator<AsrEvent> {
    return this.#queue[Symbol.asyncIterator]();
  }

  #trigger(step: FakeAsrStep): void {
    const delay = step.delayMs ?? 0;
    if (delay <= 0) {
      this.#fire(step);
      return;
    }
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      this.#fire(step);
      if (this.ended && this.#timers.size === 0) this.#finish();
    }, delay);
    this.#timers.add(handle);
  }

  #fire(step: FakeAsrStep): void {
    if (this.#done) return;
    if ('fail' in step) {
      this.#stop();
      this.#queue.fail(step.fail);
      return;
    }
    this.emitted.push(step.emit);
    this.#queue.push(step.emit);
  }

  /** Read through a call: a step may have finished the stream. */
  #isDone(): boolean {
    return this.#done;
  }

  #finish(): void {
    this.#stop();
    this.#queue.end();
  }

  #stop(): void {
    this.#done = true;
    for (const handle of this.#timers) this.#clock.clearTimeout(handle);
    this.#timers.clear();
  }
}
