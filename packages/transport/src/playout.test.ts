import { describe, expect, it } from 'vitest';
import { createClientPlayout } from './playout.js';

const started = (id: string) => ({ type: 'prx.voice.playback.started', data: { segment_id: id } });

describe('client playout', () => {
  it('plays received audio at real time from its arrival; an underrun waits', () => {
    const p = createClientPlayout();
    p.event(started('seg_a'), 0);
    p.audio(100, 0);
    p.audio(100, 50); // queued behind the first
    expect(p.playedMs(150)).toBe(150);
    expect(p.bufferedMs(150)).toBe(50);
    p.audio(100, 400); // after an underrun: plays from its arrival
    expect(p.playedMs(450)).toBe(250);
    expect(p.position(450)).toEqual({ segmentId: 'seg_a', playedMs: 250 });
  });

  it('drops everything unplayed on playback.flushed; later audio plays at once', () => {
    const p = createClientPlayout();
    p.event(started('seg_a'), 0);
    p.audio(200, 0);
    p.event(started('seg_b'), 10);
    p.audio(200, 10);
    p.event({ type: 'prx.voice.playback.flushed', data: { played_ms: 120 } }, 120);
    expect(p.droppedMs).toBe(280);
    expect(p.playedMs(1000)).toBe(120);
    expect(p.position(1000)).toEqual({ segmentId: 'seg_a', playedMs: 120 });
    p.event(started('seg_c'), 130);
    p.audio(40, 130);
    expect(p.position(150)).toEqual({ segmentId: 'seg_c', playedMs: 20 });
  });

  it('reports the segment being played, by the playback.started that preceded its audio', () => {
    const p = createClientPlayout();
    p.event(started('seg_a'), 0);
    p.audio(100, 0);
    p.event(started('seg_b'), 20);
    p.audio(100, 20);
    expect(p.position(50)).toEqual({ segmentId: 'seg_a', playedMs: 50 });
    expect(p.position(130)).toEqual({ segmentId: 'seg_b', playedMs: 30 });
    expect(createClientPlayout().position(10)).toBeUndefined();
  });
});
