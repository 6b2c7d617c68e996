/**
 * A carrier's playback buffer as the carriers document it (Twilio, Telnyx alike): audio
 * queues and plays at real time, a marker is acknowledged only once the audio sent before
 * it has played (at once when nothing is queued before it), and a clear empties the buffer
 * and acknowledges the markers still in it.
 */

/** The buffer; see {@link createCarrierPlayback}. Acknowledgements are the carrier's messages. */
export interface CarrierPlayback {
  /** Queues `samples` samples of audio. */
  audio(samples: number): void;
  /** Queues a marker; returns the acknowledgements due now. */
  mark(name: string): string[];
  /** Empties the buffer; returns the acknowledgements of the markers it dropped. */
  clear(): string[];
  /** Plays up to `ms` of buffered audio; returns the acknowledgements of the markers it reached. */
  play(ms: number): string[];
  /** Plays the buffer up to the next marker; its acknowledgement, or undefined when none is buffered. */
  playToMark(): string | undefined;
  /** Audio buffered and not played yet, in ms. */
  readonly bufferedMs: number;
  /** Audio played so far, in ms. */
  readonly playedMs: number;
  /** Names of the markers in the buffer, in order. */
  readonly pendingMarks: readonly string[];
}

/** Creates an empty {@link CarrierPlayback} at `rate` Hz; `ack` writes a marker's acknowledgement. */
export function createCarrierPlayback(
  rate: number,
  ack: (name: string) => string,
): CarrierPlayback {
  const perMs = rate / 1000;
  const buffer: ({ kind: 'audio'; samples: number } | { kind: 'mark'; name: string })[] = [];
  let samplesPlayed = 0;
  /** Plays up to `samples` (Infinity: all) and stops at a marker when `toMark`; returns the acks. */
  const play = (samples: number, toMark: boolean): string[] => {
    const acks: string[] = [];
    let budget = samples;
    for (let head = buffer[0]; head !== undefined; head = buffer[0]) {
      if (head.kind === 'mark') {
        buffer.shift();
        acks.push(ack(head.name));
        if (toMark) break;
        continue;
      }
      const take = Math.min(budget, head.samples);
      head.samples -= take;
      budget -= take;
      samplesPlayed += take;
      if (head.samples > 0) break;
      buffer.shift();
    }
    return acks;
  };
  return {
    audio: (samples) => {
      buffer.push({ kind: 'audio', samples });
    },
    mark: (name) => {
      buffer.push({ kind: 'mark', name });
      return play(0, false);
    },
    clear: () => buffer.splice(0).flatMap((item) => (item.kind === 'mark' ? [ack(item.name)] : [])),
    play: (ms) => {
      if (!(ms >= 0)) throw new RangeError(`play() takes a duration >= 0 ms, not ${String(ms)}`);
      return play(ms === Number.POSITIVE_INFINITY ? ms : Math.round(ms * perMs), false);
    },
    playToMark: () =>
      buffer.some((item) => item.kind === 'mark')
        ? play(Number.POSITIVE_INFINITY, true)[0]
        : undefined,
    get bufferedMs() {
      return (
        buffer.reduce((sum, item) => sum + (item.kind === 'audio' ? item.samples : 0), 0) / perMs
      );
    },
    get playedMs() {
      return samplesPlayed / perMs;
    },
    get pendingMarks() {
      return buffer.flatMap((item) => (item.kind === 'mark' ? [item.name] : []));
    },
  };
}
