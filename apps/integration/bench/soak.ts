/**
 * `pnpm --filter @prx-voice/integration soak`: the server under a steady load
 * for a long while, watched for leaks.
 *
 * A voice server child process (the load bench's `voice-server.ts`: embedded
 * PGlite in a temp dir, created by a start before, in-process coordination,
 * mock providers, energy VAD)
 * and N callers of the load bench (`runLoad`, real-time audio), each running
 * one session of T turns after another, so N sessions stay live while sessions
 * come and go. Every S seconds a scrape of the server's `GET /metrics`
 * (prom-client defaults: `process_resident_memory_bytes`, and
 * `nodejs_eventloop_lag_p99_seconds` — its histogram is reset at each scrape,
 * so a sample covers the interval since the previous one) gives one line. At
 * the end: RSS after the warm-up against RSS at the end, and whether it stayed
 * flat. Exits non-zero only when the server died or sessions failed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { benchArgs } from './cli-args.js';
import { startChild } from './children.js';
import { runLoad } from './load-client.js';
import type { LoadTarget } from './load-client.js';
import { createVoiceTemplate, DEFAULT_LOAD } from './measure.js';
import { cell } from './stats.js';
import { openVoiceSession, prepareVoiceTarget, voiceServerEnv, warmUp } from './voice-target.js';

const USAGE =
  'usage: bench/soak.ts [--minutes M] [--sessions N] [--every S] [--warmup-minutes W] [--turns T]';
/** RSS growth between the warm-up sample and the last one still called flat, %. */
const ALLOWED_GROWTH_PERCENT = 5;
/** The first sessions start spread over this, ms, so the turns do not all coincide. */
const INITIAL_SPREAD_MS = 5_000;
const MIB = 1024 * 1024;

function numberOption(
  name: string,
  text: string | undefined,
  fallback: number,
  opts: { integer?: boolean; min?: number } = {},
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  const min = opts.min ?? Number.MIN_VALUE;
  if (
    !Number.isFinite(value) ||
    value < min ||
    (opts.integer === true && !Number.isInteger(value))
  ) {
    throw new Error(
      `--${name} must be a ${opts.integer === true ? 'positive integer' : `number ≥ ${min}`}, got "${text}"\n${USAGE}`,
    );
  }
  return value;
}

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    minutes: { type: 'string' },
    sessions: { type: 'string' },
    every: { type: 'string' },
    'warmup-minutes': { type: 'string' },
    turns: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const minutes = numberOption('minutes', values.minutes, 30);
const sessions = numberOption('sessions', values.sessions, 10, { integer: true, min: 1 });
const everyS = numberOption('every', values.every, 30);
const turns = numberOption('turns', values.turns, DEFAULT_LOAD.turns, { integer: true, min: 1 });
const warmupMinutes = numberOption(
  'warmup-minutes',
  values['warmup-minutes'],
  Math.min(5, minutes / 6),
  {
    min: 0,
  },
);
if (warmupMinutes >= minutes) {
  throw new Error(
    `--warmup-minutes (${warmupMinutes}) must be shorter than --minutes (${minutes})\n${USAGE}`,
  );
}

/** The sum over its series (any labels) of metric `name` in an exposition text; NaN when absent. */
function metric(text: string, name: string): number {
  let sum = Number.NaN;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{'))
      continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    sum = Number.isNaN(sum) ? value : sum + value;
  }
  return sum;
}

interface Sample {
  readonly elapsedMs: number;
  readonly rssMib: number;
  readonly heapMib: number;
  readonly lagP99Ms: number;
  readonly liveServer: number;
}

async function scrape(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET /metrics → ${res.status}`);
  return res.text();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const clock = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const COLUMNS: [string, number][] = [
  ['elapsed', 8],
  ['rss_mib', 10],
  ['heap_mib', 10],
  ['lag_p99_ms', 12],
  ['live_srv/cli', 14],
  ['sessions_done', 15],
  ['turns_done', 12],
];
const row = (cells: string[]): string =>
  cells.map((c, i) => c.padStart(COLUMNS[i]?.[1] ?? 8)).join('');

console.log(
  `soak: ${cell(minutes, 2)} min, ${sessions} concurrent sessions of ${turns} turn(s) (${DEFAULT_LOAD.speechMs} ms speech, real time), a sample every ${everyS} s, warm-up ${cell(warmupMinutes, 2)} min`,
);
// A first start creates the database, taking several hundred MB that are released at random
// later: the soak's server starts on the database made by a start before it.
const template = await createVoiceTemplate();
let exitCode = 0;
try {
  const child = await startChild('voice-server.ts', voiceServerEnv(template.dataDir));
  try {
    const voice = await prepareVoiceTarget(child.url, sessions);
    await warmUp(voice);
    const target: LoadTarget = { kind: 'voice', open: () => openVoiceSession(voice) };
    const load = { ...DEFAULT_LOAD, sessions: 1, turns };
    const counts = { started: 0, live: 0, sessions: 0, turns: 0 };
    const failures: string[] = [];
    const fail = (reason: string): void => {
      failures.push(reason);
      if (failures.length <= 5) console.log(`      ! ${reason}`);
    };
    let stopping = false;

    const worker = async (k: number): Promise<void> => {
      await sleep((k * INITIAL_SPREAD_MS) / sessions);
      while (!stopping) {
        const n = ++counts.started;
        counts.live++;
        try {
          const run = await runLoad(target, load);
          counts.turns += run.turns.length;
          if (run.failures.length === 0) counts.sessions++;
          for (const f of run.failures) fail(`session #${n}: ${f}`);
        } catch (err) {
          fail(`session #${n}: ${err instanceof Error ? err.message : String(err)}`);
          await sleep(1_000);
        } finally {
          counts.live--;
        }
      }
    };

    await scrape(child.url); // resets the lag histogram: the first sample covers its interval only
    const t0 = performance.now();
    const endAt = t0 + minutes * 60_000;
    const workers = Array.from({ length: sessions }, (_, k) => worker(k));
    console.log(
      `lag_p99 = nodejs_eventloop_lag_p99_seconds of /metrics since the previous sample (sampled every 10 ms, so an idle loop reads ≈ 10); live = the server's prx_voice_live_sessions / the load generator's`,
    );
    console.log(row(COLUMNS.map(([name]) => name)));
    const samples: Sample[] = [];
    let died = false;
    for (let i = 1; ; i++) {
      const at = Math.min(t0 + i * everyS * 1000, endAt);
      await sleep(Math.max(0, at - performance.now()));
      const elapsedMs = at - t0; // as scheduled (a timer may fire a millisecond early)
      try {
        const text = await scrape(child.url);
        const sample = {
          elapsedMs,
          rssMib: metric(text, 'process_resident_memory_bytes') / MIB,
          heapMib: metric(text, 'nodejs_heap_size_used_bytes') / MIB,
          lagP99Ms: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
          liveServer: metric(text, 'prx_voice_live_sessions'),
        };
        samples.push(sample);
        console.log(
          row([
            clock(elapsedMs),
            cell(sample.rssMib),
            cell(sample.heapMib),
            cell(sample.lagP99Ms),
            `${cell(sample.liveServer, 0)}/${counts.live}`,
            String(counts.sessions),
            String(counts.turns),
          ]),
        );
      } catch (err) {
        if (!alive(child.pid)) {
          console.log(`      ! the server died (${clock(elapsedMs)} in)`);
          died = true;
          break;
        }
        console.log(`      ! ${clock(elapsedMs)}: scrape failed: ${String(err)}`);
      }
      if (at >= endAt) break;
    }
    stopping = true;
    await Promise.all(workers);

    // RSS and heap move with garbage collection: compare the median of the first samples
    // after the warm-up with the median of the last ones (each a fifth of the steady part,
    // at least 3 samples), not two single readings.
    const warmupMs = warmupMinutes * 60_000;
    const steady = samples.filter((s) => s.elapsedMs >= warmupMs);
    const width = Math.max(3, Math.floor(steady.length / 5));
    const median = (xs: number[]): number => {
      const sorted = [...xs].sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1
        ? (sorted[mid] ?? Number.NaN)
        : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
    };
    const windowOf = (part: Sample[], pick: (s: Sample) => number) =>
      part.length === 0 ? Number.NaN : median(part.map(pick));
    const head = steady.slice(0, width);
    const tail = steady.length >= 2 * width ? steady.slice(-width) : [];
    const warm = {
      rssMib: windowOf(head, (s) => s.rssMib),
      heapMib: windowOf(head, (s) => s.heapMib),
    };
    const last = {
      rssMib: windowOf(tail, (s) => s.rssMib),
      heapMib: windowOf(tail, (s) => s.heapMib),
    };
    const growth = (100 * (last.rssMib - warm.rssMib)) / warm.rssMib;
    const heapGrowth = (100 * (last.heapMib - warm.heapMib)) / warm.heapMib;
    const span = (part: Sample[]): string =>
      part.length === 0
        ? '-'
        : `${clock(part[0]?.elapsedMs ?? 0)}–${clock(part.at(-1)?.elapsedMs ?? 0)}`;
    const maxLag = Math.max(...samples.map((s) => s.lagP99Ms));
    console.log(
      `\nsessions done ${counts.sessions}, turns done ${counts.turns}, failed sessions ${failures.length}`,
    );
    console.log(
      `RSS median after warm-up (${span(head)}): ${cell(warm.rssMib)} MiB; at the end (${span(tail)}): ${cell(last.rssMib)} MiB; growth ${cell(growth)} %`,
    );
    console.log(
      `heap used median after warm-up: ${cell(warm.heapMib)} MiB; at the end: ${cell(last.heapMib)} MiB; growth ${cell(heapGrowth)} %`,
    );
    console.log(`max event-loop lag p99: ${cell(maxLag)} ms`);
    console.log(
      `RSS flat: ${growth <= ALLOWED_GROWTH_PERCENT ? 'yes' : 'no'} (growth ${cell(growth)} % vs ${ALLOWED_GROWTH_PERCENT} % allowed)`,
    );
    if (died || failures.length > 0 || counts.sessions === 0) exitCode = 1;
  } finally {
    await child.stop();
  }
} finally {
  template.dispose();
}
process.exit(exitCode);
