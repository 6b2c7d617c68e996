/**
 * The output pacer: sends synthesized audio to the transport at real time, never
 * more than `leadMs` ahead of the listener, and tracks what the listener has heard.
 *
 * The listener model: a listener plays sent audio in order, in real time, from the
 * moment it has some; when it has heard everything sent (an underrun, TTS slower than
 * real time) it waits, so its position never runs ahead of the audio. Heard = sent
 * minus what is still in flight. `setListenerPosition` replaces the estimate with a
 * report from the far end (Twilio mark echoes, a client's `playback.position`).
 * A far end that confirms each segment's end (`onSegmentSent` returns true: Twilio
 * marks) holds the listener there until its report, so nothing after a segment
 * counts as heard before the far end says the segment played (or `holdTimeoutMs`).
 *
 * Frames: each `send` gets a view of the enqueued array (no copy) or, when a frame
 * spans two enqueued arrays, the pacer's own reused buffer. Either way the frame is
 * valid only during the call: a transport that keeps it past `send` must copy it.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import { EPSILON, PlaybackTimeline } from './pacer-timeline.js';
import { frameSamplesOf, invalid, pacerSettings } from './pacer-settings.js';
import type { TimelineReport, TimelineSegment } from './pacer-timeline.js';

/** Where a sent frame belongs. */
export interface PacerFrameInfo {
  readonly runId: string;
  readonly segmentId: string;
  /** Position of the frame's first sample within its segment, in ms. */
  readonly offsetMs: number;
}

/** A playback report of one segment. */
export interface PacerProgress {
  readonly runId: string;
  readonly segmentId: string;
  /** Audio of the segment the listener has heard, in ms. */
  readonly playedMs: number;
  /** The segment has ended and been heard in full; reported exactly once, as its last report. */
  readonly segmentDone: boolean;
}

/** Audio of one segment, as TTS produced it. */
export interface PacerAudio {
  readonly runId: string;
  readonly segmentId: string;
  /** PCM16 mono at the pacer's rate; kept by reference (not copied) until sent: do not modify it. */
  readonly samples: Int16Array;
}

/** What a segment's listener heard before a flush. */
export interface PacerHeard {
  readonly segmentId: string;
  readonly playedMs: number;
}

/** The result of {@link OutputPacer.flush}. */
export interface PacerFlushResult {
  /** Audio dropped that the listener never heard: queued plus in flight (the far end is cleared). */
  readonly discardedMs: number;
  /** Every flushed segment still held, in play order, with what was heard of it (0 if nothing). */
  readonly heard: readonly PacerHeard[];
}

/** Options of {@link createOutputPacer}. */
export interface OutputPacerOptions {
  readonly clock: Clock;
  /** Rate of the enqueued and sent PCM16 mono audio. */
  readonly sampleRate: SampleRate;
  /** Frame duration (default 20 ms); a segment's last frame may be shorter. */
  readonly frameMs?: number;
  /** How far sent audio may run ahead of the listener (default 200 ms; at least `frameMs`). */
  readonly leadMs?: number;
  /** Sends one frame; valid only during the call (see the module note). Should not throw. */
  readonly send: (frame: Int16Array, info: PacerFrameInfo) => void;
  /** Receives playback reports. */
  readonly onProgress: (progress: PacerProgress) => void;
  /** Interval of progress reports while audio plays (default 100 ms). */
  readonly progressEveryMs?: number;
  /**
   * Called once after a segment's last audio was sent (never for a segment without
   * audio). Returning true promises a `setListenerPosition` at the segment's end once
   * the far end has played it: the listener waits at that end until then.
   */
  readonly onSegmentSent?: (info: {
    readonly runId: string;
    readonly segmentId: string;
  }) => boolean;
  /** Longest wait at a confirmed segment's end before it counts as played anyway (default 2000 ms). */
  readonly holdTimeoutMs?: number;
  /**
   * How late, by design, its timer may fire after the time asked (default 0): the slot of
   * shared ticks (`createSharedTicks`) passed as `clock`. Frames are then timed that much
   * sooner, so none is sent more than `leadMs` ahead and none later than without it.
   */
  readonly wakeLateMs?: number;
  /**
   * Called each time the pacer's timer fires, with how late it fired past its due time,
   * ms (outbound pacing lateness; a loaded event loop shows here first). Should not throw.
   */
  readonly onWake?: (lateMs: number) => void;
}

/** A real-time output pacer; see {@link createOutputPacer}. */
export interface OutputPacer {
  /**
   * Appends audio to a segment (created on its first call; segments play in that
   * order). Returns false, dropping the audio, when the run was flushed or the pacer
   * is closed. Throws `VALIDATION_FAILED` after `endSegment` of that segment or when
   * the segment id belongs to another run.
   */
  enqueue(audio: PacerAudio): boolean;
  /** No more audio will come for the segment; unknown ids are ignored. */
  endSegment(segmentId: string): void;
  /** Drops every segment of `runId` (or all) at once; no frame of it is sent afterwards. */
  flush(runId?: string): PacerFlushResult;
  /** Corrects the listener's position from a far-end report; unknown or finished segments are ignored. */
  setListenerPosition(segmentId: string, playedMs: number): void;
  /** Stops sending; what is in flight still plays out and is reported. */
  pause(): void;
  /** Resumes sending. */
  resume(): void;
  /** Whether sending is paused. */
  readonly paused: boolean;
  /** Sends frames of `frameMs` from the next one on (`VALIDATION_FAILED` past the lead). */
  setFrameMs(frameMs: number): void;
  /** Scales frames sent from now on (0–1; 1: unchanged): ducking while caller speech is judged. */
  setGain(gain: number): void;
  /** Audio enqueued but not yet sent, in ms. */
  readonly queuedMs: number;
  /** Audio sent but not yet heard, in ms. */
  readonly inFlightMs: number;
  /** Drops everything and cancels the timer; later calls do nothing. */
  close(): void;
}

/** Flushed run ids remembered to refuse late audio; the oldest are forgotten beyond this. */
const FLUSHED_RUNS_KEPT = 1024;

/**
 * Creates an output pacer on the injected clock.
 *
 * @example
 * const pacer = createOutputPacer({ clock, sampleRate: 16000, leadMs: 200,
 *   send: (frame) => transport.sendAudio(frame), onProgress: (p) => inbox.push(p) });
 * pacer.enqueue({ runId, segmentId, samples }); pacer.endSegment(segmentId);
 * const { heard } = pacer.flush(runId); // barge-in
 */
export function createOutputPacer(options: OutputPacerOptions): OutputPacer {
  const { clock, send, onProgress } = options;
  const {
    rate,
    leadMs,
    progressEveryMs,
    holdTimeoutMs,
    frameSamples,
    leadSamples,
    wakeLateMs,
    wakeLeadSamples,
  } = pacerSettings(options);
  const timeline = new PlaybackTimeline(rate, frameSamples, clock.now(), holdTimeoutMs);
  const toMs = (samples: number): number => timeline.toMs(samples);

  const flushedRuns = new Set<string>();
  let nextProgressAt: number | undefined;
  let paused = false;
  let closed = false;
  let timer: TimerHandle | undefined;
  let timerDueAt: number | undefined;
  let pumping = false;
  let again = false;

  /** Output gain (ducking); frames are scaled into a reused buffer, the enqueued audio is not changed. */
  let gain = 1;
  let gained = new Int16Array(frameSamples);
  function scaled(frame: Int16Array): Int16Array {
    if (gained.length < frame.length) gained = new Int16Array(frame.length); // a longer frame size
    const out = frame.length === gained.length ? gained : gained.subarray(0, frame.length);
    for (let i = 0; i < frame.length; i++) out[i] = Math.round((frame[i] as number) * gain);
    return out;
  }

  const isClosed = (): boolean => closed;
  /** A callback called back into the pacer during a pump: go round once more. */
  const repumpRequested = (): boolean => again && !closed;

  function sendFrame(s: TimelineSegment, n: number, now: number): void {
    const offsetMs = toMs(s.sent);
    const taken = timeline.takeFrame(s, n);
    const frame = gain === 1 ? taken : scaled(taken);
    nextProgressAt ??= now + progressEveryMs;
    send(frame, { runId: s.runId, segmentId: s.segmentId, offsetMs });
    if (s.ended && s.queued === 0) segmentSent(s);
  }

  /** A segment's last audio went out: asks whether the far end will confirm it, and holds it if so. */
  function segmentSent(s: TimelineSegment): void {
    if (options.onSegmentSent === undefined || s.sent === 0) return;
    const held = options.onSegmentSent({ runId: s.runId, segmentId: s.segmentId });
    if (!held || closed || !s.live) return;
    // Up to now the listener could at most wait at the segment's open end; from now it is held there.
    timeline.advanceListener(clock.now());
    s.held = true;
  }

  /** Marks heard segments done and, when due, collects progress; returns the reports in order. */
  function collectReports(now: number): TimelineReport[] {
    const progressDue = nextProgressAt !== undefined && now >= nextProgressAt;
    const reports = timeline.collect(progressDue);
    if (!timeline.isPlaying()) nextProgressAt = undefined;
    else if (progressDue) nextProgressAt = now + progressEveryMs;
    return reports;
  }

  function dispatch(reports: readonly TimelineReport[]): void {
    for (const { segment, playedMs, done } of reports) {
      if (closed) return;
      if (!segment.live || flushedRuns.has(segment.runId)) continue;
      onProgress({
        runId: segment.runId,
        segmentId: segment.segmentId,
        playedMs,
        segmentDone: done,
      });
    }
  }

  function clearTimer(): void {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    timerDueAt = undefined;
  }

  /** Arms the one timer for the earliest of: next frame, segment done, progress report. */
  function arm(now: number): void {
    let due = Number.POSITIVE_INFINITY;
    // A listener held at a segment's end hears nothing more: no frame falls due by waiting.
    if (!paused && !timeline.waiting()) {
      const next = timeline.nextFrame();
      if (next !== undefined) {
        due = now + toMs(Math.max(0, timeline.inFlight() + next.samples - wakeLeadSamples));
      }
    }
    const untilDone = timeline.untilFirstDone();
    if (untilDone !== undefined) due = Math.min(due, now + toMs(untilDone));
    const holdTimeout = timeline.holdTimeoutAt(now);
    if (holdTimeout !== undefined) due = Math.min(due, holdTimeout);
    if (nextProgressAt !== undefined) due = Math.min(due, nextProgressAt);
    if (!Number.isFinite(due)) {
      clearTimer();
      return;
    }
    const at = now + Math.max(0, Math.ceil(due - now - EPSILON));
    if (timer !== undefined && timerDueAt === at) return;
    clearTimer();
    timerDueAt = at;
    timer = clock.setTimeout(() => {
      timer = undefined;
      timerDueAt = undefined;
      options.onWake?.(Math.max(0, clock.now() - at - wakeLateMs));
      pump();
    }, at - now);
  }

  /** Brings the listener to now, sends what the lead allows, reports, re-arms. Re-entrant safe. */
  function pump(): void {
    if (closed) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        const now = clock.now();
        timeline.advanceListener(now);
        // Callbacks (send, onProgress) may pause, flush or close the pacer: re-read the state.
        while (!paused && !isClosed()) {
          const next = timeline.nextFrame();
          if (next === undefined) break;
          if (timeline.inFlight() + next.samples > leadSamples + EPSILON) break;
          sendFrame(next.segment, next.samples, now);
        }
        if (isClosed()) return;
        dispatch(collectReports(now));
      } while (repumpRequested());
    } finally {
      pumping = false;
      // Also after a throwing callback: the pacer stays consistent and keeps its timer.
      if (!isClosed()) arm(clock.now());
    }
  }

  function rememberFlushed(runId: string): void {
    flushedRuns.delete(runId);
    flushedRuns.add(runId);
    if (flushedRuns.size > FLUSHED_RUNS_KEPT) {
      const oldest = flushedRuns.values().next();
      if (oldest.done !== true) flushedRuns.delete(oldest.value);
    }
  }

  return {
    enqueue({ runId, segmentId, samples }) {
      if (closed || flushedRuns.has(runId)) return false;
      const existing = timeline.get(segmentId);
      if (existing !== undefined && existing.runId !== runId) {
        throw invalid(`Segment ${segmentId} belongs to run ${existing.runId}, not ${runId}.`, {
          segmentId,
          runId,
          segmentRunId: existing.runId,
        });
      }
      if (existing?.ended === true) {
        throw invalid(`Segment ${segmentId} received audio after endSegment.`, {
          segmentId,
          runId,
        });
      }
      const s = existing ?? timeline.add(runId, segmentId);
      if (samples.length > 0) {
        s.chunks.push(samples);
        s.queued += samples.length;
      }
      pump();
      return true;
    },

    endSegment(segmentId) {
      const s = timeline.get(segmentId);
      if (closed || s === undefined || s.ended) return;
      s.ended = true;
      if (s.queued === 0) segmentSent(s);
      pump();
    },

    flush(runId) {
      if (closed) return { discardedMs: 0, heard: [] };
      timeline.advanceListener(clock.now());
      const { removed, unheard } = timeline.remove(runId);
      for (const s of removed) rememberFlushed(s.runId);
      if (runId !== undefined) rememberFlushed(runId);
      pump();
      return {
        discardedMs: toMs(unheard),
        heard: removed.map((s) => ({ segmentId: s.segmentId, playedMs: toMs(s.heard) })),
      };
    },

    setListenerPosition(segmentId, playedMs) {
      const target = timeline.get(segmentId);
      if (closed || target === undefined || !Number.isFinite(playedMs)) return;
      const now = clock.now();
      timeline.setPosition(target, (playedMs * rate) / 1000, now);
      if (timeline.inFlight() > EPSILON) nextProgressAt ??= now + progressEveryMs;
      pump();
    },

    pause() {
      if (closed || paused) return;
      paused = true;
      pump();
    },

    resume() {
      if (closed || !paused) return;
      paused = false;
      pump();
    },

    get paused() {
      return paused;
    },

    setFrameMs(frameMs) {
      timeline.setFrameSamples(frameSamplesOf(rate, frameMs, leadMs));
      pump();
    },

    setGain(value) {
      gain = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 1;
    },

    get queuedMs() {
      return toMs(timeline.queued());
    },

    get inFlightMs() {
      timeline.advanceListener(clock.now());
      return toMs(timeline.inFlight());
    },

    close() {
      if (closed) return;
      closed = true;
      clearTimer();
      timeline.clear();
    },
  };
}
