/**
 * Streaming sample-rate conversion of mono PCM16 between any two supported
 * rates, by a Kaiser-windowed-sinc polyphase filter over the rational ratio
 * to/from (reduced by their gcd); the dot products run in a WebAssembly SIMD
 * kernel.
 *
 * Output sample j lies exactly at input time j × from / to, so the output is
 * time-aligned with the input (zero phase) and is held back by the filter's
 * look-ahead until enough input has arrived; `flush()` releases the tail.
 * Every output sample is computed from the same inputs in the same order
 * however the input is chunked, so chunked and one-shot output are identical.
 */
import { VoiceError } from '@prx-voice/types';
import { polyphaseFilter } from './resampler-filter.js';
import type { PolyphaseFilter, ResamplerQuality } from './resampler-filter.js';
import { runKernel } from './resampler-kernel.js';
import type { KernelJob } from './resampler-kernel.js';
import { assertSampleRate } from './sample-rate.js';
import type { SampleRate } from './sample-rate.js';

/** Options of {@link createResampler}. */
export interface ResamplerOptions {
  /** Input sample rate, Hz. */
  readonly from: number;
  /** Output sample rate, Hz. */
  readonly to: number;
  /**
   * Filter quality; defaults to `'medium'` (80 dB stop band, pass band to 85 % of
   * the lower Nyquist frequency). `'low'` is 60 dB / 70 %, `'high'` 100 dB / 90 %.
   */
  readonly quality?: ResamplerQuality;
}

/** A stateful streaming resampler; see {@link createResampler}. */
export interface Resampler {
  /** Input sample rate. */
  readonly from: SampleRate;
  /** Output sample rate. */
  readonly to: SampleRate;
  /**
   * Most output samples held back between `process` and `flush` (the filter's
   * look-ahead converted to output samples); 0 when the rates are equal.
   */
  readonly delaySamples: number;
  /**
   * Resamples the next chunk of the stream. Returns a view of an internal buffer,
   * valid until the next call on this resampler (copy it to keep it). With equal
   * rates the input itself is returned.
   */
  process(input: Int16Array): Int16Array;
  /**
   * Ends the stream: returns the held-back tail (a view, as `process`) and resets,
   * so that the stream's total output is ceil(input length × to / from) samples.
   */
  flush(): Int16Array;
  /** Drops all state, starting a new stream. */
  reset(): void;
}

const EMPTY = new Int16Array(0);
/** Valid qualities, checked at run time for untyped callers. */
const QUALITIES: readonly string[] = ['low', 'medium', 'high'];
/** Input samples staged per kernel call (a 20 ms frame at 48 kHz fits); larger inputs go in blocks. */
const BLOCK = 1024;

/**
 * Creates a streaming resampler between two of the supported rates.
 * Throws `UNSUPPORTED_AUDIO_FORMAT` for other rates.
 *
 * @example
 * const rs = createResampler({ from: 16000, to: 24000 });
 * const out = rs.process(frame320); // up to 480 samples; copy before the next call
 */
export function createResampler(options: ResamplerOptions): Resampler {
  const from = assertSampleRate(options.from);
  const to = assertSampleRate(options.to);
  const quality = options.quality ?? 'medium';
  if (!QUALITIES.includes(quality)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Resampler quality '${quality}' is invalid; expected 'low', 'medium' or 'high'.`,
      details: { quality },
    });
  }
  if (from === to) return passThrough(from);
  return new PolyphaseResampler(from, to, polyphaseFilter(from, to, quality));
}

function passThrough(rate: SampleRate): Resampler {
  return {
    from: rate,
    to: rate,
    delaySamples: 0,
    process: (input) => input,
    flush: () => EMPTY,
    reset: () => undefined,
  };
}

class PolyphaseResampler implements Resampler {
  readonly from: SampleRate;
  readonly to: SampleRate;
  readonly delaySamples: number;

  private readonly filter: PolyphaseFilter;
  /** Input history; `history[start]` is the first tap of the next output. */
  private readonly history: Float32Array;
  private length = 0;
  private start = 0;
  /** Phase (0 … up-1) of the next output. */
  private phase = 0;
  private output: Int16Array;
  private readonly job: KernelJob;

  constructor(from: SampleRate, to: SampleRate, filter: PolyphaseFilter) {
    this.from = from;
    this.to = to;
    this.filter = filter;
    this.delaySamples = Math.ceil((filter.halfWidth * filter.up) / filter.down);
    this.history = new Float32Array(filter.taps + BLOCK);
    this.output = new Int16Array(Math.ceil(((BLOCK + filter.taps) * filter.up) / filter.down) + 2);
    this.job = {
      filter,
      history: this.history,
      historyLength: 0,
      start: 0,
      phase: 0,
      count: 0,
      output: this.output,
      outputAt: 0,
    };
    this.reset();
  }

  reset(): void {
    // The stream is preceded by silence: halfWidth - 1 zeros put input 0 at the
    // centre of the first output's taps.
    const lead = this.filter.halfWidth - 1;
    this.history.fill(0, 0, lead);
    this.length = lead;
    this.start = 0;
    this.phase = 0;
  }

  process(input: Int16Array): Int16Array {
    const history = this.history;
    let produced = 0;
    for (let offset = 0; offset < input.length;) {
      const take = Math.min(input.length - offset, history.length - this.length);
      const base = this.length;
      for (let i = 0; i < take; i++) history[base + i] = input[offset + i] as number;
      this.length += take;
      offset += take;
      produced = this.run(produced);
    }
    return this.output.subarray(0, produced);
  }

  flush(): Int16Array {
    // halfWidth zeros complete every output that lies before the end of the input.
    let zeros = this.filter.halfWidth;
    let produced = 0;
    while (zeros > 0) {
      const take = Math.min(zeros, this.history.length - this.length);
      this.history.fill(0, this.length, this.length + take);
      this.length += take;
      zeros -= take;
      produced = this.run(produced);
    }
    const tail = this.output.subarray(0, produced);
    this.reset();
    return tail;
  }

  /** Computes every output the history allows, appending at `produced`; then compacts the history. */
  private run(produced: number): number {
    const { taps, up, down } = this.filter;
    const last = this.length - taps; // last history index a first tap may have
    let count = 0;
    if (this.start <= last) {
      // Outputs k with floor((start·up + phase + k·down) / up) <= last.
      count = Math.floor(((last - this.start) * up + (up - 1 - this.phase)) / down) + 1;
      if (produced + count > this.output.length) this.growOutput(produced + count);
      const job = this.job;
      job.historyLength = this.length;
      job.start = this.start;
      job.phase = this.phase;
      job.count = count;
      job.output = this.output;
      job.outputAt = produced;
      runKernel(job);
      const position = this.phase + count * down;
      const whole = Math.floor(position / up);
      this.start += whole;
      this.phase = position - whole * up;
    }
    // Keep only what later outputs need. The filter is longer than one output
    // step, so the next output's first tap is still within the history.
    this.history.copyWithin(0, this.start, this.length);
    this.length -= this.start;
    this.start = 0;
    return produced + count;
  }

  private growOutput(needed: number): void {
    let size = this.output.length;
    while (size < needed) size *= 2;
    const grown = new Int16Array(size);
    grown.set(this.output);
    this.output = grown;
  }
}
