/**
 * The Silero VAD's worker pool: a fixed number of worker threads per model
 * file per process, each running the model for its streams in batches (see
 * `silero-pool-worker.ts`). A stream is placed on the worker with the fewest
 * streams and stays there, as its LSTM state lives there. Windows queued on the
 * event loop's thread within one turn go to their worker in one message. A
 * worker that dies fails its own streams (`PROVIDER_ERROR`, fallback allowed)
 * and its place is taken by a fresh worker for the next stream.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { VoiceError } from '@prx-voice/types';
import {
  assertModelFile,
  inferenceFailed,
  loadFailed,
  onnxRuntimePath,
  SILERO_SESSION_OPTIONS,
  sileroWindowSamples,
} from './silero-runner.js';
import type { SileroRate } from './silero-runner.js';
import { POOL_WORKER_SOURCE } from './silero-pool-worker.js';
import type { FromWorker, ToWorker } from './silero-pool-worker.js';
import type { SileroLane, SileroLaneHandlers } from './silero-lane.js';

/** Most workers `workers: 0` (one per core) starts. */
export const MAX_AUTO_WORKERS = 8;

/** Workers of a pool: `workers`, or for 0 one per core up to {@link MAX_AUTO_WORKERS}. */
export function sileroPoolSize(workers = 0): number {
  return workers > 0 ? workers : Math.max(1, Math.min(availableParallelism(), MAX_AUTO_WORKERS));
}

/** Model runs and windows scored by a pool since it started (windows ÷ runs is the mean batch). */
export interface SileroPoolStats {
  readonly runs: number;
  readonly windows: number;
}

/** A lane on a pool worker. */
export interface SileroPoolLane extends SileroLane {
  /** Index of the worker the lane is on. */
  readonly worker: number;
}

/** A pool of Silero worker threads for one model file. */
export class SileroPool {
  readonly #modelPath: string;
  readonly #slots: (PoolWorker | undefined)[];
  readonly #stats = { runs: 0, windows: 0 };

  constructor(modelPath: string, size: number) {
    this.#modelPath = modelPath;
    this.#slots = Array.from({ length: size }, () => undefined);
  }

  /** Number of workers. */
  get size(): number {
    return this.#slots.length;
  }

  /**
   * Resolves once the first worker has loaded the model (what a health check needs to know);
   * the others start then, in the background, so that a server's start does not wait for (nor
   * compete on every core with) one model load per core. A stream placed on a worker still
   * loading waits for it; a worker that fails to load fails its streams as any dead worker.
   */
  async ready(): Promise<void> {
    assertModelFile(this.#modelPath);
    await this.#worker(0).loaded;
    for (let index = 1; index < this.#slots.length; index++) this.#worker(index);
  }

  /** Opens a lane on the worker with the fewest lanes (started if need be). */
  open(rate: SileroRate, handlers: SileroLaneHandlers): SileroPoolLane {
    try {
      assertModelFile(this.#modelPath);
    } catch (error) {
      return failedLane(error, handlers);
    }
    let best = 0;
    for (let index = 1; index < this.#slots.length; index++) {
      if ((this.#slots[index]?.lanes ?? 0) < (this.#slots[best]?.lanes ?? 0)) best = index;
    }
    return this.#worker(best).open(best, rate, handlers);
  }

  /** Lanes on each worker (0 for a worker not started). */
  loads(): number[] {
    return this.#slots.map((slot) => slot?.lanes ?? 0);
  }

  /** Runs and windows so far. */
  stats(): SileroPoolStats {
    return { ...this.#stats };
  }

  /** The thread of worker `index`, if started (to watch or end it from outside). */
  thread(index: number): Worker | undefined {
    return this.#slots[index]?.thread;
  }

  #worker(index: number): PoolWorker {
    let worker = this.#slots[index];
    if (worker === undefined) {
      const started = new PoolWorker(this.#modelPath, this.#stats, () => {
        if (this.#slots[index] === started) this.#slots[index] = undefined;
      });
      worker = started;
      this.#slots[index] = worker;
    }
    return worker;
  }
}

const pools = new Map<string, SileroPool>();

/** The process's pool for a model file and size (`workers` as in {@link sileroPoolSize}). */
export function sileroPool(modelPath: string, workers = 0): SileroPool {
  const size = sileroPoolSize(workers);
  const key = `${size}:${modelPath}`;
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new SileroPool(modelPath, size);
    pools.set(key, pool);
  }
  return pool;
}

/** A lane that reports `error` once, soon, and scores nothing. */
function failedLane(error: unknown, handlers: SileroLaneHandlers): SileroPoolLane {
  let open = true;
  const reported = Promise.resolve().then(() => {
    if (open) handlers.onError(error);
    open = false;
  });
  return {
    worker: -1,
    pending: 0,
    score: () => undefined,
    idle: () => reported,
    close: () => {
      open = false;
    },
  };
}

/** One worker thread, its lanes and the windows not yet sent to it. */
class PoolWorker {
  readonly thread: Worker;
  /** Settles once the model is loaded there (rejects if it will not load or the worker dies first). */
  readonly loaded: Promise<void>;
  readonly #lanes = new Map<number, Lane>();
  readonly #stats: { runs: number; windows: number };
  readonly #onDeath: () => void;
  #nextLane = 1;
  #busy = 1; // the load, then windows waiting to be scored
  #dead = false;
  #settleLoad: ((error?: VoiceError) => void) | undefined;
  // Windows queued this turn, sent together; buffers grown by doubling.
  #outLanes = new Int32Array(64);
  #outSamples = new Float32Array(64 * 512);
  #outCount = 0;
  #outFill = 0;
  #flushing = false;

  constructor(
    readonly modelPath: string,
    stats: { runs: number; windows: number },
    onDeath: () => void,
  ) {
    this.#stats = stats;
    this.#onDeath = onDeath;
    this.loaded = new Promise<void>((resolve, reject) => {
      this.#settleLoad = (error) => {
        this.#settleLoad = undefined;
        this.#release(1);
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    this.loaded.catch(() => undefined);
    this.thread = new Worker(POOL_WORKER_SOURCE, {
      eval: true,
      workerData: { ortPath: onnxRuntimePath(), modelPath, sessionOptions: SILERO_SESSION_OPTIONS },
    });
    this.thread.on('message', (message: FromWorker) => {
      this.#received(message);
    });
    this.thread.on('error', (error) => {
      this.#die(inferenceFailed(error));
    });
    this.thread.on('exit', (code) => {
      this.#die(inferenceFailed(new Error(`the Silero worker exited with code ${code}`)));
    });
  }

  /** Lanes open on this worker. */
  get lanes(): number {
    return this.#lanes.size;
  }

  open(index: number, rate: SileroRate, handlers: SileroLaneHandlers): Lane {
    const lane = new Lane(this, this.#nextLane++, index, rate, handlers);
    this.#lanes.set(lane.id, lane);
    this.#post({ type: 'open', lane: lane.id, rate });
    return lane;
  }

  /** Queues a window for the next message to the worker. */
  enqueue(lane: Lane, pcm: Int16Array): void {
    if (this.#busy++ === 0) this.thread.ref();
    if (this.#outCount === this.#outLanes.length) {
      const lanes = new Int32Array(this.#outLanes.length * 2);
      lanes.set(this.#outLanes);
      this.#outLanes = lanes;
    }
    if (this.#outFill + pcm.length > this.#outSamples.length) {
      const samples = new Float32Array(this.#outSamples.length * 2);
      samples.set(this.#outSamples);
      this.#outSamples = samples;
    }
    this.#outLanes[this.#outCount++] = lane.id;
    const out = this.#outSamples;
    const at = this.#outFill;
    for (let i = 0; i < pcm.length; i++) out[at + i] = (pcm[i] as number) / 32768;
    this.#outFill += pcm.length;
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(this.#flush);
    }
  }

  /** Forgets a lane (its windows queued in the worker are dropped there). */
  close(lane: Lane, pending: number): void {
    if (this.#lanes.get(lane.id) !== lane) return;
    this.#lanes.delete(lane.id);
    this.#release(pending);
    this.#flush(); // its windows already queued go first, so the worker knows their lane
    this.#post({ type: 'close', lane: lane.id });
  }

  readonly #flush = (): void => {
    this.#flushing = false;
    if (this.#outCount === 0) return;
    const lanes = this.#outLanes.slice(0, this.#outCount);
    const samples = this.#outSamples.slice(0, this.#outFill);
    this.#outCount = 0;
    this.#outFill = 0;
    this.#post({ type: 'windows', lanes, samples }, [lanes.buffer, samples.buffer]);
  };

  #post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (this.#dead) return;
    try {
      this.thread.postMessage(message, transfer);
    } catch (error) {
      this.#die(inferenceFailed(error));
    }
  }

  #received(message: FromWorker): void {
    switch (message.type) {
      case 'loaded':
        this.#settleLoad?.();
        return;
      case 'load_failed':
        this.#die(loadFailed(this.modelPath, new Error(message.message)));
        return;
      case 'scores': {
        this.#stats.runs++;
        this.#stats.windows += message.lanes.length;
        for (let i = 0; i < message.lanes.length; i++) {
          const lane = this.#lanes.get(message.lanes[i] as number);
          if (lane === undefined) continue;
          this.#release(1);
          lane.scored(message.probabilities[i] as number, message.inferenceMs);
        }
        return;
      }
      case 'failed': {
        const error = inferenceFailed(new Error(message.message));
        for (const id of message.lanes) this.#lanes.get(id)?.fail(error);
        return;
      }
    }
  }

  #release(count: number): void {
    this.#busy -= count;
    if (this.#busy === 0 && !this.#dead) this.thread.unref();
  }

  #die(error: VoiceError): void {
    if (this.#dead) return;
    this.#settleLoad?.(error);
    this.#dead = true;
    this.#onDeath();
    const lanes = [...this.#lanes.values()];
    this.#lanes.clear();
    for (const lane of lanes) lane.fail(error);
    void this.thread.terminate();
  }
}

/** A stream's lane on a pool worker. */
class Lane implements SileroPoolLane {
  #pending = 0;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(
    readonly host: PoolWorker,
    readonly id: number,
    readonly worker: number,
    readonly rate: SileroRate,
    readonly handlers: SileroLaneHandlers,
  ) {}

  get pending(): number {
    return this.#pending;
  }

  score(pcm: Int16Array): void {
    if (this.#closed) return;
    if (pcm.length !== sileroWindowSamples(this.rate)) {
      throw new RangeError(`a window is ${sileroWindowSamples(this.rate)} samples`);
    }
    this.#pending++;
    this.host.enqueue(this, pcm);
  }

  idle(): Promise<void> {
    if (this.#pending === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.host.close(this, this.#pending);
    this.#pending = 0;
    this.#wake();
  }

  scored(probability: number, inferenceMs: number): void {
    this.#pending--;
    this.handlers.onScore(probability, inferenceMs);
    if (this.#pending === 0) this.#wake();
  }

  fail(error: unknown): void {
    if (this.#closed) return;
    this.close();
    this.handlers.onError(error);
  }

  #wake(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
