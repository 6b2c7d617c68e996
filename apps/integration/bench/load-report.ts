/**
 * The load bench's table: one row per N, storage and VAD (the voice server's
 * figures beside the bare echo's of the same N), the legend printed before the
 * first row (and each VAD's waits before its first), and the summary per storage
 * and VAD at the end, with Silero's largest N over energy's.
 */
import { loadavg } from 'node:os';
import { LOOP_RESOLUTION_MS } from './child-ipc.js';
import type { StepFigures, VoiceFigures } from './measure.js';
import { cell, percentile } from './stats.js';
import type { BenchStorage } from './storage-variants.js';
import { FRAME_MS, MOCK_REPLY, MOCK_TOKEN_DELAY_MS, PACER_LEAD_MS } from './wire.js';
import type { BenchVad } from './wire.js';

/** Total RSS growth below this is within the noise of two readings: shown as an upper bound. */
const RSS_FLOOR_MB = 2;

const COLUMNS: [string, number][] = [
  ['N', 5],
  ['storage', 17],
  ['vad', 7],
  ['v2v_ovh_p50_ms', 15],
  ['v2v_ovh_p99_ms', 15],
  ['srv_ovh_p50_ms', 15],
  ['vad_late_ms', 12],
  ['jitter_p99_ms', 14],
  ['lag_p99_ms', 11],
  ['stall_max_ms', 13],
  ['cpu_ms_per_sess_s', 18],
  ['rss_mb_per_sess', 16],
  ['echo_jitter_p99_ms', 19],
  ['echo_cpu_ms_per_sess_s', 23],
  ['echo_rss_mb_per_sess', 21],
  ['cpu_ratio', 10],
  ['rss_ratio', 10],
  ['gen_cpu_%', 10],
  ['ready_ms', 9],
  ['load1', 7],
];
const row = (cells: string[]): string =>
  cells.map((c, i) => c.padStart(COLUMNS[i]?.[1] ?? 8)).join('');

/** Prints how to read the table, then its header. */
export function explain(voice: VoiceFigures): void {
  const d = voice.delays;
  const tokens = MOCK_REPLY.split(/\s+/).length;
  console.log(
    `voice-to-voice (v2v) = end of the caller's speech (its last frame due) → first answer audio frame received, minus the configured waits (wire.ts turnWaits), per turn:`,
  );
  console.log(
    `  voice: the VAD's silence start S (media.vad_ended at_ms) minus the speech's end E (vad_late_ms: 0 for energy on a tone; where Silero stops hearing the sentence, on its 32 ms windows), then the later of endpointing ${d.endpointMs} ms from S and the VAD's report (min_silence rounded up to its frames, heard when the caller's frame holding that audio arrives) + agent ${tokens} tokens × ${MOCK_TOKEN_DELAY_MS} ms (mock ASR/TTS add none); echo: ${FRAME_MS} ms (it answers at the first silent frame)`,
  );
  console.log(
    `  srv_ovh: the server's own turn.completed voice_to_voice_ms (from S) minus the same waits counted from S; Silero's scoring time is work, so it stays in both overheads`,
  );
  console.log(
    `jitter = lateness of each outbound frame against the ideal schedule of a real-time pacer with a ${PACER_LEAD_MS} ms lead (stats.ts)`,
  );
  console.log(
    `storage = pglite-worker (embedded PGlite in a worker thread: the default), pglite-main (embedded PGlite on the server's thread: how it ran before), postgres (a fresh database on DATABASE_URL's server), postgres-redis (the same with REDIS_URL: coordination in Redis), postgres-workers (postgres-redis with one worker process per core: every core; its CPU and memory are all the processes', its lag the worst worker's)`,
  );
  console.log(
    `lag = the voice server's main-thread event-loop delay over the streaming (monitorEventLoopDelay, sampled every ${LOOP_RESOLUTION_MS} ms): p99, and stall_max = the longest single stall`,
  );
  console.log(
    `cpu = server process CPU ms per session-second of streaming, all threads (10 = 1 % of a core); rss = server RSS growth per open session (at rest after full GCs: before the sessions, then with all open; a growth under ${RSS_FLOOR_MB} MB in all is noise, shown as <${RSS_FLOOR_MB} MB/N)`,
  );
  console.log(
    `ratios = voice / echo; gen_cpu = the load generator processes together (over the streaming), % of a core; ready = fork of the server process → /health/ready 200 on an existing data directory (a warm restart; TypeScript compiled on the fly by tsx included); load1 = 1-minute load average of the machine after the step\n`,
  );
  console.log(row(COLUMNS.map(([name]) => name)));
}

function rssCell(f: StepFigures): string {
  return f.rssGrowthMb < RSS_FLOOR_MB
    ? `<${cell(RSS_FLOOR_MB / f.sessions, 3)}`
    : cell(f.rssMbPerSession, 3);
}

function rssRatio(voice: StepFigures, echo: StepFigures): string {
  if (voice.rssGrowthMb < RSS_FLOOR_MB) return '-';
  if (echo.rssGrowthMb < RSS_FLOOR_MB) return `>${cell(voice.rssGrowthMb / RSS_FLOOR_MB)}`;
  return cell(voice.rssMbPerSession / echo.rssMbPerSession);
}

/** Before a VAD's first row: its waits as run (they vary per turn with Silero's windows). */
export function explainWaits(voice: VoiceFigures): void {
  const d = voice.delays;
  const workers =
    voice.vad === 'silero' ? `, ${voice.sileroWorkers || 'one per core'} worker thread(s)` : '';
  console.log(
    `  ${voice.vad}: ${d.vadFrameMs} ms frames${workers}, VAD silence ${d.vadMs} ms, waits subtracted p50 ${cell(voice.waitP50Ms)} ms`,
  );
}

/** One row: a voice run on one storage beside the echo run of the same N. */
export function printRow(voice: VoiceFigures, echo: StepFigures): void {
  console.log(
    row([
      String(voice.sessions),
      voice.storage,
      voice.vad,
      cell(voice.overheadP50Ms),
      cell(voice.overheadP99Ms),
      cell(voice.serverOverheadP50Ms),
      cell(voice.vadLateP50Ms),
      cell(voice.jitterP99Ms),
      cell(voice.loopP99Ms),
      cell(voice.loopMaxMs),
      cell(voice.cpuMsPerSessionSecond, 2),
      rssCell(voice),
      cell(echo.jitterP99Ms),
      cell(echo.cpuMsPerSessionSecond, 2),
      rssCell(echo),
      cell(voice.cpuMsPerSessionSecond / echo.cpuMsPerSessionSecond),
      rssRatio(voice, echo),
      cell(voice.clientCpuPercent, 0),
      cell(voice.readyMs, 0),
      cell(loadavg()[0] ?? Number.NaN),
    ]),
  );
  for (const f of [...voice.failures, ...echo.failures.map((f) => `echo ${f}`)].slice(0, 5)) {
    console.log(`      ! ${f}`);
  }
}

/** What one storage with one VAD came to over the whole ramp. */
export interface VariantOutcome {
  readonly storage: BenchStorage;
  readonly vad: BenchVad;
  /** Every voice run on it, retries included. */
  readonly runs: readonly VoiceFigures[];
  /** The largest N that held. */
  readonly largest: number | undefined;
  /** Why its ramp ended. */
  readonly stop: string;
}

/**
 * The summary: per storage and VAD, the largest N, the worst lag and stall, the
 * warm restart; then per storage run with both VADs, Silero's largest N over energy's.
 */
export function printSummary(outcomes: readonly VariantOutcome[], threshold: number): void {
  console.log(
    `\n${'storage'.padEnd(17)}${'vad'.padEnd(8)}${'largest_N'.padStart(10)}${'lag_p99_max_ms'.padStart(16)}${'stall_max_ms'.padStart(14)}${'ready_p50_ms'.padStart(14)}  ramp ended at`,
  );
  for (const o of outcomes) {
    const lag = Math.max(...o.runs.map((r) => r.loopP99Ms));
    const stall = Math.max(...o.runs.map((r) => r.loopMaxMs));
    const ready = percentile(
      o.runs.map((r) => r.readyMs),
      50,
    );
    console.log(
      `${o.storage.padEnd(17)}${o.vad.padEnd(8)}${String(o.largest ?? 'none').padStart(10)}${cell(lag).padStart(16)}${cell(stall).padStart(14)}${cell(ready, 0).padStart(14)}  ${o.stop}`,
    );
  }
  console.log(
    `largest_N: the largest N with every turn answered and jitter p99 < ${threshold} ms; lag_p99_max / stall_max: the worst over all its runs`,
  );
  for (const storage of new Set(outcomes.map((o) => o.storage))) {
    const of = (vad: BenchVad): VariantOutcome | undefined =>
      outcomes.find((o) => o.storage === storage && o.vad === vad);
    const energy = of('energy');
    const silero = of('silero');
    if (energy === undefined || silero === undefined) continue;
    const ratio = (silero.largest ?? 0) / (energy.largest ?? Number.NaN);
    const capped = [energy, silero].some((o) => o.stop === 'the end of the ramp')
      ? ' (a ramp ran to its end: a bound, not the limit)'
      : '';
    console.log(
      `${storage}: largest N silero ${String(silero.largest ?? 'none')} / energy ${String(energy.largest ?? 'none')} = ${cell(ratio, 2)} (goal ≥ 0.5)${capped}`,
    );
  }
  // Every core against one process, on the same stores' kind.
  for (const vad of new Set(outcomes.map((o) => o.vad))) {
    const one = outcomes.find((o) => o.storage === 'postgres-redis' && o.vad === vad);
    const all = outcomes.find((o) => o.storage === 'postgres-workers' && o.vad === vad);
    if (one === undefined || all === undefined) continue;
    const capped = [one, all].some((o) => o.stop === 'the end of the ramp')
      ? ' (a ramp ran to its end: a bound, not the limit)'
      : '';
    console.log(
      `${vad}: largest N on every core (postgres-workers) ${String(all.largest ?? 'none')} / one process (postgres-redis) ${String(one.largest ?? 'none')}${capped}`,
    );
  }
}
