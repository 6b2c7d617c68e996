/**
 * The turn-taking bench's harness (`bench/turns/`), end to end on three quick
 * clips against a real server: that every clip is run, scored and counted in
 * the printed rows. What the engine does with them is the bench's to print,
 * never asserted here.
 */
import { describe, expect, it } from 'vitest';
import type { ArrivedAudio, ArrivedEvent } from '../bench/turns/clip-session.js';
import { longestGapMs, simulatePlayback } from '../bench/turns/playback.js';
import { runTurnsBench, turnsBenchUnavailable } from '../bench/turns/runner.js';

const missing = await turnsBenchUnavailable();
if (missing !== undefined) {
  console.warn(`turns bench smoke test skipped: ${missing} (install espeak-ng and sox)`);
}

const frame = (seq: number, at: number, runId = 'run_a'): ArrivedAudio => ({
  seq,
  at,
  ms: 20,
  rms: 0.2,
  runId,
});
const flushed = (seq: number, at: number): ArrivedEvent => ({
  seq,
  at,
  type: 'prx.voice.playback.flushed',
  runId: 'run_a',
  data: {},
});

describe('turn-taking bench playback model', () => {
  it('plays frames back to back at real time and drops what a flush finds unplayed', () => {
    // Five frames at once (100 ms of audio from t = 0), a flush at 50 ms, then a newer run at 60 ms.
    const audio = [0, 1, 2, 3, 4].map((i) => frame(i, 0));
    const played = simulatePlayback([...audio, frame(6, 60, 'run_b')], [flushed(5, 50)]);
    expect(played.map((p) => [p.startMs, p.endMs, p.runId])).toEqual([
      [0, 20, 'run_a'],
      [20, 40, 'run_a'],
      [40, 50, 'run_a'],
      [60, 80, 'run_b'],
    ]);
  });

  it('measures a pause the run came back from, not its end', () => {
    const played = simulatePlayback([frame(0, 0), frame(1, 20), frame(2, 340), frame(3, 360)], []);
    expect(longestGapMs(played, 'run_a', 0)).toBe(300);
    expect(longestGapMs(played, 'run_a', 400)).toBe(0);
  });
});

describe.skipIf(missing !== undefined)('turn-taking bench', () => {
  it('runs a sentence, a barge-in and a noise on the energy VAD and counts each in its row', async () => {
    const result = await runTurnsBench({
      quick: true,
      vads: ['energy'],
      kinds: ['sentence', 'barge_in', 'noise'],
      concurrency: 3,
    });
    expect(result.clips.map((c) => c.kind)).toEqual(['sentence', 'barge_in', 'noise']);
    expect(result.vads.length + result.skipped.length).toBe(1);
    expect(result.outcomes).toHaveLength(result.clips.length * result.vads.length);
    expect(result.logs).toHaveLength(result.outcomes.length);
    expect(result.lines.some((l) => l.startsWith('server settings: '))).toBe(true);
    expect(result.lines.some((l) => l.startsWith('legend: '))).toBe(true);
    for (const vad of result.vads) {
      for (const kind of ['sentence', 'barge_in', 'noise'] as const) {
        const outcomes = result.outcomes.filter((o) => o.vad === vad && o.kind === kind);
        const row = result.lines.find((l) => l.startsWith(`${kind} `) && l.includes(` ${vad} `));
        // kind, vad, n, fail, then counts no larger than n.
        const cells = row?.trim().split(/\s+/) ?? [];
        expect(cells.slice(0, 3)).toEqual([kind, vad, String(outcomes.length)]);
        const counts = cells
          .slice(3, 6)
          .filter((c) => c !== '-')
          .map(Number);
        for (const c of counts) expect(c).toBeLessThanOrEqual(outcomes.length);
      }
      const sentence = result.outcomes.find((o) => o.vad === vad && o.kind === 'sentence');
      expect(sentence?.heard === true || sentence?.heard === false).toBe(true);
      const barge = result.outcomes.find((o) => o.vad === vad && o.kind === 'barge_in');
      expect(typeof barge?.missedBargeIn).toBe('boolean');
    }
  }, 180_000);
});
