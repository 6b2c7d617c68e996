/**
 * `pnpm --filter @prx-voice/adapter bench:silero`: the Silero VAD at scale,
 * (a) the single worker thread scoring one window per model run (the
 * `runner: 'worker'` path) beside (b) the worker pool with batched runs (the
 * default; and a pool of one worker, to tell batching's gain from more
 * threads'), in one run.
 *
 * For each N (default 20, 80, 160): N streams of 16 kHz audio, each fed one
 * 32 ms window every 32 ms (streams spread over 8 phases of 4 ms, as calls do
 * not line up), for `--seconds` (default 4): CPU of the whole process (every
 * thread) and of the event loop's thread per stream-second of audio, and each
 * window's latency from when it was due to its score. Then the same audio as
 * fast as it goes, for the most windows per second. Last, per runner, the
 * largest N (ramp 20, 40, 80, 160, 240, 320, 480, 640, …) that keeps up in real
 * time: window latency p99 under 100 ms.
 *
 * Options: `--ns 20,80,160`, `--seconds S`, `--workers W` (pool size; 0: one
 * per core up to 8), `--max N` (ramp ceiling, default 1280), `--no-ramp`.
 */
import { performance } from 'node:perf_hooks';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { generateTone } from '@prx-voice/media';
import { sequentialLanes } from '../src/vad/silero-lane.js';
import type { SileroLane, SileroLaneFactory } from '../src/vad/silero-lane.js';
import { SileroPool, sileroPool } from '../src/vad/silero-pool.js';
import { sileroModelPath } from '../src/vad/silero-runner.js';
import { workerSileroRunner } from '../src/vad/silero-worker.js';
import { espeak, HAS_ESPEAK, padWithSilence, resample, whiteNoise } from '../test/speech.js';

const { values } = parseArgs({
  options: {
    ns: { type: 'string', default: '20,80,160' },
    seconds: { type: 'string', default: '4' },
    workers: { type: 'string', default: '0' },
    max: { type: 'string', default: '1280' },
    'no-ramp': { type: 'boolean', default: false },
  },
});
const NS = values.ns.split(',').map((n) => Number(n.trim()));
const SECONDS = Number(values.seconds);
const WORKERS = Number(values.workers);
const MAX_N = Number(values.max);
if (NS.some((n) => !Number.isInteger(n) || n < 1) || !(SECONDS > 0) || !(WORKERS >= 0)) {
  throw new Error(
    'usage: bench/silero-scale.ts [--ns 20,80,160] [--seconds S] [--workers W] [--max N] [--no-ramp]',
  );
}

const WINDOW = 512;
const WINDOW_MS = 32;
const PHASES = 8;
/** A run keeps up when its window latency p99 stays under this, ms. */
const KEEPS_UP_P99_MS = 100;

const audio = ((): Int16Array => {
  if (HAS_ESPEAK) {
    const spoken = espeak('hello there, how are you today? I would like to book a table for two.');
    return padWithSilence(resample(spoken.samples, spoken.sampleRate, 16000), 16000, 500);
  }
  const tone = generateTone({
    sampleRate: 16000,
    frequencyHz: 220,
    durationMs: 4000,
    amplitude: 0.2,
  });
  const noise = whiteNoise(tone.samples.length, 0.02);
  return tone.samples.map((s, i) => s + (noise[i] ?? 0));
})();
const audioWindows = Math.floor(audio.length / WINDOW);
/** Stream `s`'s window `w`: the clip, each stream from its own offset, looped. */
const windowOf = (s: number, w: number): Int16Array => {
  const at = ((s * 7 + w) % audioWindows) * WINDOW;
  return audio.subarray(at, at + WINDOW);
};

interface Runner {
  readonly name: string;
  readonly lanes: SileroLaneFactory;
  readonly pool?: SileroPool;
}

const single = sequentialLanes(workerSileroRunner(sileroModelPath()));
const pool = sileroPool(sileroModelPath(), WORKERS);
await pool.ready();
// A pool of one as well, to tell batching's gain from more threads'.
const one = pool.size > 1 ? new SileroPool(sileroModelPath(), 1) : undefined;
await one?.ready();
const RUNNERS: readonly Runner[] = [
  { name: 'single worker, 1 window/run', lanes: single },
  ...(one === undefined
    ? []
    : [{ name: 'pool of 1, batched', lanes: one.open.bind(one), pool: one } satisfies Runner]),
  { name: `pool of ${pool.size}, batched`, lanes: pool.open.bind(pool), pool },
];

interface Streams {
  readonly lanes: SileroLane[];
  /** When each stream's queued windows were due, oldest first. */
  readonly due: number[][];
  readonly latencies: number[];
  scored: number;
}

function openStreams(runner: Runner, n: number): Streams {
  const streams: Streams = { lanes: [], due: [], latencies: [], scored: 0 };
  for (let s = 0; s < n; s++) {
    const due: number[] = [];
    streams.due.push(due);
    streams.lanes.push(
      runner.lanes(16000, {
        onScore: () => {
          streams.latencies.push(performance.now() - (due.shift() ?? NaN));
          streams.scored++;
        },
        onError: (error) => {
          throw error;
        },
      }),
    );
  }
  return streams;
}

const idle = (streams: Streams): Promise<unknown> =>
  Promise.all(streams.lanes.map((l) => l.idle()));
const close = (streams: Streams): void => streams.lanes.forEach((l) => l.close());
const wait = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Paced {
  readonly cpuMsPerStreamS: number;
  readonly loopMsPerStreamS: number;
  readonly p50: number;
  readonly p99: number;
  readonly windowsPerS: number;
}

/** N streams fed in real time: window w of stream s is due at w·32 ms + (s mod 8)·4 ms. */
async function paced(runner: Runner, n: number, seconds: number): Promise<Paced> {
  const streams = openStreams(runner, n);
  const windows = Math.round((seconds * 1000) / WINDOW_MS);
  const ticks = windows * PHASES;
  const tickMs = WINDOW_MS / PHASES;
  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  const start = performance.now();
  let tick = 0;
  while (tick < ticks) {
    const now = performance.now();
    for (; tick < ticks && start + tick * tickMs <= now; tick++) {
      const w = Math.floor(tick / PHASES);
      const phase = tick % PHASES;
      for (let s = phase; s < n; s += PHASES) {
        streams.due[s]?.push(start + tick * tickMs);
        streams.lanes[s]?.score(windowOf(s, w));
      }
    }
    await wait(start + tick * tickMs - performance.now());
  }
  await idle(streams);
  const wallS = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const loopActive = performance.eventLoopUtilization(loop).active;
  close(streams);
  const streamSeconds = (n * windows * WINDOW_MS) / 1000;
  return {
    cpuMsPerStreamS: (used.user + used.system) / 1000 / streamSeconds,
    loopMsPerStreamS: loopActive / streamSeconds,
    p50: percentile(streams.latencies, 50),
    p99: percentile(streams.latencies, 99),
    windowsPerS: streams.scored / wallS,
  };
}

/** N streams' windows all queued at once: the most windows per second, and CPU per stream-second. */
async function flat(runner: Runner, n: number, seconds: number) {
  const streams = openStreams(runner, n);
  const windows = Math.round((seconds * 1000) / WINDOW_MS);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let w = 0; w < windows; w++) {
    for (let s = 0; s < n; s++) {
      streams.due[s]?.push(start);
      streams.lanes[s]?.score(windowOf(s, w));
    }
  }
  await idle(streams);
  const wallS = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  close(streams);
  return {
    windowsPerS: streams.scored / wallS,
    cpuMsPerStreamS: (used.user + used.system) / 1000 / ((n * windows * WINDOW_MS) / 1000),
  };
}

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

console.log(
  `Silero v4 at scale: ${cpus().length} CPUs (availableParallelism ${availableParallelism()}), ` +
    `${HAS_ESPEAK ? 'espeak-ng speech' : 'tone + noise'}, 16 kHz, ${SECONDS} s of audio per stream`,
);

// Warm both paths up.
for (const runner of RUNNERS) await flat(runner, 8, 1);

const rows: string[][] = [];
for (const n of NS) {
  for (const runner of RUNNERS) {
    const before = runner.pool?.stats();
    const p = await paced(runner, n, SECONDS);
    const after = runner.pool?.stats();
    const batch =
      before === undefined || after === undefined
        ? '1'
        : ((after.windows - before.windows) / Math.max(1, after.runs - before.runs)).toFixed(1);
    const f = await flat(runner, n, SECONDS);
    rows.push([
      String(n),
      runner.name,
      p.cpuMsPerStreamS.toFixed(2),
      p.loopMsPerStreamS.toFixed(2),
      p.windowsPerS.toFixed(0),
      batch,
      p.p50.toFixed(1),
      p.p99.toFixed(1),
      p.p99 < KEEPS_UP_P99_MS ? 'yes' : 'NO',
      f.cpuMsPerStreamS.toFixed(2),
      f.windowsPerS.toFixed(0),
    ]);
  }
}
table(
  'Per N, real time (one window per stream every 32 ms) | then as fast as it goes',
  [
    'N',
    'runner',
    'CPU ms/stream-s',
    'loop ms/stream-s',
    'windows/s',
    'mean batch',
    'latency p50 ms',
    'p99 ms',
    'keeps up',
    'flat-out CPU ms/stream-s',
    'flat-out windows/s',
  ],
  rows,
);

if (!values['no-ramp']) {
  const ramp: number[] = [20, 40, 80, 160];
  for (let n = 240; n <= MAX_N; n = n < 320 ? 320 : n < 480 ? 480 : n + n / 2) ramp.push(n);
  const summary: string[][] = [];
  for (const runner of RUNNERS) {
    let best = 0;
    let failedAt = '–';
    for (const n of ramp.filter((r) => r <= MAX_N)) {
      const p = await paced(runner, n, 3);
      if (p.p99 >= KEEPS_UP_P99_MS) {
        failedAt = `${n} (p99 ${p.p99.toFixed(0)} ms)`;
        break;
      }
      best = n;
    }
    summary.push([runner.name, String(best), failedAt, (best * (1000 / WINDOW_MS)).toFixed(0)]);
  }
  table(
    `Largest N that keeps up in real time (window latency p99 < ${KEEPS_UP_P99_MS} ms, 3 s per step)`,
    ['runner', 'largest N', 'first N that did not', 'windows/s at largest N'],
    summary,
  );
}
process.exit(0);
