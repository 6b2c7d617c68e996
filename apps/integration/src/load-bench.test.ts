/**
 * The load bench's harness (`bench/`), end to end at N = 2 with one short turn:
 * that it drives both servers and returns every figure. Speed is printed by the
 * bench, never asserted here.
 */
import { describe, expect, it } from 'vitest';
import { createVoiceTemplate, measureEcho, measureVoice } from '../bench/measure.js';
import type { StepFigures } from '../bench/measure.js';
import { benchArgs } from '../bench/cli-args.js';
import { pacingDeviations, percentile } from '../bench/stats.js';
import { defaultStorages, parseStorages } from '../bench/storage-variants.js';
import { FRAME_MS } from '../bench/wire.js';

const LOAD = {
  sessions: 2,
  turns: 1,
  speechMs: 400,
  gapMs: 100,
  staggerMs: 100,
  turnTimeoutMs: 20_000,
};

/** Every figure is a finite number and the run is complete. */
function expectComplete(f: StepFigures): void {
  expect(f.failures).toEqual([]);
  expect(f.sessions).toBe(2);
  expect(f.turnsCompleted).toBe(2);
  for (const value of [
    f.overheadP50Ms,
    f.overheadP99Ms,
    f.jitterP50Ms,
    f.jitterP99Ms,
    f.cpuMsPerSessionSecond,
    f.rssMbPerSession,
    f.rssGrowthMb,
    f.rssIdleMb,
    f.clientCpuPercent,
    f.loopP99Ms,
    f.loopMaxMs,
  ]) {
    expect(Number.isFinite(value)).toBe(true);
  }
  expect(f.jitterP50Ms).toBeGreaterThanOrEqual(0);
  expect(f.jitterP99Ms).toBeGreaterThanOrEqual(f.jitterP50Ms);
  expect(f.overheadP99Ms).toBeGreaterThanOrEqual(f.overheadP50Ms);
  expect(f.cpuMsPerSessionSecond).toBeGreaterThan(0);
  expect(f.rssIdleMb).toBeGreaterThan(0);
  expect(f.loopMaxMs).toBeGreaterThanOrEqual(f.loopP99Ms);
}

describe('load bench figures', () => {
  it('percentile takes the nearest rank', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('takes flags after pnpm’s leading --, and only a leading one', () => {
    expect(benchArgs(['--', '--quick', '--max', '8'])).toEqual(['--quick', '--max', '8']);
    expect(benchArgs(['--quick'])).toEqual(['--quick']);
    expect(benchArgs(['--quick', '--', 'x'])).toEqual(['--quick', '--', 'x']);
    expect(benchArgs([])).toEqual([]);
  });

  it('names the storages it runs on; PostgreSQL only with DATABASE_URL', () => {
    expect(parseStorages('pglite-main, postgres')).toEqual(['pglite-main', 'postgres']);
    expect(() => parseStorages('pglite,postgres')).toThrow(
      /unknown "pglite"; expected pglite-worker/,
    );
    expect(defaultStorages({})).toEqual(['pglite-worker', 'pglite-main']);
    expect(defaultStorages({ DATABASE_URL: 'postgres://x/y' })).toEqual([
      'pglite-worker',
      'pglite-main',
      'postgres',
    ]);
  });

  it('pacing deviation: a lead burst then one frame per frame length is on time; a stall shows as lateness', () => {
    // 20 ms frames of 960 bytes (24 kHz PCM16), lead 60 ms: frames 0–2 at once, then every 20 ms.
    const at = [100, 100.5, 101, 120, 140, 160];
    const frames = at.map((t) => ({ at: t, bytes: 960 }));
    expect(pacingDeviations(frames, { bytesPerMs: 48, leadMs: 60 })).toEqual([0, 0.5, 1, 0, 0, 0]);
    const stalled = frames.map((f, i) => (i === 4 ? { ...f, at: 155 } : f));
    expect(pacingDeviations(stalled, { bytesPerMs: 48, leadMs: 60 })[4]).toBe(15);
    // A late first frame is late itself and does not make the others look early.
    const lateStart = frames.map((f, i) => (i === 0 ? { ...f, at: 110 } : f));
    expect(pacingDeviations(lateStart, { bytesPerMs: 48, leadMs: 60 })).toEqual([
      10, 0.5, 1, 0, 0, 0,
    ]);
  });

  it('measures the voice server and the bare ws echo for N = 2 (one turn each)', async () => {
    const template = await createVoiceTemplate();
    try {
      expect(template.coldReadyMs).toBeGreaterThan(0);
      const voice = await measureVoice(LOAD, template);
      expectComplete(voice);
      expect(voice.storage).toBe('pglite-worker');
      expect(voice.readyMs).toBeGreaterThan(0);
      // Defaults: endpointing min delay 350 ms from the silence start, 3 mock tokens × 20 ms
      // from the VAD's report (the agent starts speculatively): the longer of the two.
      expect(voice.delays).toMatchObject({ endpointMs: 350, agentMs: 60 });
      expect(voice.delays.totalMs).toBe(
        Math.max(voice.delays.endpointMs, voice.delays.vadMs + voice.delays.agentMs),
      );
      expect(Number.isFinite(voice.serverOverheadP50Ms)).toBe(true);
      // No answer can come before the configured waits: a bigger negative would mean a wrong subtraction.
      expect(voice.overheadP50Ms).toBeGreaterThan(-FRAME_MS);
      const echo = await measureEcho(LOAD);
      expectComplete(echo);
      expect(echo.overheadP50Ms).toBeGreaterThan(-FRAME_MS);
    } finally {
      template.dispose();
    }
  }, 180_000);
});
