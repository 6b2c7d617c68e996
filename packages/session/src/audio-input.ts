import type { AsrStream, VadStream } from '@prx-voice/adapter';

/**
 * The inbound audio path, outside the reducer: every frame goes to the VAD;
 * the ASR gets audio only around speech — a pre-roll ring buffer keeps the
 * last `preRollMs` so the onset the VAD needed to decide is not lost. No
 * allocation per frame.
 */
export class AudioInput {
  readonly #ring: Int16Array;
  #ringStart = 0;
  #ringLength = 0;
  #streaming = false;
  #pushed = 0;
  readonly #sampleRate: number;
  vad: VadStream | null = null;
  asr: AsrStream | null = null;

  constructor(sampleRate: number, preRollMs: number) {
    this.#ring = new Int16Array(Math.max(1, Math.round((sampleRate * preRollMs) / 1000)));
    this.#sampleRate = sampleRate;
  }

  /** Input audio received so far, ms (the clock of the VAD's timestamps). */
  get positionMs(): number {
    return (this.#pushed * 1000) / this.#sampleRate;
  }

  /** One inbound frame (any length). The caller may reuse `samples` afterwards. */
  push(samples: Int16Array): void {
    this.#pushed += samples.length;
    this.vad?.push(samples);
    if (this.#streaming) this.asr?.push(samples);
    else this.#remember(samples);
  }

  /** Speech started: send the pre-roll, then stream live audio to the ASR. */
  startStreaming(): void {
    if (this.#streaming) return;
    this.#streaming = true;
    const asr = this.asr;
    if (asr === null || this.#ringLength === 0) return;
    const cap = this.#ring.length;
    const firstEnd = Math.min(cap, this.#ringStart + this.#ringLength);
    asr.push(this.#ring.subarray(this.#ringStart, firstEnd));
    const wrapped = this.#ringLength - (firstEnd - this.#ringStart);
    if (wrapped > 0) asr.push(this.#ring.subarray(0, wrapped));
    this.#ringStart = 0;
    this.#ringLength = 0;
  }

  /** The utterance was committed: buffer again until the next speech. */
  stopStreaming(): void {
    this.#streaming = false;
  }

  #remember(samples: Int16Array): void {
    const ring = this.#ring;
    const cap = ring.length;
    const from = samples.length > cap ? samples.length - cap : 0;
    const count = samples.length - from;
    // Drop the oldest samples that no longer fit.
    const overflow = this.#ringLength + count - cap;
    if (overflow > 0) {
      this.#ringStart = (this.#ringStart + overflow) % cap;
      this.#ringLength -= overflow;
    }
    let write = (this.#ringStart + this.#ringLength) % cap;
    for (let i = from; i < samples.length; i++) {
      ring[write] = samples[i] ?? 0;
      write = write + 1 === cap ? 0 : write + 1;
    }
    this.#ringLength += count;
  }
}
