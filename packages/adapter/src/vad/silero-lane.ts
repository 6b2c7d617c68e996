/**
 * A Silero VAD stream's lane: where its 32 ms windows go to be scored, in
 * order, with the stream's model state. Two kinds: the pool's (`silero-pool.ts`,
 * batched with other streams on a worker thread) and the sequential one here,
 * which scores one window at a time through a {@link SileroRunner} (the single
 * shared worker, or inline).
 */
import { initialSileroState } from './silero-runner.js';
import type { SileroRate, SileroRunner, SileroState } from './silero-runner.js';

/** Where a lane reports. After `onError` it reports nothing more. */
export interface SileroLaneHandlers {
  /** A window's speech probability, in the order the windows were queued; `inferenceMs` is the model run's time. */
  readonly onScore: (probability: number, inferenceMs: number) => void;
  /** The lane failed (model missing or broken, inference error, worker gone); it is closed. */
  readonly onError: (error: unknown) => void;
}

/** One stream's queue of windows to score. */
export interface SileroLane {
  /** Queues one window of 16-bit samples (copied at once); its score arrives through `onScore`. */
  score(pcm: Int16Array): void;
  /** Windows queued and not scored yet. */
  readonly pending: number;
  /** Resolves once every window queued so far is scored (or the lane closed or failed). */
  idle(): Promise<void>;
  /** Drops the windows still waiting; no more callbacks. */
  close(): void;
}

/** Opens a lane for a stream at one of the model's rates. */
export type SileroLaneFactory = (rate: SileroRate, handlers: SileroLaneHandlers) => SileroLane;

/** Window samples (−1…1) of 16-bit PCM, in a new array. */
export function toFloatWindow(pcm: Int16Array): Float32Array {
  const input = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) input[i] = (pcm[i] as number) / 32768;
  return input;
}

/**
 * Lanes that score one window at a time through `runner`, each stream strictly
 * in order (how the Silero VAD ran before the pool; `runner: 'worker' | 'inline'`).
 * A runner that fails to load fails every lane once, even one with nothing queued.
 */
export function sequentialLanes(runner: Promise<SileroRunner>): SileroLaneFactory {
  return (rate, handlers) => new SequentialLane(runner, rate, handlers);
}

class SequentialLane implements SileroLane {
  readonly #runner: Promise<SileroRunner>;
  readonly #rate: SileroRate;
  readonly #handlers: SileroLaneHandlers;
  readonly #queue: Float32Array[] = [];
  #state: SileroState = initialSileroState();
  #pump: Promise<void> | undefined;
  #inFlight = 0;
  #closed = false;

  constructor(runner: Promise<SileroRunner>, rate: SileroRate, handlers: SileroLaneHandlers) {
    this.#runner = runner;
    this.#rate = rate;
    this.#handlers = handlers;
    runner.catch((error: unknown) => {
      this.#fail(error);
    });
  }

  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  score(pcm: Int16Array): void {
    if (this.#closed) return;
    this.#queue.push(toFloatWindow(pcm));
    this.#pump ??= this.#run();
  }

  idle(): Promise<void> {
    return this.#pump ?? Promise.resolve();
  }

  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
  }

  async #run(): Promise<void> {
    try {
      const runner = await this.#runner;
      for (let window = this.#queue.shift(); window !== undefined; window = this.#queue.shift()) {
        if (!this.#isOpen()) return;
        this.#inFlight = 1;
        const result = await runner.infer(window, this.#state, this.#rate);
        this.#inFlight = 0;
        if (!this.#isOpen()) return;
        this.#state = result.state;
        this.#handlers.onScore(result.probability, result.inferenceMs);
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#inFlight = 0;
      this.#pump = undefined;
    }
  }

  /** Read through a call: `close()` may run while an inference is awaited. */
  #isOpen(): boolean {
    return !this.#closed;
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.close();
    this.#handlers.onError(error);
  }
}
