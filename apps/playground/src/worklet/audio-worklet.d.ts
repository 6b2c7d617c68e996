/** The AudioWorkletGlobalScope, as much of it as the worklets use (TypeScript ships no lib for it). */

/** Sample rate of the AudioContext the worklet runs in. */
declare const sampleRate: number;
/** The context's time, seconds. */
declare const currentTime: number;

/** A message port (the processor's side of its node's `port`). */
interface WorkletPort {
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
}

/** Base class of audio worklet processors. */
declare abstract class AudioWorkletProcessor {
  readonly port: WorkletPort;
  abstract process(
    inputs: Float32Array[][],
    outputs: Float32Array[][],
    parameters: Record<string, Float32Array>,
  ): boolean;
}

/** Registers a processor class under a name `AudioWorkletNode` is created with. */
declare function registerProcessor(
  name: string,
  processor: new (options?: unknown) => AudioWorkletProcessor,
): void;
