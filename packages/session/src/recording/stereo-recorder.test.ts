import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { generateTone, readWav, wavHeader } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import { createStereoRecorder } from './stereo-recorder.js';
import type { RecordingChunk, StereoRecorderOptions } from './stereo-recorder.js';

type Rates = Pick<StereoRecorderOptions, 'sampleRate' | 'callerRate' | 'botRate'>;
type Extra = Partial<Omit<StereoRecorderOptions, 'clock' | 'onChunk'>>;

function setup(rates: Rates, extra: Extra = {}) {
  const clock = new SimulatedClock();
  const chunks: RecordingChunk[] = [];
  const recorder = createStereoRecorder({
    clock,
    ...rates,
    ...extra,
    onChunk: (chunk) => chunks.push(chunk),
  });
  return { clock, chunks, recorder };
}

/** Checks the chunks are in order and contiguous, and splits them into left and right. */
function decode(chunks: readonly RecordingChunk[], chunkSamples: number) {
  const total = chunks.reduce((sum, chunk) => sum + chunk.samples, 0);
  const left = new Int16Array(total);
  const right = new Int16Array(total);
  let at = 0;
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    expect(chunk.startSample).toBe(at);
    expect(chunk.bytes.length).toBe(chunk.samples * 4);
    if (i < chunks.length - 1) expect(chunk.samples).toBe(chunkSamples);
    const view = new DataView(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.length);
    for (let s = 0; s < chunk.samples; s++) {
      left[at + s] = view.getInt16(4 * s, true);
      right[at + s] = view.getInt16(4 * s + 2, true);
    }
    at += chunk.samples;
  });
  return { left, right };
}

/** Index of the first sample louder than `threshold`, or -1. */
function onset(samples: Int16Array, threshold = 1000): number {
  return samples.findIndex((x) => Math.abs(x) > threshold);
}

/** A frame of recognisable non-zero samples: 1 + the running sample number, wrapped. */
function numbered(first: number, length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => 1 + ((first + i) % 30_000));
}

function nonZero(samples: Int16Array): number[] {
  return Array.from(samples).filter((x) => x !== 0);
}

describe('createStereoRecorder: alignment', () => {
  it('puts a 16 kHz caller burst left and a 24 kHz bot tone right, each within 20 ms of its time', () => {
    const { clock, chunks, recorder } = setup(
      { sampleRate: 24000, callerRate: 16000, botRate: 24000 },
      { chunkMs: 1000 },
    );
    const burst = generateTone({ sampleRate: 16000, frequencyHz: 1000, durationMs: 20 });
    const voice = generateTone({ sampleRate: 24000, frequencyHz: 440, durationMs: 20 });
    // Caller speaks 1000…1500 ms; the bot answers 1700…2200 ms; 20 ms frames in real time.
    for (let t = 0; t < 3000; t += 20) {
      if (t >= 1700 && t < 2200) recorder.bot(voice.samples); // starts now
      clock.advance(20);
      const speaking = t >= 1000 && t < 1500;
      recorder.caller(speaking ? burst.samples : new Int16Array(320)); // ends now
    }
    const totals = recorder.stop();
    const { left, right } = decode(chunks, 24000);
    expect(totals.samples).toBe(left.length);

    const tolerance = 0.02 * 24000;
    const callerOnset = onset(left);
    const botOnset = onset(right);
    expect(Math.abs(callerOnset - 24000)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(botOnset - 40800)).toBeLessThanOrEqual(tolerance);
    // Each channel is silent where the other one speaks.
    expect(nonZero(right.subarray(0, 40800 - tolerance))).toEqual([]);
    expect(onset(left.subarray(1600 * 24))).toBe(-1);
  });

  it('allows for the resampler look-ahead: a resampled step lands on its time to the sample', () => {
    const { clock, chunks, recorder } = setup(
      { sampleRate: 24000, callerRate: 16000, botRate: 8000 },
      { chunkMs: 1000 },
    );
    clock.advance(1000); // nothing until 1 s: the first caller frame jumps the head
    for (let k = 0; k < 10; k++) {
      recorder.bot(new Int16Array(160).fill(10_000));
      clock.advance(20);
      recorder.caller(new Int16Array(320).fill(10_000));
    }
    recorder.stop();
    const { left, right } = decode(chunks, 24000);
    // A zero-phase filter crosses half the step's height at the step.
    expect(Math.abs(onset(left, 5000) - 24000)).toBeLessThanOrEqual(2);
    expect(Math.abs(onset(right, 5000) - 24000)).toBeLessThanOrEqual(2);
  });

  it('makes chunks that, behind a wavHeader, are a stereo WAV file readWav accepts', () => {
    const { clock, chunks, recorder } = setup(
      { sampleRate: 16000, callerRate: 16000, botRate: 16000 },
      { chunkMs: 100 },
    );
    recorder.bot(new Int16Array(1600).fill(1000));
    clock.advance(100);
    recorder.caller(new Int16Array(1600).fill(3000));
    const { samples } = recorder.stop();
    const data = chunks.map((chunk) => chunk.bytes);
    const header = wavHeader({ sampleRate: 16000, channels: 2, dataBytes: samples * 4 });
    const file = Buffer.concat([header, ...data]);
    const wav = readWav(file, { downmix: true });
    expect(wav.channels).toBe(2);
    expect(Array.from(wav.samples)).toEqual(new Array<number>(1600).fill(2000));
  });
});

describe('createStereoRecorder: gaps and jitter', () => {
  const rates: Rates = { sampleRate: 16000, callerRate: 16000, botRate: 16000 };

  it('places audio resumed after 2 s of nothing at its time, silence between', () => {
    const { clock, chunks, recorder } = setup(rates, { chunkMs: 1000 });
    const sent: number[] = [];
    const send = (count: number): void => {
      for (let k = 0; k < count; k++) {
        clock.advance(20);
        const frame = numbered(sent.length, 320);
        sent.push(...frame);
        recorder.caller(frame);
      }
    };
    send(50); // 0 … 1 s
    clock.advance(2000);
    send(50); // 3 … 4 s
    recorder.stop();
    const { left, right } = decode(chunks, 16000);
    expect(left.length).toBe(64000);
    expect(Array.from(left.subarray(0, 16000))).toEqual(sent.slice(0, 16000));
    expect(nonZero(left.subarray(16000, 48000))).toEqual([]);
    expect(Array.from(left.subarray(48000))).toEqual(sent.slice(16000));
    expect(nonZero(right)).toEqual([]);
  });

  it('places the first frame where it belongs, and keeps a stalled stream where it was', () => {
    const { clock, chunks, recorder } = setup(rates, { chunkMs: 1000 });
    // The first frame arrives at 70 ms: its audio began at 50 ms, not at 0.
    clock.advance(70);
    recorder.caller(numbered(0, 320));
    // Frames 1–4 in real time, then a 120 ms stall and its burst, then real time again.
    for (let k = 1; k < 5; k++) {
      clock.advance(20);
      recorder.caller(numbered(k * 320, 320));
    }
    clock.advance(140);
    for (let k = 5; k < 12; k++) recorder.caller(numbered(k * 320, 320));
    for (let k = 12; k < 30; k++) {
      clock.advance(20);
      recorder.caller(numbered(k * 320, 320));
    }
    recorder.stop();
    const { left } = decode(chunks, 16000);
    expect(nonZero(left.subarray(0, 800))).toEqual([]);
    // Continuous from 50 ms: the stall shifted nothing.
    expect(Array.from(left.subarray(800, 800 + 30 * 320))).toEqual(
      Array.from(numbered(0, 30 * 320)),
    );
  });

  it('settles a stretch whose first frames were handled late back to where they were captured', () => {
    const { clock, chunks, recorder } = setup(rates, { chunkMs: 1000 });
    const send = (first: number, count: number): void => {
      for (let k = first; k < first + count; k++) recorder.caller(numbered(k * 320, 320));
    };
    // The caller's frames end at 220, 240, … ms; the server, stalled as the call began,
    // handles the first four at 280 ms, then the rest as they come.
    clock.advance(280);
    send(0, 4);
    for (let k = 4; k < 30; k++) {
      clock.advance(20);
      send(k, 1);
    }
    // A second stretch after 2 s of nothing, its first three frames (ending 2860, 2880,
    // 2900 ms) handled at 2900 ms: it settles too, after the first stretch.
    clock.advance(2100);
    send(30, 3);
    for (let k = 33; k < 40; k++) {
      clock.advance(20);
      send(k, 1);
    }
    recorder.stop();
    const { left } = decode(chunks, 16000);
    expect(nonZero(left.subarray(0, 3200))).toEqual([]);
    expect(Array.from(left.subarray(3200, 3200 + 30 * 320))).toEqual(
      Array.from(numbered(0, 30 * 320)),
    );
    expect(nonZero(left.subarray(3200 + 30 * 320, 2840 * 16))).toEqual([]);
    expect(Array.from(left.subarray(2840 * 16, 2840 * 16 + 10 * 320))).toEqual(
      Array.from(numbered(30 * 320, 10 * 320)),
    );
  });

  it('moves a stretch back no further than its floor, and not once it has settled', () => {
    const { clock, chunks, recorder } = setup(rates, { chunkMs: 1000 });
    // 50 frames (1 s of audio) arrive at once at 100 ms: they cannot all have been
    // captured by then, but a stretch moves back no further than the recording's start.
    clock.advance(100);
    for (let k = 0; k < 50; k++) recorder.caller(numbered(k * 320, 320));
    // 1.5 s later, past the settling second, a frame ending 300 ms before the head is
    // appended; and the head, now behind the clock, is not moved back again.
    clock.advance(1500);
    recorder.caller(numbered(50 * 320, 320));
    recorder.stop();
    const { left } = decode(chunks, 16000);
    expect(Array.from(left.subarray(0, 51 * 320))).toEqual(Array.from(numbered(0, 51 * 320)));
  });

  it('keeps frames arriving 10 ms early or late contiguous, losing none', () => {
    const { clock, chunks, recorder } = setup(rates, { chunkMs: 500 });
    const sent: number[] = [];
    const jitter = [-10, 10, 0, 10, -10, -10, 10, 0];
    for (let k = 0; k < 200; k++) {
      clock.advanceTo(
        Math.max(clock.now(), recorder.startedAt + (k + 1) * 20 + (jitter[k % 8] ?? 0)),
      );
      const frame = numbered(sent.length, 320);
      sent.push(...frame);
      recorder.caller(frame);
    }
    const totals = recorder.stop();
    const { left } = decode(chunks, 8000);
    expect(totals.samples).toBe(sent.length);
    expect(Array.from(left)).toEqual(sent);
  });

  it('absorbs a bot frame sent a little late, and places one sent after a pause at its time', () => {
    const { clock, chunks, recorder } = setup(rates, { chunkMs: 1000 });
    recorder.bot(new Int16Array(320).fill(7)); // 0 … 20 ms
    clock.advance(50); // 30 ms late: within the 60 ms tolerance, so appended at 20 ms
    recorder.bot(new Int16Array(320).fill(8));
    clock.advance(450); // a pause: the next frame starts at 500 ms
    recorder.bot(new Int16Array(320).fill(9));
    recorder.stop();
    const { right } = decode(chunks, 16000);
    expect(right.length).toBe(8320);
    expect(nonZero(right.subarray(0, 640))).toEqual([
      ...new Array<number>(320).fill(7),
      ...new Array<number>(320).fill(8),
    ]);
    expect(nonZero(right.subarray(640, 8000))).toEqual([]);
    expect(nonZero(right.subarray(8000))).toEqual(new Array<number>(320).fill(9));
  });
});

describe('createStereoRecorder: faster than real time', () => {
  it('keeps 100 frames given at one instant, in order, handing out windows as they fill', () => {
    const { clock, chunks, recorder } = setup(
      { sampleRate: 16000, callerRate: 16000, botRate: 16000 },
      { chunkMs: 500 },
    );
    const sent: number[] = [];
    for (let k = 0; k < 100; k++) {
      const frame = numbered(sent.length, 320);
      sent.push(...frame);
      recorder.caller(frame);
    }
    // 32 000 samples: two windows of 8000 went out to make room, two are buffered.
    expect(chunks.map((chunk) => chunk.startSample)).toEqual([0, 8000]);
    expect(clock.now()).toBe(recorder.startedAt);
    // A single bot frame of 3 s, longer than both windows, at the same instant. The
    // windows before 1 s are out already, so the bot's head starts at the current one.
    recorder.bot(new Int16Array(48000).fill(5));
    expect(chunks.length).toBe(6);
    const totals = recorder.stop();
    expect(totals).toEqual({ samples: 64000, chunks: 8, durationMs: 4000 });
    const { left, right } = decode(chunks, 8000);
    expect(Array.from(left.subarray(0, 32000))).toEqual(sent);
    expect(nonZero(left.subarray(32000))).toEqual([]);
    expect(nonZero(right.subarray(0, 16000))).toEqual([]);
    expect(right.subarray(16000).every((x) => x === 5)).toBe(true);
  });
});

describe('createStereoRecorder: timer', () => {
  it('hands out chunks of silence every chunkMs (after the lateness) when nothing is sent', () => {
    const { clock, chunks, recorder } = setup(
      { sampleRate: 8000, callerRate: 8000, botRate: 8000 },
      { chunkMs: 1000, latenessMs: 500 },
    );
    clock.advance(1499);
    expect(chunks).toEqual([]);
    clock.advance(1);
    expect(chunks.map((chunk) => chunk.index)).toEqual([0]);
    clock.advance(9000); // t = 10.5 s
    expect(chunks.map((chunk) => chunk.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    chunks.forEach((chunk) => {
      expect(chunk.startSample).toBe(chunk.index * 8000);
      expect(chunk.samples).toBe(8000);
      expect(chunk.bytes.every((b) => b === 0)).toBe(true);
    });
    expect(recorder.stop()).toEqual({ samples: 80000, chunks: 10, durationMs: 10_000 });
  });

  it('waits latenessMs for frames held up near the end of a window', () => {
    const { clock, chunks, recorder } = setup(
      { sampleRate: 16000, callerRate: 16000, botRate: 16000 },
      { chunkMs: 1000, latenessMs: 200 },
    );
    const frame = new Int16Array(320).fill(4);
    for (let k = 0; k < 48; k++) {
      clock.advance(20);
      recorder.caller(frame); // in real time up to 960 ms
    }
    clock.advance(50); // the audio of 960 … 1000 ms is held up and arrives at 1010 ms
    recorder.caller(frame);
    recorder.caller(frame);
    clock.advance(189);
    expect(chunks).toEqual([]);
    clock.advance(1); // the window goes at 1200 ms, whole
    expect(chunks.length).toBe(1);
    expect(decode(chunks, 16000).left.every((x) => x === 4)).toBe(true);
  });
});

describe('createStereoRecorder: stop', () => {
  it('hands out the last partial chunk, returns totals, and is idempotent', () => {
    const { clock, chunks, recorder } = setup(
      { sampleRate: 16000, callerRate: 16000, botRate: 16000 },
      { chunkMs: 1000 },
    );
    for (let t = 0; t < 2300; t += 20) {
      clock.advance(20);
      recorder.caller(new Int16Array(320).fill(1));
    }
    expect(chunks.length).toBe(1); // window 0 went at 1.5 s; window 1 is due at 2.5 s
    const totals = recorder.stop();
    expect(totals).toEqual({ samples: 36800, chunks: 3, durationMs: 2300 });
    expect(chunks.map((chunk) => [chunk.index, chunk.startSample, chunk.samples])).toEqual([
      [0, 0, 16000],
      [1, 16000, 16000],
      [2, 32000, 4800],
    ]);
    expect(recorder.stop()).toBe(totals);
    recorder.caller(new Int16Array(320).fill(1));
    recorder.bot(new Int16Array(320).fill(1));
    expect(clock.pendingCount).toBe(0);
    clock.advance(10_000);
    expect(chunks.length).toBe(3);
  });

  it('writes the resamplers’ held-back tails, so nothing fed is lost', () => {
    const { clock, chunks, recorder } = setup(
      { sampleRate: 24000, callerRate: 16000, botRate: 8000 },
      { chunkMs: 250 },
    );
    const tone = generateTone({ sampleRate: 16000, frequencyHz: 300, durationMs: 20 });
    for (let k = 0; k < 40; k++) {
      recorder.bot(new Int16Array(160).fill(2000));
      clock.advance(20);
      recorder.caller(tone.samples);
    }
    const totals = recorder.stop();
    // 40 × 20 ms from 0, each channel at 24 kHz: 40 × 480 samples, tails included.
    expect(totals.samples).toBe(40 * 480);
    const { right } = decode(chunks, 6000);
    expect(Math.abs((right[right.length - 200] ?? 0) - 2000)).toBeLessThan(20);
  });

  it('hands out nothing when stopped before any sample', () => {
    const { chunks, recorder } = setup({ sampleRate: 16000, callerRate: 16000, botRate: 16000 });
    expect(recorder.stop()).toEqual({ samples: 0, chunks: 0, durationMs: 0 });
    expect(chunks).toEqual([]);
  });

  it('gives the final totals to an onChunk that stops the recorder mid-write', () => {
    const clock = new SimulatedClock();
    const seen: number[] = [];
    let inner: unknown;
    const recorder = createStereoRecorder({
      clock,
      sampleRate: 8000,
      callerRate: 8000,
      botRate: 8000,
      chunkMs: 100,
      onChunk: (chunk) => {
        seen.push(chunk.samples);
        if (chunk.index === 0) inner = recorder.stop();
      },
    });
    // 2.5 windows at once: the first is forced out, its receiver stops the recording,
    // and the rest of the frame (past the two windows) is dropped.
    recorder.caller(new Int16Array(2000).fill(1));
    const outer = recorder.stop();
    expect(inner).toBe(outer);
    expect(outer).toEqual({ samples: 1600, chunks: 2, durationMs: 200 });
    expect(seen).toEqual([800, 800]);
  });
});

describe('createStereoRecorder: robustness', () => {
  it('keeps recording when onChunk throws', () => {
    const clock = new SimulatedClock();
    const seen: number[] = [];
    const recorder = createStereoRecorder({
      clock,
      sampleRate: 8000,
      callerRate: 8000,
      botRate: 8000,
      chunkMs: 1000,
      onChunk: (chunk) => {
        seen.push(chunk.index);
        throw new Error('upload queue full');
      },
    });
    clock.advance(1500);
    recorder.caller(new Int16Array(160).fill(1));
    clock.advance(1000);
    recorder.caller(new Int16Array(160).fill(1));
    expect(() => recorder.stop()).not.toThrow();
    expect(seen).toEqual([0, 1, 2]);
  });

  it.each<[string, Extra, Partial<Rates>, RegExp]>([
    ['chunkMs 0', { chunkMs: 0 }, {}, /^VALIDATION_FAILED/],
    ['chunkMs NaN', { chunkMs: Number.NaN }, {}, /^VALIDATION_FAILED/],
    ['chunkMs of an hour', { chunkMs: 3_600_000 }, {}, /^VALIDATION_FAILED/],
    ['negative latenessMs', { latenessMs: -1 }, {}, /^VALIDATION_FAILED/],
    ['negative gapToleranceMs', { gapToleranceMs: -5 }, {}, /^VALIDATION_FAILED/],
    [
      'an unsupported rate',
      {},
      { sampleRate: Number('11025') as SampleRate },
      /^UNSUPPORTED_AUDIO_FORMAT/,
    ],
  ])('refuses %s', (_name, extra, rates, pattern) => {
    const create = () =>
      setup({ sampleRate: 16000, callerRate: 16000, botRate: 16000, ...rates }, extra);
    let code = '';
    try {
      create();
    } catch (error) {
      if (VoiceError.is(error)) code = error.code;
    }
    expect(code).toMatch(pattern);
  });
});
