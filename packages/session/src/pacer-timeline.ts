/**
 * The output pacer's state without time or callbacks: the segments in play order,
 * their unsent audio, what was sent, and the listener model — a listener that plays
 * sent audio in order at real time and waits when it has heard everything sent, so
 * its position never runs ahead of the audio. At the end of a held segment (the far
 * end will confirm playing it) it also waits, until the confirmation or a timeout.
 * Internal to `pacer.ts`.
 */

/** One segment on the timeline. Sample counts; `heard` is fractional (real time). */
export interface TimelineSegment {
  readonly runId: string;
  readonly segmentId: string;
  /** Unsent audio; the first array is read from `offset`. */
  readonly chunks: Int16Array[];
  offset: number;
  /** Samples not yet sent. */
  queued: number;
  /** Samples sent. */
  sent: number;
  /** Samples heard. */
  heard: number;
  /** `heard` at the last progress report. */
  reported: number;
  /** No more audio will come. */
  ended: boolean;
  /** False once flushed. */
  live: boolean;
  /** The far end will confirm playing it: the listener waits at its end until then. */
  held: boolean;
  /** When the listener reached the end of this held segment, by the clock. */
  heldSince: number | undefined;
}

/** A report to deliver: a segment's progress, or that it is done. */
export interface TimelineReport {
  readonly segment: TimelineSegment;
  readonly playedMs: number;
  readonly done: boolean;
}

/** A frame ready to send: which segment and how many samples. */
export interface ReadyFrame {
  readonly segment: TimelineSegment;
  readonly samples: number;
}

/** Tolerance, in samples, for float drift of the listener position. */
export const EPSILON = 1e-6;

const finished = (s: TimelineSegment): boolean => s.ended && s.queued === 0;

/** Segments, their audio and the listener position; see the module note. */
export class PlaybackTimeline {
  readonly #rate: number;
  #frameSamples: number;
  /** Reused for frames that span two enqueued arrays. */
  #scratch: Int16Array;
  #segments: TimelineSegment[] = [];
  readonly #byId = new Map<string, TimelineSegment>();
  /** Time up to which the listener position is computed. */
  #listenerAt: number;
  /** How long the listener waits at a held segment's end before counting it played, ms. */
  readonly #holdTimeoutMs: number;

  constructor(rate: number, frameSamples: number, now: number, holdTimeoutMs: number) {
    this.#rate = rate;
    this.#frameSamples = frameSamples;
    this.#scratch = new Int16Array(frameSamples);
    this.#listenerAt = now;
    this.#holdTimeoutMs = holdTimeoutMs;
  }

  /** Samples of the frames sent from now on (a new size takes effect at the next frame). */
  setFrameSamples(frameSamples: number): void {
    if (frameSamples === this.#frameSamples) return;
    this.#frameSamples = frameSamples;
    this.#scratch = new Int16Array(frameSamples);
  }

  /** Milliseconds of `samples` samples. */
  toMs(samples: number): number {
    return (samples * 1000) / this.#rate;
  }

  /** The live segment of that id, if any (finished and flushed ones are gone). */
  get(segmentId: string): TimelineSegment | undefined {
    return this.#byId.get(segmentId);
  }

  /** Appends a new, empty segment at the end of the play order. */
  add(runId: string, segmentId: string): TimelineSegment {
    const segment: TimelineSegment = {
      runId,
      segmentId,
      chunks: [],
      offset: 0,
      queued: 0,
      sent: 0,
      heard: 0,
      reported: 0,
      ended: false,
      live: true,
      held: false,
      heldSince: undefined,
    };
    this.#segments.push(segment);
    this.#byId.set(segmentId, segment);
    return segment;
  }

  /** Samples sent but not heard yet. */
  inFlight(): number {
    let total = 0;
    for (const s of this.#segments) total += s.sent - s.heard;
    return total;
  }

  /** Samples enqueued but not sent yet. */
  queued(): number {
    let total = 0;
    for (const s of this.#segments) total += s.queued;
    return total;
  }

  /**
   * Moves the listener forward to `now`, in play order, never past sent audio nor,
   * before its confirmation or timeout, past the end of a held segment.
   */
  advanceListener(now: number): void {
    let budget = ((now - this.#listenerAt) * this.#rate) / 1000;
    this.#listenerAt = now;
    if (budget < 0) return;
    for (const s of this.#segments) {
      const remaining = s.sent - s.heard;
      if (budget < remaining - EPSILON) {
        s.heard += budget;
        return;
      }
      budget -= Math.max(0, remaining);
      s.heard = s.sent;
      // An unfinished segment: the listener waits here for more of its audio.
      if (!finished(s)) return;
      if (s.held) {
        s.heldSince ??= now - this.toMs(budget);
        const release = s.heldSince + this.#holdTimeoutMs;
        if (release > now) return;
        // No confirmation in time: counted as played, the listener goes on from then.
        this.#release(s);
        budget = ((now - release) * this.#rate) / 1000;
      }
    }
  }

  #release(s: TimelineSegment): void {
    s.held = false;
    s.heldSince = undefined;
  }

  /** Whether the listener waits at the end of a held segment. */
  waiting(): boolean {
    return this.#segments.some((s) => s.held && s.heldSince !== undefined);
  }

  /** When the listener, going on at real time, stops waiting for a held segment's confirmation. */
  holdTimeoutAt(now: number): number | undefined {
    let ahead = 0;
    for (const s of this.#segments) {
      ahead += s.sent - s.heard;
      if (!finished(s)) return undefined;
      if (s.held) return (s.heldSince ?? now + this.toMs(ahead)) + this.#holdTimeoutMs;
    }
    return undefined;
  }

  /** The next frame to send, if one is ready: whole frames only, except a segment's last. */
  nextFrame(): ReadyFrame | undefined {
    for (const s of this.#segments) {
      if (finished(s)) continue;
      if (s.queued >= this.#frameSamples) return { segment: s, samples: this.#frameSamples };
      if (s.ended && s.queued > 0) return { segment: s, samples: s.queued };
      return undefined;
    }
    return undefined;
  }

  /**
   * Takes the next `n` samples of a segment as sent: a view of the enqueued array,
   * or the reused scratch buffer when they span two arrays.
   */
  takeFrame(s: TimelineSegment, n: number): Int16Array {
    let frame: Int16Array;
    const head = s.chunks[0];
    if (head !== undefined && head.length - s.offset >= n) {
      frame = head.subarray(s.offset, s.offset + n);
      this.#consume(s, head, n);
    } else {
      let filled = 0;
      for (let chunk = s.chunks[0]; chunk !== undefined && filled < n; chunk = s.chunks[0]) {
        const take = Math.min(n - filled, chunk.length - s.offset);
        this.#scratch.set(chunk.subarray(s.offset, s.offset + take), filled);
        filled += take;
        this.#consume(s, chunk, take);
      }
      frame = n === this.#frameSamples ? this.#scratch : this.#scratch.subarray(0, n);
    }
    s.queued -= n;
    s.sent += n;
    return frame;
  }

  #consume(s: TimelineSegment, chunk: Int16Array, n: number): void {
    s.offset += n;
    if (s.offset === chunk.length) {
      s.chunks.shift();
      s.offset = 0;
    }
  }

  /**
   * Removes the segments heard in full (in order: never one behind an unfinished
   * segment) and, when `progressDue`, records the progress of the others; returns the
   * reports in play order.
   */
  collect(progressDue: boolean): TimelineReport[] {
    const reports: TimelineReport[] = [];
    const remaining: TimelineSegment[] = [];
    let blocked = false;
    for (const s of this.#segments) {
      if (!blocked && finished(s) && !s.held && s.heard >= s.sent - EPSILON) {
        s.heard = s.sent;
        this.#byId.delete(s.segmentId);
        reports.push({ segment: s, playedMs: this.toMs(s.sent), done: true });
        continue;
      }
      blocked = true;
      remaining.push(s);
      if (progressDue && s.heard !== s.reported) {
        s.reported = s.heard;
        reports.push({ segment: s, playedMs: this.toMs(s.heard), done: false });
      }
    }
    this.#segments = remaining;
    return reports;
  }

  /** Whether waiting can produce a report: audio playing or progress not reported yet. */
  isPlaying(): boolean {
    return (
      (this.inFlight() > EPSILON && !this.waiting()) ||
      this.#segments.some((s) => s.heard !== s.reported)
    );
  }

  /** Samples until the first segment is heard in full, when it has all its audio sent and is not held. */
  untilFirstDone(): number | undefined {
    const first = this.#segments[0];
    return first !== undefined && finished(first) && !first.held
      ? first.sent - first.heard
      : undefined;
  }

  /** Removes the segments of `runId` (or all); returns them and the samples never heard. */
  remove(runId: string | undefined): { removed: TimelineSegment[]; unheard: number } {
    const removed: TimelineSegment[] = [];
    let unheard = 0;
    this.#segments = this.#segments.filter((s) => {
      if (runId !== undefined && s.runId !== runId) return true;
      removed.push(s);
      unheard += s.queued + s.sent - s.heard;
      s.live = false;
      this.#byId.delete(s.segmentId);
      return false;
    });
    return { removed, unheard };
  }

  /**
   * Puts the listener at `heard` samples into `target`: earlier segments heard (and
   * confirmed), later ones not. A position at the end of a held segment confirms it.
   */
  setPosition(target: TimelineSegment, heard: number, now: number): void {
    this.advanceListener(now);
    let before = true;
    for (const s of this.#segments) {
      if (s === target) {
        s.heard = Math.min(s.sent, Math.max(0, heard));
        if (finished(s) && s.heard >= s.sent - EPSILON) this.#release(s);
        else s.heldSince = undefined;
        before = false;
      } else if (before) {
        s.heard = s.sent;
        this.#release(s);
      } else {
        s.heard = 0;
        s.heldSince = undefined;
      }
    }
  }

  /** Drops everything. */
  clear(): void {
    for (const s of this.#segments) s.live = false;
    this.#segments = [];
    this.#byId.clear();
  }
}
