/**
 * Raw little-endian PCM16 arriving in byte chunks of any size (HTTP bodies cut
 * wherever the network cuts them) turned into whole samples at the rate the
 * caller asked for.
 */
import { createResampler, pcm16View } from '@prx-voice/media';
import type { Resampler, SampleRate } from '@prx-voice/media';

const EMPTY = new Int16Array(0);

/**
 * Reassembles byte chunks into whole samples, carrying an odd trailing byte
 * into the next chunk. Returned arrays may share the chunk's memory.
 */
export class Pcm16Reassembler {
  /** The odd byte held back from the previous chunk, or -1. */
  #carry = -1;

  /** Whether a byte is held back (the stream so far has an odd length). */
  get pending(): boolean {
    return this.#carry >= 0;
  }

  /** The whole samples completed by `chunk`. */
  push(chunk: Uint8Array): Int16Array {
    if (chunk.length === 0) return EMPTY;
    if (this.#carry < 0 && chunk.length % 2 === 0) return pcm16View(chunk);
    const total = chunk.length + (this.#carry < 0 ? 0 : 1);
    const whole = total - (total % 2);
    const bytes = new Uint8Array(whole);
    let from: number;
    if (this.#carry >= 0) {
      bytes[0] = this.#carry;
      bytes.set(chunk.subarray(0, whole - 1), 1);
      from = whole - 1;
    } else {
      bytes.set(chunk.subarray(0, whole));
      from = whole;
    }
    this.#carry = from < chunk.length ? (chunk[from] as number) : -1;
    return pcm16View(bytes);
  }
}

/** Provider PCM16 bytes → samples at the requested rate. */
export class PcmDecoder {
  readonly #bytes = new Pcm16Reassembler();
  readonly #resampler: Resampler;

  constructor(from: SampleRate, to: SampleRate) {
    this.#resampler = createResampler({ from, to });
  }

  /** Samples of the next chunk at the output rate, in a fresh array the caller may keep (possibly empty). */
  push(chunk: Uint8Array): Int16Array {
    const samples = this.#bytes.push(chunk);
    if (samples.length === 0) return EMPTY;
    const out = this.#resampler.process(samples);
    // Equal rates pass the input through; it may share the chunk, which nothing reuses.
    return out === samples ? samples : out.slice();
  }

  /** The resampler's held-back tail (a half sample left at the end is dropped). */
  flush(): Int16Array {
    return this.#resampler.flush().slice();
  }
}
