/**
 * `pnpm --filter @prx-voice/integration bench:turns`: turn-taking against a
 * real voice server — missed utterances, missed and false barge-ins, premature
 * ends of turn, endpoint delay and barge-in latency, per clip kind × VAD, from
 * the client's point of view (see `runner.ts`, `outcome.ts`).
 *
 * Options: `--quick` (one clip per kind), `--vad energy|silero`, `--kinds
 * sentence,short,hesitation,barge_in,backchannel,noise`, `--concurrency N`,
 * `--json FILE` (raw results: clips, outcomes, every session's events and frames).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchArgs } from '../cli-args.js';
import { CLIP_KINDS } from './corpus.js';
import type { ClipKind } from './corpus.js';
import { BENCH_VADS, runTurnsBench } from './runner.js';

const USAGE =
  'usage: bench/turns/main.ts [--quick] [--vad energy|silero] [--kinds k1,k2,…] [--concurrency N] [--json FILE]';

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    quick: { type: 'boolean', default: false },
    vad: { type: 'string' },
    kinds: { type: 'string' },
    concurrency: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function kindsOf(text: string | undefined): ClipKind[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((k) => {
    const kind = CLIP_KINDS.find((c) => c === k.trim());
    if (kind === undefined)
      throw new Error(`--kinds: unknown kind "${k}" (${CLIP_KINDS.join(', ')})\n${USAGE}`);
    return kind;
  });
}

if (values.vad !== undefined && !(BENCH_VADS as readonly string[]).includes(values.vad)) {
  throw new Error(`--vad must be one of ${BENCH_VADS.join(', ')}, got "${values.vad}"\n${USAGE}`);
}
const concurrency = values.concurrency === undefined ? 6 : Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  throw new Error(
    `--concurrency must be a positive integer, got "${values.concurrency}"\n${USAGE}`,
  );
}
const kinds = kindsOf(values.kinds);

/** The engine measured: the checkout's commit, `-dirty` with local changes. */
function engineVersion(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=10'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown (not a git checkout)';
  }
}

console.log(
  `turn-taking bench on ${engineVersion()}: ${availableParallelism()} CPUs, Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(
      ' ',
    )}; ${values.quick ? 'quick' : 'full'} corpus, ${concurrency} sessions at a time, real-time 20 ms PCM16 16 kHz frames`,
);
const result = await runTurnsBench({
  quick: values.quick,
  concurrency,
  ...(values.vad === undefined ? {} : { vads: [values.vad] }),
  ...(kinds === undefined ? {} : { kinds }),
  progress: (line) => console.error(`  … ${line}`),
});
for (const line of result.lines) console.log(line);
console.log(
  `\n${result.outcomes.length} sessions (${result.clips.length} clips × ${result.vads.length} VAD(s)) in ${(result.wallMs / 1000).toFixed(0)} s`,
);
if (values.json !== undefined) {
  writeFileSync(values.json, JSON.stringify(result, null, 1));
  console.log(`raw results: ${values.json}`);
}
process.exit(0);
