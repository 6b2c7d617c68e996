/**
 * The load bench's side of a load run: it prepares the sessions (REST, in this
 * process), hands them round-robin to K load generator processes
 * (`load-generator.ts`), and moves them through the run together — all sockets
 * open, then the streaming (between the hooks, where the bench reads the
 * server), then hang-up — gathering what they measured. A generator that fails
 * or stays silent past its deadline fails the run with the reason; it never
 * hangs it.
 */
import type { LoadOptions } from './caller.js';
import { forkBenchChild, nextMessage, sendTo } from './children.js';
import type { BenchChild } from './children.js';
import type { FromGenerator, ToGenerator } from './generator-ipc.js';
import { mapLimit } from './load-client.js';
import type { LoadRun, LoadTarget, StreamResult } from './load-client.js';
import { samplesToBase64 } from './speech-clip.js';
import { INPUT_RATE } from './wire.js';

/** Called around the streaming phase (all sockets open before, all still open after). */
export interface LoadHooks {
  readonly beforeStreaming?: () => Promise<void>;
  readonly afterStreaming?: () => Promise<void>;
}

/** How the load is generated. */
export interface GeneratorOptions {
  /** Generator processes (at most one per session). */
  readonly generators: number;
  /** What every caller says each turn: 16 kHz PCM16 (`speech-clip.ts`). */
  readonly speech: Int16Array;
}

/** Start-up of a generator (tsx compiles it on the fly; a loaded machine is slow), ms. */
const START_TIMEOUT_MS = 120_000;
/** Hang-up: each socket gives up after 5 s, ms. */
const HANG_UP_TIMEOUT_MS = 30_000;

const isType =
  <T extends FromGenerator['type']>(type: T) =>
  (m: FromGenerator): m is Extract<FromGenerator, { type: T }> =>
    m.type === type;

/** One generator process and the callers it runs. */
interface Generator {
  readonly name: string;
  readonly child: BenchChild;
  readonly callers: { index: number; url: string }[];
  /** Why it failed, once it did. */
  failure?: string;
}

/** Waits for every live generator's answer of `type`; a generator that fails is marked so. */
async function all<T extends FromGenerator['type']>(
  gens: readonly Generator[],
  type: T,
  timeoutMs: number,
  message?: ToGenerator,
): Promise<(Extract<FromGenerator, { type: T }> | undefined)[]> {
  return Promise.all(
    gens.map(async (g) => {
      if (g.failure !== undefined) return undefined;
      try {
        const answer = nextMessage(g.child, isType(type), {
          what: `waiting for ${type}`,
          timeoutMs,
        });
        if (message !== undefined) await sendTo(g.child, message);
        return await answer;
      } catch (err) {
        // The reason and the last lines of the generator's stderr, on one line of the table.
        const lines = (err instanceof Error ? err.message : String(err)).trim().split('\n');
        g.failure = [lines[0], ...lines.slice(1).slice(-3)].join(' | ');
        g.child.process.kill('SIGKILL');
        return undefined;
      }
    }),
  );
}

/** The longest a run's streaming can take: every caller's turns each time out, plus the stagger and a margin, ms. */
function streamingTimeoutMs(opts: LoadOptions, speechMs: number): number {
  const turnMs = 200 + speechMs + opts.turnTimeoutMs + opts.gapMs + 1_000;
  return opts.staggerMs + opts.turns * turnMs + 30_000;
}

/**
 * Runs `opts.sessions` callers against `target` from `gen.generators` processes.
 * `clientCpuMs` is the sum of the generators' CPU over the streaming, `wallMs`
 * the longest of their streaming times.
 */
export async function runGeneratedLoad(
  target: LoadTarget,
  opts: LoadOptions,
  gen: GeneratorOptions,
  hooks: LoadHooks = {},
): Promise<LoadRun> {
  const k = Math.max(1, Math.min(gen.generators, opts.sessions));
  // Forked first: they start up (tsx) while the sessions are made.
  const gens: Generator[] = Array.from({ length: k }, (_, g) => ({
    name: `load generator ${g + 1}/${k}`,
    child: forkBenchChild('load-generator.ts'),
    callers: [],
  }));
  const speechMs = (gen.speech.length * 1000) / INPUT_RATE;
  const speechBase64 = samplesToBase64(gen.speech);
  const failures = (): string[] =>
    gens.flatMap((g) =>
      g.failure === undefined ? [] : [`${g.name} (${g.callers.length} sessions): ${g.failure}`],
    );
  const failed = (): LoadRun => ({
    turns: [],
    failures: failures(),
    sessionSeconds: 0,
    clientCpuMs: Number.NaN,
    wallMs: Number.NaN,
  });
  try {
    const started = all(gens, 'started', START_TIMEOUT_MS);
    const urls = await mapLimit(opts.sessions, 8, target.open);
    urls.forEach((url, index) => gens[index % k]?.callers.push({ index, url }));
    await started;
    // Connecting: each socket needs a handshake with the server; a loaded machine takes its time.
    const connectMs = START_TIMEOUT_MS + 100 * opts.sessions;
    await Promise.all(
      gens.map((g) =>
        all([g], 'connected', connectMs, {
          type: 'load',
          kind: target.kind,
          opts,
          callers: g.callers,
          speechBase64,
        }),
      ),
    );
    if (failures().length > 0) return failed();
    await hooks.beforeStreaming?.();
    const streamed = (
      await all(gens, 'streamed', streamingTimeoutMs(opts, speechMs), { type: 'go' })
    ).filter((s): s is StreamResult & { type: 'streamed' } => s !== undefined);
    await hooks.afterStreaming?.();
    await all(gens, 'closed', HANG_UP_TIMEOUT_MS, { type: 'hang-up' });
    if (streamed.length === 0) return failed();
    return {
      turns: streamed.flatMap((s) => s.turns),
      failures: [...streamed.flatMap((s) => s.failures), ...failures()],
      sessionSeconds: streamed.reduce((sum, s) => sum + s.sessionSeconds, 0),
      clientCpuMs: streamed.reduce((sum, s) => sum + s.cpuMs, 0),
      wallMs: Math.max(...streamed.map((s) => s.wallMs)),
    };
  } finally {
    for (const g of gens) {
      if (g.child.process.connected) g.child.process.disconnect();
    }
    await Promise.all(gens.map((g) => g.child.reap(10_000)));
  }
}
