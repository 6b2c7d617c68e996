/**
 * The turn-taking bench, programmatically: makes the clips, starts a real
 * voice server in a child process (embedded PGlite, in-process coordination,
 * mock providers; `turns-server.ts`), checks which VADs open, runs every clip on a fresh session
 * per VAD a few at a time, scores them and formats the report.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from '../children.js';
import { mapLimit } from '../load-client.js';
import { prepareVoiceTarget, voiceServerEnv, warmUp } from '../voice-target.js';
import type { VoiceTarget } from '../voice-target.js';
import { runClipSession } from './clip-session.js';
import type { SessionLog, SessionTiming } from './clip-session.js';
import { generateCorpus } from './corpus.js';
import { CLIP_RATE, corpusToolsMissing } from './corpus-tools.js';
import type { Clip, ClipKind } from './corpus.js';
import { BOT_PROMPT } from './corpus-script.js';
import { scoreClip } from './outcome.js';
import type { ClipOutcome } from './outcome.js';
import { formatReport } from './report.js';

/** The VADs the bench knows, in table order. */
export const BENCH_VADS = ['energy', 'silero'] as const;

/** What to run. */
export interface TurnsBenchOptions {
  /** One clip per kind. */
  readonly quick?: boolean;
  /** VADs to try (default both). */
  readonly vads?: readonly string[];
  /** Clip kinds (default all). */
  readonly kinds?: readonly ClipKind[];
  /** Only the first `maxClips` clips of the corpus. */
  readonly maxClips?: number;
  /** Sessions at a time (default 6). */
  readonly concurrency?: number;
  /** Progress lines (default none). */
  readonly progress?: (line: string) => void;
}

/** A clip without its audio, for the JSON output. */
export type ClipInfo = Omit<Clip, 'samples' | 'bed'> & {
  readonly durationMs: number;
  readonly snrBed: boolean;
};

/** The bench's results. */
export interface TurnsBenchResult {
  /** The server's turn-taking settings as it reported them. */
  readonly settings: Readonly<Record<string, string | number>>;
  /** The VADs measured. */
  readonly vads: readonly string[];
  /** The VADs not measured, and why. */
  readonly skipped: readonly { readonly vad: string; readonly reason: string }[];
  readonly clips: readonly ClipInfo[];
  readonly outcomes: readonly ClipOutcome[];
  /** Raw logs of every session, for `--json`. */
  readonly logs: readonly SessionLog[];
  /** The report, line by line. */
  readonly lines: readonly string[];
  readonly wallMs: number;
}

/** Why the bench cannot run here, or undefined when it can. */
export const turnsBenchUnavailable = corpusToolsMissing;

function timingFor(settings: Readonly<Record<string, string | number>>): SessionTiming {
  const falseTimeout = Number(
    settings['session.interruption.false_interruption_timeout_ms'] ?? 2000,
  );
  return {
    leadMs: 1_000,
    overlapDelayMs: 1_000,
    tailMs: 3_000,
    // Long enough for a false interruption to time out and the bot to resume.
    overlapTailMs: Math.max(4_000, falseTimeout + 2_000),
    maxTailMs: 12_000,
  };
}

/** Why `vad` cannot be measured (a probe session on a sentence), or undefined when it works. */
async function probeVad(
  target: VoiceTarget,
  vad: string,
  probe: Clip,
  timing: SessionTiming,
): Promise<string | undefined> {
  let log: SessionLog;
  try {
    log = await runClipSession({ target, clip: probe, vad, botPrompt: BOT_PROMPT, timing });
  } catch (err) {
    return `the session could not be opened: ${err instanceof Error ? err.message : String(err)}`;
  }
  const trouble = log.events.find((e) =>
    ['prx.voice.adapter.fallback', 'prx.voice.session.failed', 'prx.voice.asr.error'].includes(
      e.type,
    ),
  );
  if (trouble !== undefined)
    return `${trouble.type}: ${JSON.stringify(trouble.data).slice(0, 200)}`;
  if (log.failure !== undefined) return log.failure;
  if (!log.events.some((e) => e.type === 'prx.voice.media.vad_started')) {
    return 'no vad_started on a clearly spoken sentence';
  }
  return undefined;
}

function clipInfo(clip: Clip): ClipInfo {
  const { samples, bed, ...rest } = clip;
  return { ...rest, durationMs: (samples.length * 1000) / CLIP_RATE, snrBed: bed !== undefined };
}

/** Runs the bench; throws if the corpus tools are missing or the server does not start. */
export async function runTurnsBench(opts: TurnsBenchOptions = {}): Promise<TurnsBenchResult> {
  const started = performance.now();
  const progress = opts.progress ?? ((): void => undefined);
  const missing = await corpusToolsMissing();
  if (missing !== undefined) throw new Error(`turns bench: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'prx-turns-'));
  try {
    mkdirSync(join(dir, 'clips'));
    mkdirSync(join(dir, 'probe'));
    const all = await generateCorpus({
      dir: join(dir, 'clips'),
      ...(opts.quick === undefined ? {} : { quick: opts.quick }),
      ...(opts.kinds === undefined ? {} : { kinds: opts.kinds }),
    });
    const clips = opts.maxClips === undefined ? all : all.slice(0, opts.maxClips);
    const [probe] = await generateCorpus({
      dir: join(dir, 'probe'),
      quick: true,
      kinds: ['sentence'],
    });
    if (probe === undefined) throw new Error('turns bench: no probe clip');
    progress(
      `${clips.length} clips made in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const concurrency = opts.concurrency ?? 6;
    const child = await startChild('turns/turns-server.ts', voiceServerEnv(join(dir, 'data')));
    try {
      const settings = { ...child.info };
      const timing = timingFor(settings);
      const target = await prepareVoiceTarget(child.url, concurrency + 1);
      await warmUp(target);
      const vads: string[] = [];
      const skipped: { vad: string; reason: string }[] = [];
      for (const vad of opts.vads ?? BENCH_VADS) {
        const reason = await probeVad(target, vad, probe, timing);
        if (reason === undefined) vads.push(vad);
        else skipped.push({ vad, reason });
      }
      const jobs = vads.flatMap((vad) => clips.map((clip) => ({ vad, clip })));
      let doneCount = 0;
      const logs = await mapLimit(jobs.length, concurrency, async (i) => {
        const job = jobs[i];
        if (job === undefined) throw new Error('turns bench: no job');
        const log = await runClipSession({
          target,
          clip: job.clip,
          vad: job.vad,
          botPrompt: BOT_PROMPT,
          timing,
        });
        doneCount += 1;
        if (doneCount % 10 === 0 || doneCount === jobs.length) {
          progress(
            `${doneCount}/${jobs.length} sessions (${((performance.now() - started) / 1000).toFixed(0)} s)`,
          );
        }
        return log;
      });
      const outcomes = jobs.map((job, i) => {
        const log = logs[i];
        if (log === undefined) throw new Error('turns bench: a session left no log');
        return scoreClip(job.clip, log);
      });
      const lines = formatReport({ outcomes, vads, settings, skipped });
      return {
        settings,
        vads,
        skipped,
        clips: clips.map(clipInfo),
        outcomes,
        logs,
        lines,
        wallMs: performance.now() - started,
      };
    } finally {
      await child.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
