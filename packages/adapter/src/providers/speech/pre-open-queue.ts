/**
 * What a streaming client is asked to send before its connection is open:
 * copies of the audio, bounded to the most recent few seconds, and control
 * messages in their order among the audio.
 */

/** One queued item. */
export type QueuedItem =
  | { readonly kind: 'audio'; readonly samples: Int16Array }
  | { readonly kind: 'control'; readonly text: string };

/**
 * A bounded send queue. When the audio exceeds the bound, the oldest audio is
 * dropped and counted in `droppedSamples`, so the caller can shift the
 * provider's timestamps (which count only the audio it received).
 */
export class PreOpenQueue {
  readonly #maxSamples: number;
  #items: QueuedItem[] = [];
  #samples = 0;
  #dropped = 0;

  constructor(maxSamples: number) {
    this.#maxSamples = maxSamples;
  }

  /** Samples dropped from the front so far. */
  get droppedSamples(): number {
    return this.#dropped;
  }

  /** Queues a copy of `samples` (the caller reuses its buffer). */
  pushAudio(samples: Int16Array): void {
    this.#items.push({ kind: 'audio', samples: samples.slice() });
    this.#samples += samples.length;
    this.#trim();
  }

  /** Queues a control message after the audio queued so far. */
  pushControl(text: string): void {
    this.#items.push({ kind: 'control', text });
  }

  /** Removes and returns everything queued, oldest first. */
  drain(): QueuedItem[] {
    const items = this.#items;
    this.#items = [];
    this.#samples = 0;
    return items;
  }

  #trim(): void {
    let excess = this.#samples - this.#maxSamples;
    if (excess <= 0) return;
    for (let i = 0; excess > 0 && i < this.#items.length; i++) {
      const item = this.#items[i];
      if (item?.kind !== 'audio') continue;
      const cut = Math.min(excess, item.samples.length);
      this.#items[i] = { kind: 'audio', samples: item.samples.subarray(cut) };
      this.#samples -= cut;
      this.#dropped += cut;
      excess -= cut;
    }
    this.#items = this.#items.filter((item) => item.kind !== 'audio' || item.samples.length > 0);
  }
}
