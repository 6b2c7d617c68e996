/**
 * The receive side's jitter buffer for one RTP stream of fixed-duration frames (Opus,
 * 20 ms): packets are released in sequence order; a packet that arrives out of order
 * waits in a ring of slots until the gap before it is filled, and a gap still open once
 * `depth` later packets have arrived is released as a loss (the decoder conceals it).
 * Sequence numbers wrap at 2^16. Time plays no part: the stream's own packets drive it,
 * so it is deterministic and adds no delay while nothing is missing.
 */

/** What the buffer releases: a frame's payload, or `undefined` for a lost one. */
export type JitterRelease = (payload: Uint8Array | undefined) => void;

/** Counts of one stream. */
export interface JitterStats {
  /** Packets released in order. */
  readonly received: number;
  /** Frames released as lost. */
  readonly lost: number;
  /** Packets that came after their slot was released (dropped). */
  readonly late: number;
  /** Packets seen twice (dropped). */
  readonly duplicate: number;
}

/** A jitter buffer; see {@link createJitterBuffer}. */
export interface JitterBuffer {
  /** One received packet; releases whatever is now in order (synchronously, through `release`). */
  push(sequence: number, payload: Uint8Array): void;
  /** Forgets the stream's position (a new SSRC, a restart). */
  reset(): void;
  readonly stats: JitterStats;
}

/** Options of {@link createJitterBuffer}. */
export interface JitterBufferOptions {
  /** Packets to wait for a missing one before giving it up (default 3: 60 ms of Opus). */
  readonly depth?: number;
  /** A jump of more than this many sequence numbers restarts the stream (default 1000). */
  readonly maxJump?: number;
  readonly release: JitterRelease;
}

const SEQ_MOD = 65536;

/** `a - b` in sequence space, in [-32768, 32767]. */
function seqDiff(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 32768 ? d - SEQ_MOD : d;
}

/**
 * Creates a jitter buffer that releases frames through `options.release`.
 *
 * @example
 * const jitter = createJitterBuffer({ release: (payload) => decoder.frame(payload) });
 * track.onReceiveRtp.subscribe((rtp) => jitter.push(rtp.header.sequenceNumber, rtp.payload));
 */
export function createJitterBuffer(options: JitterBufferOptions): JitterBuffer {
  const depth = Math.max(0, Math.floor(options.depth ?? 3));
  const maxJump = options.maxJump ?? 1000;
  const size = 1 << Math.ceil(Math.log2(depth + 2));
  const slots: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(size).fill(undefined);
  const { release } = options;
  /** The sequence number released next; undefined before the first packet. */
  let next: number | undefined;
  /** Highest sequence number held, as an offset from `next` (-1: none held). */
  let ahead = -1;
  const stats = { received: 0, lost: 0, late: 0, duplicate: 0 };

  const drain = (): void => {
    if (next === undefined) return;
    while (ahead >= 0) {
      const slot = next & (size - 1);
      const payload = slots[slot];
      if (payload === undefined && ahead < depth) return;
      slots[slot] = undefined;
      if (payload === undefined) stats.lost++;
      else stats.received++;
      release(payload);
      next = (next + 1) % SEQ_MOD;
      ahead--;
    }
  };
  const restart = (sequence: number): void => {
    slots.fill(undefined);
    next = sequence;
    ahead = -1;
  };

  return {
    push(sequence, payload) {
      if (next === undefined) restart(sequence);
      let offset = seqDiff(sequence, next as number);
      if (offset < 0) {
        if (-offset > maxJump) {
          restart(sequence);
          offset = 0;
        } else {
          stats.late++;
          return;
        }
      } else if (offset > maxJump) {
        restart(sequence);
        offset = 0;
      }
      // Further ahead than the ring holds: what is missing before it is given up now.
      while (offset >= size) {
        ahead = Math.max(ahead, size - 1);
        const before = next as number;
        const slot = before & (size - 1);
        const held = slots[slot];
        slots[slot] = undefined;
        if (held === undefined) stats.lost++;
        else stats.received++;
        release(held);
        next = (before + 1) % SEQ_MOD;
        ahead--;
        offset--;
      }
      const slot = sequence & (size - 1);
      if (slots[slot] !== undefined) {
        stats.duplicate++;
        return;
      }
      slots[slot] = payload;
      if (offset > ahead) ahead = offset;
      drain();
    },
    reset() {
      slots.fill(undefined);
      next = undefined;
      ahead = -1;
    },
    get stats() {
      return { ...stats };
    },
  };
}
