/**
 * A time-aligned stereo call recorder: the caller on the left channel, the bot on
 * the right, both placed on one time axis by the session clock and handed out as
 * fixed-length chunks of interleaved PCM16 as the call goes on (a crash loses at
 * most one chunk). Pure: no I/O; the owner writes the chunks where it likes.
 *
 * Placement: each channel has a write head. A frame is expected where the clock
 * says it belongs (a caller frame ends now, a bot frame starts now; both corrected
 * by what the channel's resampler still holds back). A channel's first frame goes
 * where it is expected. Later, when a frame is expected more than the channel's gap
 * tolerance past the head, the head jumps there and the skipped span stays silent;
 * otherwise the frame is appended at the head, so jitter, a stalled event loop or a
 * client streaming faster than real time never loses, overlaps or shifts audio. The
 * tolerance is wide for the caller (1 s by default: a caller streams continuously, so a
 * late burst is delayed audio, not a pause) and narrower for the bot (250 ms: the
 * bot's silences between answers are real, but a stalled pacer's catch-up is not).
 *
 * Settling: a caller frame cannot end after it arrived. Where the first frame of a
 * caller stretch (the first one, or one after a gap) was handled late — the server
 * stalled as the call began — the frames after it, appended at the head, run ahead of
 * the clock by that delay. For a second after each such anchor, a caller frame whose
 * end lies past now moves the stretch written since the anchor back by the excess (not
 * before the previous stretch, the recording's start or audio already handed out), so
 * the caller lands where the clock says, whatever the delay of its first frame. The bot's
 * frames are placed by their send time, which is exact.
 *
 * Memory: each channel keeps two chunk windows, preallocated; `caller` and `bot`
 * only copy into them (the resamplers return views of their own buffers). The one
 * allocation is each handed-out chunk's byte array.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import { assertSampleRate, createResampler } from '@prx-voice/media';
import type { Resampler, SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';

/** A finished piece of the recording: interleaved PCM16 LE stereo, caller left, bot right. */
export interface RecordingChunk {
  /** 0, 1, 2, … in time order, no gaps. */
  readonly index: number;
  /** Position of the chunk's first sample frame on the recording's time axis (sample frames at `sampleRate` since the recorder started). */
  readonly startSample: number;
  /** Sample frames in the chunk (every chunk but the last is exactly chunkSamples long). */
  readonly samples: number;
  /** Interleaved PCM16 LE stereo, `samples * 4` bytes; owned by the receiver. */
  readonly bytes: Uint8Array;
}

/** Options of {@link createStereoRecorder}. */
export interface StereoRecorderOptions {
  readonly clock: Clock;
  /** Recording rate; caller and bot audio at other rates are resampled to it (streaming, one resampler per channel). */
  readonly sampleRate: SampleRate;
  /** Rate of the audio passed to `caller`. */
  readonly callerRate: SampleRate;
  /** Rate of the audio passed to `bot`. */
  readonly botRate: SampleRate;
  /** Chunk length in ms (default 5000; at most 600 000). */
  readonly chunkMs?: number;
  /** How long after a chunk's time window ends the recorder waits for late frames before handing it out (default 500 ms; at most 600 000). */
  readonly latenessMs?: number;
  /**
   * A frame that would land more than this far (ms) after its channel's write head is
   * placed at its time, the skipped span left silent; otherwise it is appended at the
   * head (absorbs jitter and stalls). One number for both channels, or each its own;
   * defaults: caller 1000, bot 250.
   */
  readonly gapToleranceMs?: number | { readonly caller?: number; readonly bot?: number };
  /** Receives each finished chunk, synchronously, in order. Must not throw (a throw is caught and the recording goes on). */
  readonly onChunk: (chunk: RecordingChunk) => void;
}

/** Totals of a stopped recording. */
export interface StereoRecordingTotals {
  /** Sample frames in all chunks (the recording's length). */
  readonly samples: number;
  /** Chunks handed out. */
  readonly chunks: number;
  /** `samples` in ms at the recording rate. */
  readonly durationMs: number;
}

/** A running stereo recording; see {@link createStereoRecorder}. */
export interface StereoRecorder {
  /** Audio just received from the caller (PCM16 mono at callerRate); it ENDS now (clock.now()). Not kept. */
  caller(samples: Int16Array): void;
  /** Audio being sent to the caller (PCM16 mono at botRate); it STARTS now. Not kept. */
  bot(frame: Int16Array): void;
  /** Stops: flushes resamplers, hands out the last (partial) chunk if it holds any sample, cancels the timer. Idempotent; later caller/bot calls are ignored. Returns the totals. */
  stop(): StereoRecordingTotals;
  /** Clock time at creation, epoch ms. */
  readonly startedAt: number;
}

/** Longest chunk or lateness accepted, ms: two windows of 10 min at 48 kHz are already ~110 MB per channel. */
const MAX_WINDOW_MS = 600_000;

/** One channel: its resampler, its two-window buffer and its write head. */
interface Track {
  readonly resampler: Resampler;
  /** Output samples per input sample. */
  readonly ratio: number;
  /** Samples of [windowStart, windowStart + 2 × chunkSamples). */
  readonly buffer: Int16Array;
  /** Absolute position of the next sample written. */
  head: number;
  /** How far past the head a frame may be expected before the head jumps, samples. */
  readonly tolerance: number;
  /** Whether a frame has been placed (the first one goes where it is expected). */
  anchored: boolean;
  /** Where the last frame written ended (absolute sample position). */
  lastEnd: number;
  /** Samples fed to the resampler, and taken from it. */
  fed: number;
  taken: number;
  /** Where the current stretch's first sample is, and the earliest it may move back to (see settling). */
  anchorAt: number;
  floor: number;
  /** Clock time (epoch ms) the current stretch was anchored. */
  anchoredAt: number;
}

/** How long after a caller stretch is anchored its placement may still move back, ms. */
const SETTLE_MS = 1_000;

function checkMs(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Stereo recorder ${name} ${String(value)} is invalid; expected ${min} … ${max} ms.`,
      details: { [name]: value },
    });
  }
  return value;
}

/**
 * Creates a stereo recorder started now, with its first window's timer armed.
 *
 * @example
 * const recorder = createStereoRecorder({
 *   clock, sampleRate: 24000, callerRate: 16000, botRate: 24000,
 *   onChunk: (chunk) => uploads.push(store.put(`${key}/${chunk.index}`, chunk.bytes)),
 * });
 * transport.on('audio', (frame) => recorder.caller(frame)); // as received
 * pacer = createOutputPacer({ …, send: (frame, info) => { recorder.bot(frame); socket.send(frame); } });
 * const { samples } = recorder.stop(); // then a WAV header: wavHeader({ sampleRate: 24000, channels: 2, dataBytes: samples * 4 })
 */
export function createStereoRecorder(options: StereoRecorderOptions): StereoRecorder {
  const { clock, onChunk } = options;
  const rate = assertSampleRate(options.sampleRate);
  const chunkMs = checkMs('chunkMs', options.chunkMs ?? 5000, 0, MAX_WINDOW_MS);
  const latenessMs = checkMs('latenessMs', options.latenessMs ?? 500, 0, MAX_WINDOW_MS);
  const given = options.gapToleranceMs;
  const toleranceOf = (channel: 'caller' | 'bot', fallback: number): number => {
    const ms = typeof given === 'number' ? given : (given?.[channel] ?? fallback);
    return Math.round((checkMs('gapToleranceMs', ms, 0, Number.MAX_VALUE) * rate) / 1000);
  };
  const chunkSamples = Math.round((chunkMs * rate) / 1000);
  if (chunkSamples < 1) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Stereo recorder chunkMs ${chunkMs} is shorter than one sample at ${rate} Hz.`,
      details: { chunkMs, sampleRate: rate },
    });
  }
  const capacity = 2 * chunkSamples;
  const track = (from: SampleRate, tolerance: number): Track => {
    const resampler = createResampler({ from, to: rate });
    const buffer = new Int16Array(capacity);
    return {
      resampler,
      ratio: rate / resampler.from,
      buffer,
      head: 0,
      fed: 0,
      taken: 0,
      tolerance,
      anchored: false,
      lastEnd: 0,
      anchorAt: 0,
      floor: 0,
      anchoredAt: 0,
    };
  };
  const callerTrack = track(options.callerRate, toleranceOf('caller', 1_000));
  const botTrack = track(options.botRate, toleranceOf('bot', 250));
  const tracks = [callerTrack, botTrack] as const;

  const startedAt = clock.now();
  let windowStart = 0;
  let nextIndex = 0;
  let timer: TimerHandle | undefined;
  let totals: StereoRecordingTotals | undefined;

  const positionNow = (): number =>
    Math.max(0, Math.round(((clock.now() - startedAt) * rate) / 1000));

  /** Output samples the channel's resampler holds back (the input it has not yet answered). */
  const heldBack = (t: Track): number => Math.max(0, Math.round(t.fed * t.ratio) - t.taken);

  const arm = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    const due = startedAt + ((windowStart + chunkSamples) * 1000) / rate + latenessMs;
    timer = clock.setTimeout(onTimer, due - clock.now());
  };

  /** Hands out the first `samples` of the current window and moves on to the next. */
  const handOut = (samples: number): void => {
    const bytes = new Uint8Array(samples * 4);
    const view = new DataView(bytes.buffer);
    const left = callerTrack.buffer;
    const right = botTrack.buffer;
    for (let i = 0; i < samples; i++) {
      view.setInt16(4 * i, left[i] as number, true);
      view.setInt16(4 * i + 2, right[i] as number, true);
    }
    const chunk: RecordingChunk = { index: nextIndex, startSample: windowStart, samples, bytes };
    nextIndex += 1;
    windowStart += chunkSamples;
    for (const t of tracks) {
      t.buffer.copyWithin(0, chunkSamples);
      t.buffer.fill(0, chunkSamples);
      if (t.head < windowStart) t.head = windowStart;
    }
    // State is settled (and the next timer armed) before the owner sees the chunk,
    // so an onChunk that calls back into the recorder finds it consistent.
    if (totals === undefined) arm();
    try {
      onChunk(chunk);
    } catch {
      // The owner's failure (say, a full upload queue) must not stop the recording.
    }
  };

  function onTimer(): void {
    timer = undefined;
    if (totals === undefined) handOut(chunkSamples);
  }

  /**
   * Writes `src` for `t`, expected at absolute position `expected`. `live` writes
   * stop when a chunk's receiver stops the recorder meanwhile.
   */
  const write = (t: Track, src: Int16Array, expected: number, live: boolean): void => {
    // Judged against the end of the last frame written (the head may have been moved past
    // it when a window was handed out): a frame that continues the stream is appended.
    if (!t.anchored || expected > t.lastEnd + t.tolerance) {
      t.floor = t.anchored ? t.lastEnd : 0;
      t.head = Math.max(t.head, expected);
      t.anchorAt = t.head;
      t.anchoredAt = clock.now();
    }
    t.anchored = true;
    const buffer = t.buffer;
    let from = 0;
    while (from < src.length) {
      const end = windowStart + capacity;
      if (t.head >= end) {
        handOut(chunkSamples);
        if (live && totals !== undefined) return;
        continue;
      }
      const at = t.head - windowStart;
      const count = Math.min(src.length - from, end - t.head);
      for (let i = 0; i < count; i++) buffer[at + i] = src[from + i] as number;
      from += count;
      t.head += count;
    }
    t.lastEnd = t.head;
  };

  /**
   * Moves the caller's current stretch back where its head has run past `end`, the
   * latest its audio can end (see settling): within {@link SETTLE_MS} of the anchor,
   * never before the stretch's floor or the current window. Copies within the window
   * buffer; allocates nothing.
   */
  const settle = (t: Track, end: number): void => {
    if (clock.now() - t.anchoredAt > SETTLE_MS || t.head <= end) return;
    const shift = Math.min(t.head - end, t.anchorAt - Math.max(t.floor, windowStart));
    if (shift <= 0) return;
    const from = t.anchorAt - windowStart;
    const to = t.head - windowStart;
    t.buffer.copyWithin(from - shift, from, to);
    t.buffer.fill(0, to - shift, to);
    t.anchorAt -= shift;
    t.head -= shift;
    t.lastEnd -= shift;
  };

  /** Resamples `input` for `t`; the result is a view valid until the next call. */
  const feed = (t: Track, input: Int16Array): Int16Array => {
    const out = t.resampler.process(input);
    t.fed += input.length;
    t.taken += out.length;
    return out;
  };

  arm();

  return {
    startedAt,
    caller(samples: Int16Array): void {
      if (totals !== undefined) return;
      const out = feed(callerTrack, samples);
      if (out.length === 0) return;
      // The output ends where the input ends (now) less what the resampler holds back.
      const end = positionNow() - heldBack(callerTrack);
      write(callerTrack, out, Math.max(0, end - out.length), true);
      settle(callerTrack, end); // a no-op once stopped: nothing is left in the window
    },
    bot(frame: Int16Array): void {
      if (totals !== undefined) return;
      // The output starts where the held-back input started: before this frame.
      const start = positionNow() - heldBack(botTrack);
      const out = feed(botTrack, frame);
      if (out.length === 0) return;
      write(botTrack, out, Math.max(0, start), true);
    },
    stop(): StereoRecordingTotals {
      if (totals !== undefined) return totals;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      const callerTail = callerTrack.resampler.flush();
      const botTail = botTrack.resampler.flush();
      const end = Math.max(callerTrack.head + callerTail.length, botTrack.head + botTail.length);
      // Settled first, so an onChunk calling stop() again gets the final totals.
      totals = {
        samples: end,
        chunks: nextIndex + Math.ceil((end - windowStart) / chunkSamples),
        durationMs: (end * 1000) / rate,
      };
      write(callerTrack, callerTail, callerTrack.head, false);
      write(botTrack, botTail, botTrack.head, false);
      while (end - windowStart >= chunkSamples) handOut(chunkSamples);
      if (end > windowStart) handOut(end - windowStart);
      return totals;
    },
  };
}
