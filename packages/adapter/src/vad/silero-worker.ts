/**
 * The worker runner of the Silero VAD: one worker thread per process holds the
 * onnxruntime sessions (one per model file) and runs every stream's windows,
 * so inference never blocks the event loop. Windows and states travel as
 * transferred buffers. The worker keeps the process alive only while work is
 * pending.
 */
import { Worker } from 'node:worker_threads';
import type { VoiceError } from '@prx-voice/types';
import {
  assertModelFile,
  inferenceFailed,
  loadFailed,
  onnxRuntimePath,
  SILERO_SESSION_OPTIONS,
} from './silero-runner.js';
import type { SileroRate, SileroResult, SileroRunner, SileroState } from './silero-runner.js';

/**
 * The worker's code, CommonJS evaluated as a string so that it runs the same
 * from `src/` (TypeScript under a test runner) and from `dist/`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const sessions = new Map();
const rates = new Map();
function session(path) {
  let s = sessions.get(path);
  if (s === undefined) {
    s = ort.InferenceSession.create(path, workerData.sessionOptions);
    sessions.set(path, s);
    s.catch(() => sessions.delete(path));
  }
  return s;
}
function rate(sr) {
  let t = rates.get(sr);
  if (t === undefined) { t = new ort.Tensor('int64', BigInt64Array.of(BigInt(sr)), []); rates.set(sr, t); }
  return t;
}
const text = (e) => (e instanceof Error ? e.message : String(e));
parentPort.on('message', (m) => {
  if (m.type === 'load') {
    session(m.path).then(
      () => parentPort.postMessage({ type: 'loaded', id: m.id }),
      (e) => parentPort.postMessage({ type: 'load_failed', id: m.id, message: text(e) }));
    return;
  }
  session(m.path).then(async (s) => {
    const started = performance.now();
    const out = await s.run({
      input: new ort.Tensor('float32', m.input, [1, m.input.length]),
      sr: rate(m.rate),
      h: new ort.Tensor('float32', m.h, [2, 1, 64]),
      c: new ort.Tensor('float32', m.c, [2, 1, 64]),
    });
    const inferenceMs = performance.now() - started;
    m.h.set(out.hn.data);
    m.c.set(out.cn.data);
    parentPort.postMessage(
      { type: 'result', id: m.id, probability: out.output.data[0], h: m.h, c: m.c, inferenceMs },
      [m.h.buffer, m.c.buffer]);
  }).catch((e) => parentPort.postMessage({ type: 'failed', id: m.id, message: text(e) }));
});
`;

type Reply =
  | { readonly type: 'loaded'; readonly id: number }
  | { readonly type: 'load_failed'; readonly id: number; readonly message: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly probability: number;
      readonly h: Float32Array;
      readonly c: Float32Array;
      readonly inferenceMs: number;
    }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: VoiceError) => void;
}

/** The process's worker and its in-flight requests. */
class SileroWorkerHost {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #loads = new Map<string, Promise<void>>();
  #nextId = 1;
  #dead = false;
  readonly #onDeath: () => void;

  constructor(onDeath: () => void) {
    this.#onDeath = onDeath;
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ortPath: onnxRuntimePath(), sessionOptions: SILERO_SESSION_OPTIONS },
    });
    this.#worker.unref();
    this.#worker.on('message', (reply: Reply) => {
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#settled(reply.id);
      pending.resolve(reply);
    });
    this.#worker.on('error', (error) => {
      this.#die(error);
    });
    this.#worker.on('exit', (code) => {
      this.#die(new Error(`the Silero worker exited with code ${code}`));
    });
  }

  /** Loads a model file in the worker once. */
  load(modelPath: string): Promise<void> {
    let loaded = this.#loads.get(modelPath);
    if (loaded === undefined) {
      loaded = this.#request({ type: 'load', path: modelPath }, []).then((reply) => {
        if (reply.type === 'load_failed') throw loadFailed(modelPath, new Error(reply.message));
      });
      this.#loads.set(modelPath, loaded);
      loaded.catch(() => this.#loads.delete(modelPath));
    }
    return loaded;
  }

  async infer(
    modelPath: string,
    input: Float32Array,
    state: SileroState,
    rate: SileroRate,
  ): Promise<SileroResult> {
    // Node silently drops a message whose transfer list holds a detached buffer,
    // which would leave the stream waiting forever: refuse it here instead.
    if (input.byteLength === 0 || state.h.byteLength === 0 || state.c.byteLength === 0) {
      throw inferenceFailed(new Error('the window or the state was already handed over'));
    }
    const reply = await this.#request(
      { type: 'run', path: modelPath, input, h: state.h, c: state.c, rate },
      [input.buffer as ArrayBuffer, state.h.buffer as ArrayBuffer, state.c.buffer as ArrayBuffer],
    );
    if (reply.type !== 'result') {
      throw inferenceFailed(new Error('message' in reply ? reply.message : reply.type));
    }
    return {
      probability: reply.probability,
      state: { h: reply.h, c: reply.c },
      inferenceMs: reply.inferenceMs,
    };
  }

  #request(message: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.#dead) return Promise.reject(inferenceFailed(new Error('the Silero worker is gone')));
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ ...message, id }, transfer);
      } catch (error) {
        this.#settled(id);
        reject(inferenceFailed(error));
      }
    });
  }

  #settled(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
  }

  #die(cause: unknown): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#onDeath();
    const error = inferenceFailed(cause);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of pending) entry.reject(error);
    void this.#worker.terminate();
  }
}

let host: SileroWorkerHost | undefined;

function workerHost(): SileroWorkerHost {
  host ??= new SileroWorkerHost(() => {
    host = undefined;
  });
  return host;
}

/**
 * The worker runner for a model file: the shared worker (started on first use,
 * restarted after a crash) with the model loaded once.
 */
export async function workerSileroRunner(modelPath: string): Promise<SileroRunner> {
  assertModelFile(modelPath);
  const worker = workerHost();
  await worker.load(modelPath);
  return {
    infer: (input, state, rate) => {
      // After a crash, later windows go to a fresh worker (the model loads again there).
      const current = workerHost();
      if (current === worker) return worker.infer(modelPath, input, state, rate);
      return current.load(modelPath).then(() => current.infer(modelPath, input, state, rate));
    },
  };
}
