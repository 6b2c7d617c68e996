/**
 * `pnpm --filter @prx-voice/integration bench`: the server under load.
 *
 * For each N of a ramp (1, 5, 10, 20, 40, … up to `--max`), the same load
 * against a bare `ws` echo server (child process), then N concurrent WebSocket
 * sessions of real-time audio over loopback against a fresh voice server (child
 * process: in-process coordination, mock providers) on each storage — embedded
 * PGlite in a worker thread, embedded PGlite on the server's thread (how it ran
 * before), PostgreSQL when `DATABASE_URL` is set — one row each: voice-to-voice
 * overhead p50/p99 (the configured waits subtracted, see `mockDelays`), outbound
 * pacing jitter p99, the server's event-loop lag p99 and longest stall, server
 * CPU and RSS per session, the echo's, voice/echo ratios, and the warm restart
 * to ready. The load generator is this process; the servers run in their own.
 * A run whose jitter p99 reaches the threshold (20 ms) or whose sessions fail is
 * run once more; if it misses again that storage's ramp stops. Last, per
 * storage: the largest N that held, the worst lag and stall, the warm restart.
 *
 * Options: `--quick` (N = 1, 8; one turn), `--turns T`, `--max N`, `--step K`
 * (1, K, 2K, …), `--list 1,5,10`, `--threshold MS`, `--speech-ms MS`,
 * `--storage pglite-worker,pglite-main,postgres`.
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchArgs } from './cli-args.js';
import { explain, printRow, printSummary } from './load-report.js';
import type { StorageOutcome } from './load-report.js';
import { createVoiceTemplate, DEFAULT_LOAD, measureEcho, measureVoice } from './measure.js';
import type { VoiceFigures } from './measure.js';
import { cell } from './stats.js';
import { defaultStorages, parseStorages } from './storage-variants.js';
import type { BenchStorage } from './storage-variants.js';

const USAGE =
  'usage: bench/load.ts [--quick] [--turns T] [--max N] [--step K | --list N1,N2,…] [--threshold MS] [--speech-ms MS] [--storage pglite-worker,pglite-main,postgres]';

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${name} must be a positive integer, got "${text}"\n${USAGE}`);
  }
  return value;
}

/** The Ns to try, in order. */
function ramp(opts: { quick: boolean; max: number; step?: number; list?: string }): number[] {
  if (opts.list !== undefined) {
    return opts.list.split(',').map((s) => positiveInt('list', s.trim(), 1));
  }
  if (opts.quick) return [1, 8].filter((n) => n <= opts.max);
  const ns = [1];
  if (opts.step !== undefined) {
    for (let n = opts.step; n <= opts.max; n += opts.step) if (n > 1) ns.push(n);
    return ns;
  }
  for (let n = 5; n <= opts.max; n = n < 10 ? 10 : n * 2) ns.push(n);
  return ns;
}

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    quick: { type: 'boolean', default: false },
    turns: { type: 'string' },
    max: { type: 'string' },
    step: { type: 'string' },
    list: { type: 'string' },
    threshold: { type: 'string' },
    'speech-ms': { type: 'string' },
    storage: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const turns = positiveInt('turns', values.turns, values.quick ? 1 : DEFAULT_LOAD.turns);
const max = positiveInt('max', values.max, 160);
const threshold = positiveInt('threshold', values.threshold, 20);
const speechMs = positiveInt('speech-ms', values['speech-ms'], DEFAULT_LOAD.speechMs);
if (speechMs < 300) {
  throw new Error(
    `--speech-ms must be at least 300 (the VAD reports speech after 250 ms), got ${speechMs}`,
  );
}
const ns = ramp({
  quick: values.quick,
  max,
  ...(values.step === undefined ? {} : { step: positiveInt('step', values.step, 1) }),
  ...(values.list === undefined ? {} : { list: values.list }),
});

const storages: BenchStorage[] =
  values.storage === undefined ? defaultStorages() : parseStorages(values.storage);
/** Whether a step held: every turn answered and jitter p99 under the threshold; else why not. */
function verdict(voice: VoiceFigures, sessions: number): string | undefined {
  if (voice.failures.length > 0 || voice.turnsCompleted !== sessions * turns) {
    return `${voice.failures.length} session(s) failed`;
  }
  if (!(voice.jitterP99Ms < threshold)) return `jitter p99 ${cell(voice.jitterP99Ms)} ms`;
  return undefined;
}

const started = performance.now();
const machineLoad = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
console.log(
  `load bench: ${availableParallelism()} CPUs, Node ${process.version}, load average ${machineLoad}; N = ${ns.join(', ')}; ${turns} turn(s) per session of ${speechMs} ms speech in 20 ms PCM16 16 kHz frames, real time; storage ${storages.join(', ')}${storages.includes('postgres') ? '' : ' (postgres: set DATABASE_URL)'}; stop at jitter p99 ≥ ${threshold} ms`,
);
const template = await createVoiceTemplate();
console.log(
  `cold start to ready (new data directory, pglite-worker): ${cell(template.coldReadyMs, 0)} ms`,
);
const outcomes = new Map<BenchStorage, { runs: VoiceFigures[]; largest?: number; stop?: string }>(
  storages.map((s) => [s, { runs: [] }]),
);
try {
  let first = true;
  for (const sessions of ns) {
    const live = storages.filter((s) => outcomes.get(s)?.stop === undefined);
    if (live.length === 0) break;
    const load = { ...DEFAULT_LOAD, sessions, turns, speechMs };
    const echo = await measureEcho(load);
    for (const storage of live) {
      const outcome = outcomes.get(storage) ?? { runs: [] };
      let miss: string | undefined;
      // A run that misses runs once more: on a shared machine one run can be spoiled by a neighbour.
      for (let attempt = 0; attempt < 2; attempt++) {
        if (attempt > 0) {
          console.log(`      ↻ N = ${sessions} ${storage} missed (${miss ?? ''}); once more`);
        }
        const voice = await measureVoice(load, template, storage);
        outcome.runs.push(voice);
        if (first) explain(voice);
        first = false;
        printRow(voice, echo);
        miss = verdict(voice, sessions);
        if (miss === undefined) break;
      }
      if (miss === undefined) outcome.largest = sessions;
      else outcome.stop = `N = ${sessions}: ${miss}`;
    }
  }
} finally {
  template.dispose();
}
const summary: StorageOutcome[] = storages.map((storage) => {
  const o = outcomes.get(storage) ?? { runs: [] };
  return { storage, runs: o.runs, largest: o.largest, stop: o.stop ?? 'the end of the ramp' };
});
printSummary(summary, threshold);
console.log(
  `load average at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(0);
