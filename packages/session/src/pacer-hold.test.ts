import { SimulatedClock } from '@prx-voice/core/testing';
import { describe, expect, it } from 'vitest';
import { createOutputPacer } from './pacer.js';
import type { OutputPacerOptions, PacerProgress } from './pacer.js';

const RATE = 16000;
const PER_MS = RATE / 1000;

function audio(ms: number): Int16Array {
  return new Int16Array(Math.round(ms * PER_MS)).fill(100);
}

/** A pacer whose far end confirms every segment (as Twilio marks do) unless `confirms` says no. */
function setup(overrides: Partial<OutputPacerOptions> = {}, confirms = true) {
  const clock = new SimulatedClock({ start: 0 });
  const frames: { at: number; segmentId: string; samples: number }[] = [];
  const reports: (PacerProgress & { at: number })[] = [];
  const announced: { at: number; segmentId: string }[] = [];
  const pacer = createOutputPacer({
    clock,
    sampleRate: RATE,
    frameMs: 20,
    leadMs: 200,
    send: (frame, info) =>
      frames.push({ at: clock.now(), segmentId: info.segmentId, samples: frame.length }),
    onProgress: (p) => reports.push({ at: clock.now(), ...p }),
    onSegmentSent: (info) => {
      announced.push({ at: clock.now(), segmentId: info.segmentId });
      return confirms;
    },
    ...overrides,
  });
  const sentMs = (segmentId: string): number =>
    frames.filter((f) => f.segmentId === segmentId).reduce((sum, f) => sum + f.samples, 0) / PER_MS;
  const done = () => reports.filter((r) => r.segmentDone).map((r) => [r.segmentId, r.at]);
  return { clock, frames, reports, announced, pacer, sentMs, done };
}

describe('createOutputPacer — segments the far end confirms', () => {
  it('announces a segment once, right after its last frame, and not one without audio', () => {
    const { clock, frames, announced, pacer } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: audio(100) });
    pacer.endSegment('a');
    expect(announced).toEqual([{ at: 0, segmentId: 'a' }]);
    expect(frames.at(-1)?.segmentId).toBe('a');
    pacer.enqueue({ runId: 'r', segmentId: 'empty', samples: new Int16Array(0) });
    pacer.endSegment('empty');
    pacer.setListenerPosition('a', Number.MAX_SAFE_INTEGER);
    clock.runAll();
    expect(announced.map((a) => a.segmentId)).toEqual(['a']);
  });

  it('holds the listener at a segment’s end until the far end confirms it, then goes on', () => {
    const { clock, reports, pacer, sentMs, done } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: audio(100) });
    pacer.endSegment('a');
    pacer.enqueue({ runId: 'r', segmentId: 'b', samples: audio(1000) });
    pacer.endSegment('b');
    expect(sentMs('b')).toBe(100); // the lead: 100 ms of a and 100 of b
    clock.advance(500);
    // By real time a and 400 ms of b would be heard; held, a is not done and b not started:
    // b's audio went out only as far as the lead ahead of the listener at a's end.
    expect(done()).toEqual([]);
    expect(sentMs('b')).toBe(200);
    expect(pacer.inFlightMs).toBe(200);
    expect(reports.filter((r) => r.segmentId === 'b')).toEqual([]);
    expect(clock.pendingCount).toBe(1); // only the hold's timeout: no polling while held
    pacer.setListenerPosition('a', Number.MAX_SAFE_INTEGER); // the mark echo
    expect(done()).toEqual([['a', 500]]);
    clock.advance(100);
    expect(sentMs('b')).toBe(300);
    expect(pacer.flush('r').heard).toEqual([{ segmentId: 'b', playedMs: 100 }]);
  });

  it('the last segment completes only with its confirmation', () => {
    const { clock, pacer, done } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: audio(100) });
    pacer.endSegment('a');
    clock.advance(300);
    expect(done()).toEqual([]);
    clock.advance(200);
    pacer.setListenerPosition('a', Number.MAX_SAFE_INTEGER);
    expect(done()).toEqual([['a', 500]]);
    expect(clock.pendingCount).toBe(0);
  });

  it('a barge-in before the confirmation hears the held segment, nothing after it', () => {
    const { clock, pacer } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: audio(100) });
    pacer.endSegment('a');
    pacer.enqueue({ runId: 'r', segmentId: 'b', samples: audio(1000) });
    clock.advance(800);
    expect(pacer.flush('r').heard).toEqual([
      { segmentId: 'a', playedMs: 100 },
      { segmentId: 'b', playedMs: 0 },
    ]);
  });

  it('counts a held segment played after holdTimeoutMs without a confirmation', () => {
    const { clock, pacer, sentMs, done } = setup({ holdTimeoutMs: 1000 });
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: audio(100) });
    pacer.endSegment('a');
    pacer.enqueue({ runId: 'r', segmentId: 'b', samples: audio(300) });
    pacer.endSegment('b');
    clock.advance(1099);
    expect(done()).toEqual([]);
    clock.advance(1); // reached a's end at 100, waited 1000
    expect(done()).toEqual([['a', 1100]]);
    clock.advance(300);
    expect(sentMs('b')).toBe(300);
    expect(done()).toEqual([['a', 1100]]); // b is held at its end in turn
    clock.advance(1000);
    expect(done()).toEqual([
      ['a', 1100],
      ['b', 2400],
    ]);
  });

  it('a confirmation of a later segment confirms the earlier ones', () => {
    const { clock, pacer, done } = setup();
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: audio(60) });
    pacer.endSegment('a');
    pacer.enqueue({ runId: 'r', segmentId: 'b', samples: audio(60) });
    pacer.endSegment('b');
    clock.advance(200);
    pacer.setListenerPosition('b', Number.MAX_SAFE_INTEGER);
    expect(done()).toEqual([
      ['a', 200],
      ['b', 200],
    ]);
  });

  it('holds from the end of a segment whose audio was all sent before it ended', () => {
    const { clock, announced, pacer, done } = setup({ holdTimeoutMs: 500 });
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: audio(100) });
    clock.advance(300); // heard in full at 100; the segment is still open
    pacer.endSegment('a');
    expect(announced).toEqual([{ at: 300, segmentId: 'a' }]);
    clock.advance(499);
    expect(done()).toEqual([]);
    clock.advance(1);
    expect(done()).toEqual([['a', 800]]);
  });

  it('keeps the real-time listener when the far end does not confirm', () => {
    const { clock, pacer, announced, done } = setup({}, false);
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: audio(100) });
    pacer.endSegment('a');
    clock.advance(100);
    expect(announced).toHaveLength(1);
    expect(done()).toEqual([['a', 100]]);
  });

  it('does not announce a segment flushed from inside send, and rejects a bad holdTimeoutMs', () => {
    const announced: string[] = [];
    const clock = new SimulatedClock({ start: 0 });
    const pacer = createOutputPacer({
      clock,
      sampleRate: RATE,
      send: () => pacer.flush('r'),
      onProgress: () => undefined,
      onSegmentSent: (info) => announced.push(info.segmentId) > 0,
    });
    pacer.enqueue({ runId: 'r', segmentId: 'a', samples: audio(20) });
    pacer.endSegment('a');
    expect(announced).toEqual([]);
    expect(() =>
      createOutputPacer({
        clock,
        sampleRate: RATE,
        send: () => undefined,
        onProgress: () => undefined,
        holdTimeoutMs: 0,
      }),
    ).toThrow(/holdTimeoutMs/);
  });
});
