import { createSharedTicks } from '@prx-voice/core';
import { SimulatedClock } from '@prx-voice/core/testing';
import { describe, expect, it } from 'vitest';
import { createOutputPacer } from './pacer.js';
import type { OutputPacerOptions, PacerProgress } from './pacer.js';

const RATE = 16000;
/** Samples per ms at 16 kHz. */
const PER_MS = RATE / 1000;

interface SentFrame {
  readonly at: number;
  readonly runId: string;
  readonly segmentId: string;
  readonly offsetMs: number;
  readonly samples: number[];
}

interface Report extends PacerProgress {
  readonly at: number;
}

/** Audio whose sample values count up from `start`, so order and content can be checked. */
function ramp(ms: number, start = 0): Int16Array {
  const samples = new Int16Array(Math.round(ms * PER_MS));
  for (let i = 0; i < samples.length; i++) samples[i] = (start + i) % 32768;
  return samples;
}

function setup(overrides: Partial<OutputPacerOptions> = {}) {
  const clock = new SimulatedClock({ start: 0 });
  const frames: SentFrame[] = [];
  const reports: Report[] = [];
  const pacer = createOutputPacer({
    clock,
    sampleRate: RATE,
    frameMs: 20,
    leadMs: 200,
    send: (frame, info) => frames.push({ at: clock.now(), ...info, samples: Array.from(frame) }),
    onProgress: (p) => reports.push({ at: clock.now(), ...p }),
    ...overrides,
  });
  const sentMs = (segmentId?: string): number =>
    frames
      .filter((f) => segmentId === undefined || f.segmentId === segmentId)
      .reduce((sum, f) => sum + f.samples.length, 0) / PER_MS;
  return { clock, frames, reports, pacer, sentMs };
}

describe('createOutputPacer', () => {
  it('sends the lead at once, then one frame per frameMs: never more than N + lead, never less than N', () => {
    const { clock, frames, pacer, sentMs } = setup();
    pacer.enqueue({ runId: 'r1', segmentId: 's1', samples: ramp(2000) });
    pacer.endSegment('s1');
    expect(sentMs()).toBe(200);
    expect(frames).toHaveLength(10);
    for (let elapsed = 7; elapsed <= 2600; elapsed += 7) {
      clock.advance(7);
      expect(sentMs()).toBeLessThanOrEqual(elapsed + 200);
      expect(sentMs()).toBeGreaterThanOrEqual(Math.min(elapsed, 2000));
    }
    expect(sentMs()).toBe(2000);
    // Frames are whole, in order, with their offsets.
    expect(frames.every((f) => f.samples.length === 320)).toBe(true);
    expect(frames.map((f) => f.offsetMs)).toEqual(frames.map((_, i) => i * 20));
    expect(frames.flatMap((f) => f.samples)).toEqual(Array.from(ramp(2000)));
    expect(clock.pendingCount).toBe(0);
  });

  it('setFrameMs: frames of the new length from the next one on, the same lead, scaled ones too', () => {
    const { clock, frames, pacer, sentMs } = setup();
    pacer.enqueue({ runId: 'r1', segmentId: 's1', samples: ramp(1010) });
    pacer.endSegment('s1');
    expect(frames).toHaveLength(10); // the 200 ms lead in 20 ms frames
    pacer.setFrameMs(60);
    pacer.setGain(0.5);
    for (let elapsed = 5; elapsed <= 1300; elapsed += 5) {
      clock.advance(5);
      expect(sentMs()).toBeLessThanOrEqual(elapsed + 200);
      expect(sentMs()).toBeGreaterThanOrEqual(Math.min(elapsed, 1010));
    }
    const later = frames.slice(10).map((f) => f.samples.length / PER_MS);
    // 810 ms left: thirteen frames of 60 ms and the segment's last 30 ms.
    expect(later).toEqual([...Array<number>(13).fill(60), 30]);
    expect(frames[10]?.samples.slice(0, 3)).toEqual([1600, 1601, 1601]); // 3200, 3201, 3202 halved, rounded
    expect(() => pacer.setFrameMs(250)).toThrow(/leadMs \(200\) is shorter than frameMs \(250\)/);
    expect(() => pacer.setFrameMs(0)).toThrow(/frameMs is 0/);
  });

  it('on shared ticks: sends only on their grid, never more than N + lead ahead, never less than N', () => {
    const clock = new SimulatedClock({ start: 3 });
    const ticks = createSharedTicks(clock, 5);
    const sends: number[] = [];
    let sent = 0;
    const late: number[] = [];
    const pacer = createOutputPacer({
      clock: ticks,
      wakeLateMs: ticks.slotMs,
      sampleRate: RATE,
      frameMs: 20,
      leadMs: 200,
      send: (frame) => {
        sends.push(clock.now());
        sent += frame.length / PER_MS;
      },
      onProgress: () => undefined,
      onWake: (ms) => late.push(ms),
    });
    pacer.enqueue({ runId: 'r1', segmentId: 's1', samples: ramp(2000) });
    pacer.endSegment('s1');
    expect(sent).toBe(200);
    for (let elapsed = 1; elapsed <= 2600; elapsed++) {
      clock.advance(1);
      expect(sent).toBeLessThanOrEqual(elapsed + 200);
      expect(sent).toBeGreaterThanOrEqual(Math.min(elapsed, 2000));
    }
    expect(sent).toBe(2000);
    // After the first lead, every frame went out on a wake of the grid.
    expect(sends.slice(10).every((at) => at % 5 === 0)).toBe(true);
    // Woken on time: the slot's delay is by design, not lateness.
    expect(late.every((ms) => ms === 0)).toBe(true);
  });

  it('reports how late its timer fired at each wake', () => {
    const sim = new SimulatedClock({ start: 0 });
    let skew = 0;
    // A clock whose timers fire on time but whose reading runs `skew` ms behind them: a busy loop.
    const clock = {
      now: () => sim.now() + skew,
      setTimeout: (fn: () => void, ms: number) => sim.setTimeout(fn, ms),
      clearTimeout: (h: Parameters<typeof sim.clearTimeout>[0]) => {
        sim.clearTimeout(h);
      },
    };
    const late: number[] = [];
    const pacer = createOutputPacer({
      clock,
      sampleRate: RATE,
      send: () => undefined,
      onProgress: () => undefined,
      onWake: (ms) => late.push(ms),
    });
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(PER_MS * 400) });
    expect(late).toEqual([]);
    sim.advance(20);
    expect(late).toEqual([0]);
    skew = 7;
    sim.advance(20);
    expect(late).toEqual([0, 7]);
    pacer.close();
  });

  it('cuts odd sample counts into fixed frames, the last one short, across enqueue pieces', () => {
    const { frames, pacer } = setup();
    const all = new Int16Array(1001).map((_, i) => i);
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: all.subarray(0, 7) });
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: all.subarray(7, 340) });
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: all.subarray(340, 1001) });
    expect(frames.map((f) => f.samples.length)).toEqual([320, 320, 320]);
    pacer.endSegment('s');
    expect(frames.map((f) => f.samples.length)).toEqual([320, 320, 320, 41]);
    expect(frames.flatMap((f) => f.samples)).toEqual(Array.from(all));
    expect(frames.map((f) => f.offsetMs)).toEqual([0, 20, 40, 60]);
  });

  it('sends views of the enqueued audio, or its one reused buffer when a frame spans two pieces', () => {
    const clock = new SimulatedClock({ start: 0 });
    const seen: Int16Array[] = [];
    const pacer = createOutputPacer({
      clock,
      sampleRate: RATE,
      send: (frame) => seen.push(frame),
      onProgress: () => undefined,
    });
    const a = ramp(30);
    const b = ramp(30, 480);
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: a });
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: b });
    pacer.endSegment('s');
    expect(seen).toHaveLength(3);
    expect(seen[0]?.buffer).toBe(a.buffer);
    expect(seen[1]?.buffer).not.toBe(a.buffer);
    expect(seen[1]?.buffer).not.toBe(b.buffer);
    expect(seen[2]?.buffer).toBe(b.buffer);
  });

  it('plays segments in enqueue order and never starts the next before the current one ends', () => {
    const { clock, frames, pacer } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: ramp(40) });
    pacer.enqueue({ runId: 'r', segmentId: 'b', samples: ramp(100, 5000) });
    pacer.endSegment('b');
    expect(frames.map((f) => f.segmentId)).toEqual(['a', 'a']);
    clock.advance(500);
    expect(frames.map((f) => f.segmentId)).toEqual(['a', 'a']);
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: ramp(20, 640) });
    pacer.endSegment('a');
    clock.runAll();
    expect(frames.map((f) => f.segmentId)).toEqual(['a', 'a', 'a', 'b', 'b', 'b', 'b', 'b']);
    expect(frames.filter((f) => f.segmentId === 'b').map((f) => f.offsetMs)).toEqual([
      0, 20, 40, 60, 80,
    ]);
  });

  it('reports progress every progressEveryMs and segmentDone exactly once when heard in full', () => {
    const { clock, reports, pacer } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: ramp(250) });
    pacer.endSegment('a');
    pacer.enqueue({ runId: 'r', segmentId: 'b', samples: ramp(120) });
    pacer.endSegment('b');
    clock.runAll();
    expect(
      reports.map(({ at, segmentId, playedMs, segmentDone }) => [
        at,
        segmentId,
        playedMs,
        segmentDone,
      ]),
    ).toEqual([
      [100, 'a', 100, false],
      [200, 'a', 200, false],
      [250, 'a', 250, true],
      [300, 'b', 50, false],
      [370, 'b', 120, true],
    ]);
    expect(clock.pendingCount).toBe(0);
  });

  it('reports an empty segment as done when the listener reaches it', () => {
    const { clock, reports, pacer } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: ramp(40) });
    pacer.endSegment('a');
    pacer.enqueue({ runId: 'r', segmentId: 'empty', samples: new Int16Array(0) });
    pacer.endSegment('empty');
    clock.runAll();
    expect(reports.map((r) => [r.at, r.segmentId, r.playedMs, r.segmentDone])).toEqual([
      [40, 'a', 40, true],
      [40, 'empty', 0, true],
    ]);
  });

  it('keeps no timer while idle', () => {
    const { clock, pacer } = setup();
    expect(clock.pendingCount).toBe(0);
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: ramp(60) });
    expect(clock.pendingCount).toBe(1);
    clock.advance(1000); // heard in full, but not ended: nothing can change by waiting
    expect(clock.pendingCount).toBe(0);
    pacer.endSegment('a');
    expect(clock.pendingCount).toBe(0);
  });

  it('flushes a run mid-segment: reports what was heard, and sends nothing of it afterwards', () => {
    const { clock, frames, reports, pacer, sentMs } = setup();
    pacer.enqueue({ runId: 'r1', segmentId: 'a', samples: ramp(100) });
    pacer.endSegment('a');
    pacer.enqueue({ runId: 'r1', segmentId: 'b', samples: ramp(1000) });
    pacer.enqueue({ runId: 'r1', segmentId: 'c', samples: ramp(300) });
    clock.advance(250);
    expect(sentMs()).toBe(440); // frames go out on the 20 ms grid
    const result = pacer.flush('r1');
    expect(result.heard).toEqual([
      { segmentId: 'b', playedMs: 150 },
      { segmentId: 'c', playedMs: 0 },
    ]);
    // b: 850 not heard (190 in flight + 660 queued); c: 300 queued.
    expect(result.discardedMs).toBe(1150);
    expect(clock.pendingCount).toBe(0);
    const sentBefore = frames.length;
    const reportsBefore = reports.length;
    expect(pacer.enqueue({ runId: 'r1', segmentId: 'b', samples: ramp(100) })).toBe(false);
    expect(pacer.enqueue({ runId: 'r1', segmentId: 'd', samples: ramp(100) })).toBe(false);
    pacer.endSegment('b');
    clock.advance(5000);
    expect(frames).toHaveLength(sentBefore);
    expect(reports).toHaveLength(reportsBefore);
    expect(reports.filter((r) => r.segmentDone).map((r) => r.segmentId)).toEqual(['a']);
  });

  it('flushes only the given run and lets the next run start at once', () => {
    const { clock, frames, pacer } = setup();
    pacer.enqueue({ runId: 'old', segmentId: 'o1', samples: ramp(500) });
    clock.advance(100);
    pacer.enqueue({ runId: 'new', segmentId: 'n1', samples: ramp(100) });
    pacer.endSegment('n1');
    const { heard } = pacer.flush('old');
    expect(heard).toEqual([{ segmentId: 'o1', playedMs: 100 }]);
    // The far end was cleared: the new run's audio goes out immediately, up to the lead.
    expect(frames.filter((f) => f.runId === 'new' && f.at === 100)).toHaveLength(5);
    clock.runAll();
    expect(frames.filter((f) => f.at > 100).every((f) => f.runId === 'new')).toBe(true);
  });

  it('flush() with no run drops everything', () => {
    const { clock, frames, pacer } = setup();
    pacer.enqueue({ runId: 'x', segmentId: 'x1', samples: ramp(400) });
    pacer.enqueue({ runId: 'y', segmentId: 'y1', samples: ramp(400) });
    clock.advance(40);
    const result = pacer.flush();
    expect(result.heard).toEqual([
      { segmentId: 'x1', playedMs: 40 },
      { segmentId: 'y1', playedMs: 0 },
    ]);
    expect(result.discardedMs).toBe(760);
    const count = frames.length;
    clock.advance(1000);
    expect(frames).toHaveLength(count);
  });

  it('stops sending at once when flushed from inside send', () => {
    const clock = new SimulatedClock({ start: 0 });
    const runs: string[] = [];
    const pacer = createOutputPacer({
      clock,
      sampleRate: RATE,
      send: (_frame, info) => {
        runs.push(info.runId);
        if (runs.length === 3) pacer.flush('r');
      },
      onProgress: () => undefined,
    });
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(1000) });
    clock.advance(1000);
    expect(runs).toEqual(['r', 'r', 'r']);
  });

  it('stays consistent and keeps pacing when send throws', () => {
    const clock = new SimulatedClock({ start: 0 });
    const offsets: number[] = [];
    const pacer = createOutputPacer({
      clock,
      sampleRate: RATE,
      send: (_frame, info) => {
        if (info.offsetMs === 0) throw new Error('socket closed');
        offsets.push(info.offsetMs);
      },
      onProgress: () => undefined,
    });
    expect(() => pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(100) })).toThrow(
      'socket closed',
    );
    expect(clock.pendingCount).toBe(1);
    clock.advance(0);
    expect(offsets).toEqual([20, 40, 60, 80]);
  });

  it('does not let the listener run ahead of audio that arrives slower than real time', () => {
    const { clock, reports, pacer, sentMs } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(100) });
    clock.advance(150);
    expect(pacer.inFlightMs).toBe(0);
    expect(clock.pendingCount).toBe(0);
    clock.advance(150); // t = 300: 200 ms of underrun
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(60, 1600) });
    pacer.endSegment('s');
    expect(sentMs()).toBe(160);
    clock.advance(30);
    // 100 ms before the gap + 30 ms since the audio came back, not 330.
    expect(pacer.flush('r').heard).toEqual([{ segmentId: 's', playedMs: 130 }]);
    expect(reports.map((r) => [r.at, r.playedMs, r.segmentDone])).toEqual([[100, 100, false]]);
  });

  it('reports done at the right time after an underrun', () => {
    const { clock, reports, pacer } = setup();
    for (let piece = 0; piece < 4; piece++) {
      pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(20) });
      if (piece === 3) pacer.endSegment('s');
      clock.advance(50);
    }
    clock.runAll();
    expect(reports.map((r) => [r.at, r.playedMs, r.segmentDone])).toEqual([
      [100, 40, false],
      [170, 80, true],
    ]);
  });

  it('takes the far end position from setListenerPosition and paces against it', () => {
    const { clock, frames, reports, pacer } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: ramp(100) });
    pacer.endSegment('a');
    pacer.enqueue({ runId: 'r', segmentId: 'b', samples: ramp(1000) });
    clock.advance(300); // estimate: a done, b at 200 ms
    expect(reports.at(-1)).toMatchObject({ segmentId: 'b', playedMs: 200, segmentDone: false });
    const sent = frames.length;
    pacer.setListenerPosition('b', 50); // the far end is 150 ms behind
    clock.advance(100); // b at 150 heard, 400 sent: 250 in flight, nothing may go out
    expect(frames).toHaveLength(sent);
    clock.advance(70); // b at 220, 400 sent: 180 in flight, one frame
    expect(frames).toHaveLength(sent + 1);
    expect(pacer.flush('r').heard).toEqual([{ segmentId: 'b', playedMs: 220 }]);
  });

  it('a position in a later segment completes the earlier ones', () => {
    const { clock, reports, pacer } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: ramp(100) });
    pacer.endSegment('a');
    pacer.enqueue({ runId: 'r', segmentId: 'b', samples: ramp(100) });
    pacer.endSegment('b');
    clock.advance(10);
    pacer.setListenerPosition('b', 30);
    expect(reports).toEqual([
      { at: 10, runId: 'r', segmentId: 'a', playedMs: 100, segmentDone: true },
    ]);
    clock.advance(70);
    expect(reports.at(-1)).toEqual({
      at: 80,
      runId: 'r',
      segmentId: 'b',
      playedMs: 100,
      segmentDone: true,
    });
    pacer.setListenerPosition('a', 0); // finished: ignored
    pacer.setListenerPosition('zz', 0); // unknown: ignored
    expect(clock.pendingCount).toBe(0);
  });

  it('pauses sending while in-flight audio plays out, and resumes', () => {
    const { clock, frames, reports, pacer, sentMs } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(1000) });
    pacer.endSegment('s');
    clock.advance(100);
    expect(sentMs()).toBe(300);
    pacer.pause();
    expect(pacer.paused).toBe(true);
    clock.advance(500);
    expect(sentMs()).toBe(300);
    expect(reports.at(-1)).toMatchObject({ playedMs: 300, segmentDone: false });
    expect(clock.pendingCount).toBe(0);
    pacer.resume();
    expect(sentMs()).toBe(500);
    expect(frames.at(-1)?.at).toBe(600);
    clock.runAll();
    expect(sentMs()).toBe(1000);
    expect(reports.at(-1)).toMatchObject({ at: 1300, playedMs: 1000, segmentDone: true });
  });

  it('reports queued and in-flight audio', () => {
    const { clock, pacer } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(500) });
    expect(pacer.queuedMs).toBe(300);
    expect(pacer.inFlightMs).toBe(200);
    clock.advance(50);
    expect(pacer.queuedMs).toBe(260);
    expect(pacer.inFlightMs).toBe(190);
  });

  it('does nothing after close', () => {
    const { clock, frames, reports, pacer } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(1000) });
    pacer.close();
    expect(clock.pendingCount).toBe(0);
    expect(pacer.enqueue({ runId: 'r', segmentId: 's2', samples: ramp(100) })).toBe(false);
    expect(pacer.flush()).toEqual({ discardedMs: 0, heard: [] });
    clock.advance(2000);
    expect(frames).toHaveLength(10);
    expect(reports).toEqual([]);
  });

  it('rejects bad options and misuse', () => {
    const base = {
      clock: new SimulatedClock(),
      send: () => undefined,
      onProgress: () => undefined,
    };
    expect(() => createOutputPacer({ ...base, sampleRate: 12345 as 16000 })).toThrow(/12345/);
    expect(() => createOutputPacer({ ...base, sampleRate: RATE, frameMs: 20, leadMs: 10 })).toThrow(
      /leadMs/,
    );
    expect(() => createOutputPacer({ ...base, sampleRate: RATE, frameMs: 0 })).toThrow(/frameMs/);
    const pacer = createOutputPacer({ ...base, sampleRate: RATE });
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(10) });
    expect(() => pacer.enqueue({ runId: 'other', segmentId: 's', samples: ramp(10) })).toThrow(
      /belongs to run r/,
    );
    pacer.endSegment('s');
    expect(() => pacer.enqueue({ runId: 'r', segmentId: 's', samples: ramp(10) })).toThrow(
      /after endSegment/,
    );
  });

  it('paces correctly at a rate whose frames are not whole milliseconds of samples', () => {
    const clock = new SimulatedClock({ start: 0 });
    let sent = 0;
    const done: number[] = [];
    const pacer = createOutputPacer({
      clock,
      sampleRate: 22050,
      frameMs: 10,
      leadMs: 100,
      send: (frame) => (sent += frame.length),
      onProgress: (p) => {
        if (p.segmentDone) done.push(clock.now());
      },
    });
    pacer.enqueue({ runId: 'r', segmentId: 's', samples: new Int16Array(22050) });
    pacer.endSegment('s');
    for (let t = 1; t <= 1200; t++) {
      clock.advance(1);
      expect((sent * 1000) / 22050).toBeLessThanOrEqual(t + 100);
      expect((sent * 1000) / 22050).toBeGreaterThanOrEqual(Math.min(t, 1000) - 1);
    }
    expect(sent).toBe(22050);
    expect(done).toHaveLength(1);
    expect(done[0]).toBeGreaterThanOrEqual(1000);
    expect(done[0]).toBeLessThanOrEqual(1002);
  });
});
