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
import { FRAME_MS, mockDelays, turnWaits } from '../bench/wire.js';

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

  it('turn waits: energy on frame edges, Silero on its 32 ms windows, the server from the silence start', () => {
    const energy = mockDelays({ vad: 'energy', vadMinSilenceMs: 250, endpointMinDelayMs: 350 });
    expect(energy).toMatchObject({ vadFrameMs: 20, vadMs: 260, agentMs: 60 });
    // Silence start = speech end; report after 260 ms, agent done at 320: endpointing's 350 wins.
    expect(turnWaits(energy, { speechEndMs: 1000, vadSilenceAtMs: 1000 })).toEqual({
      vadLateMs: 0,
      clientMs: 350,
      serverMs: 350,
    });
    const silero = mockDelays({ vad: 'silero', vadMinSilenceMs: 250, endpointMinDelayMs: 350 });
    expect(silero).toMatchObject({ vadFrameMs: 32, vadMs: 256 });
    // Speech ends at 1000 ms; the first silent window starts at 1024; 256 ms of windows end at
    // 1280, heard with the caller's frame ending 1280: endpointing (1024 + 350) beats the agent
    // (1280 + 60), so 374 ms after the speech's end, 350 after the silence start.
    expect(turnWaits(silero, { speechEndMs: 1000, vadSilenceAtMs: null })).toEqual({
      vadLateMs: 24,
      clientMs: 374,
      serverMs: 350,
    });
    // Silero heard the silence a window late (1056): its report at 1312 comes with the frame
    // ending 1320, the agent done at 1380; endpointing ends later, at 1056 + 350 = 1406.
    expect(turnWaits(silero, { speechEndMs: 1000, vadSilenceAtMs: 1056 })).toEqual({
      vadLateMs: 56,
      clientMs: 406,
      serverMs: 350,
    });
    // A longer agent: it ends the wait, counted from when the VAD could report.
    const slow = { ...silero, agentMs: 200 };
    expect(turnWaits(slow, { speechEndMs: 1000, vadSilenceAtMs: 1056 })).toEqual({
      vadLateMs: 56,
      clientMs: 1320 + 200 - 1000,
      serverMs: 1320 + 200 - 1056,
    });
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
      expect(voice.delays).toMatchObject({ vad: 'energy', endpointMs: 350, agentMs: 60 });
      // The energy VAD ends the tone's speech exactly where the caller's last frame ends.
      expect(voice.vadLateP50Ms).toBe(0);
      expect(voice.waitP50Ms).toBe(350);
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
