/**
 * One step of the load bench: N callers (in load generator processes) against
 * a fresh server in a child process — the voice server or the bare `ws` echo
 * baseline — and the figures of that run.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from './children.js';
import type { ChildServer } from './children.js';
import type { ChildStats } from './child-ipc.js';
import type { LoadOptions, TurnRecord } from './caller.js';
import type { LoadRun, LoadTarget } from './load-client.js';
import { runGeneratedLoad } from './load-generators.js';
import { toneSpeech } from './speech-clip.js';
import { percentile } from './stats.js';
import { storageEnv } from './storage-variants.js';
import type { BenchStorage } from './storage-variants.js';
import { openVoiceSession, prepareVoiceTarget, voiceServerEnv, warmUp } from './voice-target.js';
import { delaySettingsOf, FRAME_MS, mockDelays, turnWaits } from './wire.js';
import type { BenchVad, MockDelays } from './wire.js';

/** The figures of one run against one server. */
export interface StepFigures {
  readonly sessions: number;
  readonly turnsCompleted: number;
  readonly failures: readonly string[];
  /** Client-observed voice-to-voice minus the target's configured waits, ms. */
  readonly overheadP50Ms: number;
  readonly overheadP99Ms: number;
  /** Pacing deviation of outbound frames, ms. */
  readonly jitterP50Ms: number;
  readonly jitterP99Ms: number;
  /** Server CPU per second of one session streaming, ms (10 = 1 % of a core). */
  readonly cpuMsPerSessionSecond: number;
  /** Server resident memory added per live session, MB. */
  readonly rssMbPerSession: number;
  /** Server resident memory added by all the sessions, MB (readings agree within about 1 MB). */
  readonly rssGrowthMb: number;
  /** Server resident memory before the sessions, MB. */
  readonly rssIdleMb: number;
  /** Load generator CPU over the streaming, all generator processes together, % of one core. */
  readonly clientCpuPercent: number;
  /** The server's main-thread event-loop delay over the streaming, p99, ms. */
  readonly loopP99Ms: number;
  /** The server's longest main-thread stall over the streaming, ms. */
  readonly loopMaxMs: number;
}

/** A voice server run: the common figures, the waits subtracted, and the server's own view. */
export interface VoiceFigures extends StepFigures {
  readonly delays: MockDelays;
  /** The waits subtracted from the client-observed voice-to-voice times (they vary with Silero's windows), p50, ms. */
  readonly waitP50Ms: number;
  /** The VAD's silence start minus the end of the caller's speech, p50, ms (Silero's own lateness; 0 for energy). */
  readonly vadLateP50Ms: number;
  /** The server's `voice_to_voice_ms` (from the VAD's silence start) minus its waits, p50, ms. */
  readonly serverOverheadP50Ms: number;
  /** What the server stored in. */
  readonly storage: BenchStorage;
  /** The VAD it ran. */
  readonly vad: BenchVad;
  /** Silero's worker threads in the server (its `silero_workers`, 0 = one per core). */
  readonly sileroWorkers: number;
  /** From the fork to `/health/ready` answering 200 on an existing data directory (a warm restart), ms. */
  readonly readyMs: number;
}

/** Defaults of {@link LoadOptions} other than `sessions`. */
export const DEFAULT_LOAD: Omit<LoadOptions, 'sessions'> = {
  turns: 3,
  speechMs: 600,
  gapMs: 300,
  staggerMs: 1000,
  turnTimeoutMs: 15_000,
};

const MB = 1024 * 1024;

function figures(opts: {
  readonly run: LoadRun;
  readonly sessions: number;
  readonly waitOf: (turn: TurnRecord) => number;
  readonly idle: ChildStats;
  readonly before: ChildStats;
  readonly after: ChildStats;
}): StepFigures {
  const { run, sessions, waitOf, idle, before, after } = opts;
  const overhead = run.turns.map((t) => t.v2vMs - waitOf(t));
  const deviations = run.turns.flatMap((t) => t.deviationsMs);
  return {
    sessions,
    turnsCompleted: run.turns.length,
    failures: run.failures,
    overheadP50Ms: percentile(overhead, 50),
    overheadP99Ms: percentile(overhead, 99),
    jitterP50Ms: percentile(deviations, 50),
    jitterP99Ms: percentile(deviations, 99),
    cpuMsPerSessionSecond: (after.cpuUs - before.cpuUs) / 1000 / run.sessionSeconds,
    rssMbPerSession: (after.rssBytes - idle.rssBytes) / MB / sessions,
    rssGrowthMb: (after.rssBytes - idle.rssBytes) / MB,
    rssIdleMb: idle.rssBytes / MB,
    clientCpuPercent: (100 * run.clientCpuMs) / run.wallMs,
    loopP99Ms: after.loopP99Ms,
    loopMaxMs: after.loopMaxMs,
  };
}

/**
 * The child's memory at rest: read after full GCs, again after a short pause
 * until two readings agree within 1 MB (at most three), the last one taken.
 */
async function settledStats(child: ChildServer): Promise<ChildStats> {
  let last = await child.stats({ gc: true });
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 150));
    const next = await child.stats({ gc: true });
    const settled = Math.abs(next.rssBytes - last.rssBytes) < MB;
    last = next;
    if (settled) break;
  }
  return last;
}

/** How the callers of a run are generated. */
export interface GenerationOptions {
  /** Load generator processes (default 1). */
  readonly generators?: number;
  /** What every caller says each turn, 16 kHz PCM16 (default the tone of `load.speechMs`). */
  readonly speech?: Int16Array;
}

/** Runs the load against `child` (already warm), measuring it around the streaming. */
async function measureChild(opts: {
  readonly child: ChildServer;
  readonly target: LoadTarget;
  readonly load: LoadOptions;
  readonly generation: GenerationOptions;
  readonly waitOf: (turn: TurnRecord) => number;
}): Promise<{ run: LoadRun; figures: StepFigures }> {
  const { child, load } = opts;
  // Memory at rest with no session, and again with all of them still open; CPU over the streaming only.
  const idle = await settledStats(child);
  let before = idle;
  let after = idle;
  const run = await runGeneratedLoad(
    opts.target,
    load,
    {
      generators: opts.generation.generators ?? 1,
      speech: opts.generation.speech ?? toneSpeech(load.speechMs),
    },
    {
      beforeStreaming: async () => {
        before = await child.stats({ resetLoop: true });
      },
      afterStreaming: async () => {
        const now = await child.stats();
        after = { ...now, rssBytes: (await settledStats(child)).rssBytes };
      },
    },
  );
  const { waitOf } = opts;
  return { run, figures: figures({ run, sessions: load.sessions, waitOf, idle, before, after }) };
}

/** Polls `GET /health/ready` until it answers 200; resolves with `performance.now()` then. */
async function readyAt(baseUrl: string, timeoutMs = 60_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${baseUrl}/health/ready`).catch(() => undefined);
    if (res?.status === 200) return performance.now();
    await res?.body?.cancel();
    if (performance.now() > deadline) {
      throw new Error(`bench: ${baseUrl}/health/ready did not answer 200 within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A voice server data directory made once (its first start creates the database) and copied for each run. */
export interface VoiceTemplate {
  readonly dataDir: string;
  /** From the fork to `/health/ready` answering 200 on the new data directory (a cold start), ms. */
  readonly coldReadyMs: number;
  /** Removes it. */
  dispose(): void;
}

/**
 * Starts a voice server once on a new data directory and stops it. Each run then
 * starts on a copy: embedded Postgres is created once (about ten seconds and
 * several hundred MB, partly released at random later) instead of per run.
 */
export async function createVoiceTemplate(): Promise<VoiceTemplate> {
  const dir = mkdtempSync(join(tmpdir(), 'prx-load-template-'));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  let coldReadyMs: number;
  try {
    const child = await startChild('voice-server.ts', voiceServerEnv(join(dir, 'data')));
    try {
      coldReadyMs = (await readyAt(child.url)) - child.forkedAt;
    } finally {
      await child.stop();
    }
  } catch (err) {
    dispose();
    throw err;
  }
  return { dataDir: join(dir, 'data'), coldReadyMs, dispose };
}

/** What a voice run runs on, beyond the load. */
export interface VoiceRunOptions extends GenerationOptions {
  /** Default `pglite-worker`. */
  readonly storage?: BenchStorage;
  /** Default `energy`; Silero needs a spoken `speech` (it does not take a tone for a voice). */
  readonly vad?: BenchVad;
}

/**
 * N callers against a fresh voice server (child process) on `storage`: PGlite on
 * a copy of `template` in a temp dir, in a worker thread or on the server's
 * thread, or a fresh PostgreSQL database; the VAD `vad` (server config and
 * session). Voice-to-voice overhead = client-observed voice-to-voice minus the
 * configured waits of {@link mockDelays}, per turn ({@link turnWaits}): VAD
 * silence, endpointing, agent token delays.
 */
export async function measureVoice(
  load: LoadOptions,
  template: VoiceTemplate,
  opts: VoiceRunOptions = {},
): Promise<VoiceFigures> {
  const storage = opts.storage ?? 'pglite-worker';
  const vad = opts.vad ?? 'energy';
  const dir = mkdtempSync(join(tmpdir(), 'prx-load-'));
  cpSync(template.dataDir, join(dir, 'data'), { recursive: true });
  const database = await storageEnv(storage);
  let child: ChildServer | undefined;
  try {
    child = await startChild('voice-server.ts', {
      ...voiceServerEnv(join(dir, 'data'), vad),
      ...database.env,
    });
    const readyMs = (await readyAt(child.url)) - child.forkedAt;
    const delays = mockDelays(delaySettingsOf(child.info));
    if (delays.vad !== vad) {
      throw new Error(`bench: asked the voice server for the ${vad} VAD, it runs ${delays.vad}`);
    }
    const sileroWorkers = Number(child.info['vad_silero_workers'] ?? 0);
    const target = await prepareVoiceTarget(child.url, load.sessions);
    await warmUp(target, {
      vad,
      sessions: vad === 'silero' ? sileroWorkers || Math.min(8, availableParallelism()) : 1,
    });
    const waitsOf = (t: TurnRecord): ReturnType<typeof turnWaits> => turnWaits(delays, t);
    const { run, figures: common } = await measureChild({
      child,
      target: { kind: 'voice', open: () => openVoiceSession(target, { vad }) },
      load,
      generation: opts,
      waitOf: (t) => waitsOf(t).clientMs,
    });
    // The server starts its clock at the VAD's silence start: the waits after it are in it.
    const serverOverhead = run.turns.flatMap((t) =>
      t.serverV2vMs === null ? [] : [t.serverV2vMs - waitsOf(t).serverMs],
    );
    return {
      ...common,
      delays,
      waitP50Ms: percentile(
        run.turns.map((t) => waitsOf(t).clientMs),
        50,
      ),
      vadLateP50Ms: percentile(
        run.turns.map((t) => waitsOf(t).vadLateMs),
        50,
      ),
      serverOverheadP50Ms: percentile(serverOverhead, 50),
      storage,
      vad,
      sileroWorkers,
      readyMs,
    };
  } finally {
    await child?.stop();
    await database.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * N callers against a fresh bare `ws` echo server (child process). Its only wait
 * is one frame: it notices the end of speech at the first silent frame.
 */
export async function measureEcho(
  load: LoadOptions,
  generation: GenerationOptions = {},
): Promise<StepFigures> {
  const child = await startChild('echo-server.ts', {
    BENCH_OUTPUT_FRAME_MS: String(load.outputFrameMs ?? FRAME_MS),
  });
  try {
    const { figures: result } = await measureChild({
      child,
      target: { kind: 'echo', open: (i) => Promise.resolve(`${child.url}/caller-${i}`) },
      load,
      generation,
      waitOf: () => FRAME_MS,
    });
    return result;
  } finally {
    await child.stop();
  }
}
