/**
 * `pnpm --filter @prx-voice/integration bench`: the server under load.
 *
 * For each N of a ramp (1, 5, 10, 20, 40, … up to `--max`), the same load
 * against a bare `ws` echo server (child process), then N concurrent WebSocket
 * sessions of real-time audio over loopback against a fresh voice server (child
 * process: in-process coordination, mock providers) on each storage — embedded
 * PGlite in a worker thread, embedded PGlite on the server's thread (how it ran
 * before), PostgreSQL when `DATABASE_URL` is set — and each VAD — energy (the
 * callers say a 300 Hz tone) and Silero (they say a sentence espeak-ng made at
 * the start) — one row each: voice-to-voice overhead p50/p99 (the configured
 * waits subtracted, see `turnWaits`), outbound pacing jitter p99, the server's
 * event-loop lag p99 and longest stall, server CPU and RSS per session, the
 * echo's, voice/echo ratios, and the warm restart to ready. The callers run in
 * `--generators` load generator processes of their own (the bench only
 * coordinates and reads the servers); each server runs in its own. A run whose
 * jitter p99 reaches the threshold (20 ms) or whose sessions fail is run once
 * more; if it misses again that variant's ramp stops. Last, per storage and
 * VAD: the largest N that held, the worst lag and stall, the warm restart; and
 * per storage the largest N of Silero over that of energy.
 *
 * Options: `--quick` (N = 1, 8; one turn), `--turns T`, `--max N`, `--step K`
 * (1, K, 2K, …), `--list 1,5,10`, `--threshold MS`, `--speech-ms MS` (the
 * tone), `--storage pglite-worker,pglite-main,postgres,postgres-redis,postgres-workers`, `--vad energy,silero`
 * (default both), `--generators K` (default 1), `--output-frame-ms MS` (20, 40, 60, 80 or
 * 100; default 20: the length of every outbound audio message, the voice sessions asking
 * for it with `session.update` `output_frame_ms` and the echo sending the same).
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchArgs, parseChoices } from './cli-args.js';
import { explain, explainWaits, printRow, printSummary } from './load-report.js';
import type { VariantOutcome } from './load-report.js';
import { createVoiceTemplate, DEFAULT_LOAD, measureEcho, measureVoice } from './measure.js';
import type { VoiceFigures } from './measure.js';
import { spokenSpeech, SPOKEN_TEXT } from './speech-clip.js';
import { cell } from './stats.js';
import { defaultStorages, parseStorages } from './storage-variants.js';
import type { BenchStorage } from './storage-variants.js';
import { BENCH_VADS, INPUT_RATE } from './wire.js';
import type { BenchVad } from './wire.js';

const USAGE =
  'usage: bench/load.ts [--quick] [--turns T] [--max N] [--step K | --list N1,N2,…] [--threshold MS] [--speech-ms MS] [--storage pglite-worker,pglite-main,postgres,postgres-redis,postgres-workers] [--vad energy,silero] [--generators K] [--output-frame-ms MS]';

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
    vad: { type: 'string' },
    generators: { type: 'string' },
    'output-frame-ms': { type: 'string' },
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
const vads: BenchVad[] =
  values.vad === undefined ? [...BENCH_VADS] : parseChoices('vad', values.vad, BENCH_VADS);
const generators = positiveInt('generators', values.generators, 1);
const outputFrameMs = positiveInt('output-frame-ms', values['output-frame-ms'], 20);
if (![20, 40, 60, 80, 100].includes(outputFrameMs)) {
  throw new Error(`--output-frame-ms must be 20, 40, 60, 80 or 100, got ${outputFrameMs}`);
}
/** One line of the ramp: a storage with a VAD. */
interface Variant {
  readonly storage: BenchStorage;
  readonly vad: BenchVad;
}
const variants: Variant[] = storages.flatMap((storage) => vads.map((vad) => ({ storage, vad })));
const variantName = (v: Variant): string => `${v.storage} ${v.vad}`;
/** Whether a step held: every turn answered and jitter p99 under the threshold; else why not. */
function verdict(voice: VoiceFigures, sessions: number): string | undefined {
  if (voice.failures.length > 0 || voice.turnsCompleted !== sessions * turns) {
    return `${voice.failures.length} failure(s), ${voice.turnsCompleted} of ${sessions * turns} turns`;
  }
  if (!(voice.jitterP99Ms < threshold)) return `jitter p99 ${cell(voice.jitterP99Ms)} ms`;
  return undefined;
}

const started = performance.now();
const machineLoad = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
// Silero hears a tone as noise: its callers say a sentence, made once here (espeak-ng and sox).
const spoken = vads.includes('silero') ? await spokenSpeech() : undefined;
console.log(
  `load bench: ${availableParallelism()} CPUs, Node ${process.version}, load average ${machineLoad}; N = ${ns.join(', ')}; ${turns} turn(s) per session in 20 ms PCM16 16 kHz frames, real time, answered in ${outputFrameMs} ms frames: ${speechMs} ms of a 300 Hz tone (energy)${spoken === undefined ? '' : `, "${SPOKEN_TEXT}" by espeak-ng, ${cell((spoken.length * 1000) / INPUT_RATE, 0)} ms (silero)`}; storage ${storages.join(', ')}${storages.includes('postgres') ? '' : ' (postgres: set DATABASE_URL)'}${storages.includes('postgres-workers') ? '' : ' (postgres-redis, postgres-workers: set DATABASE_URL and REDIS_URL)'}; VAD ${vads.join(', ')}; ${generators} load generator process(es); stop at jitter p99 ≥ ${threshold} ms`,
);
const template = await createVoiceTemplate();
console.log(
  `cold start to ready (new data directory, pglite-worker): ${cell(template.coldReadyMs, 0)} ms`,
);
const outcomes = new Map<Variant, { runs: VoiceFigures[]; largest?: number; stop?: string }>(
  variants.map((v) => [v, { runs: [] }]),
);
try {
  let first = true;
  const explained = new Set<BenchVad>();
  for (const sessions of ns) {
    const live = variants.filter((v) => outcomes.get(v)?.stop === undefined);
    if (live.length === 0) break;
    const load = { ...DEFAULT_LOAD, sessions, turns, speechMs, outputFrameMs };
    const echo = await measureEcho(load, { generators });
    for (const variant of live) {
      const outcome = outcomes.get(variant) ?? { runs: [] };
      let miss: string | undefined;
      // A run that misses runs once more: on a shared machine one run can be spoiled by a neighbour.
      for (let attempt = 0; attempt < 2; attempt++) {
        if (attempt > 0) {
          console.log(
            `      ↻ N = ${sessions} ${variantName(variant)} missed (${miss ?? ''}); once more`,
          );
        }
        const voice = await measureVoice(load, template, {
          ...variant,
          generators,
          ...(variant.vad === 'silero' && spoken !== undefined ? { speech: spoken } : {}),
        });
        outcome.runs.push(voice);
        if (first) explain(voice);
        first = false;
        if (!explained.has(voice.vad)) explainWaits(voice);
        explained.add(voice.vad);
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
const summary: VariantOutcome[] = variants.map((v) => {
  const o = outcomes.get(v) ?? { runs: [] };
  return { ...v, runs: o.runs, largest: o.largest, stop: o.stop ?? 'the end of the ramp' };
});
printSummary(summary, threshold);
console.log(
  `load average at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(0);
