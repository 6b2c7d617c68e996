/**
 * The turn-taking bench's tables: one row per clip kind (and level) × VAD, with
 * the count n of clips behind each row, from the clip outcomes.
 */
import { cell, percentile } from '../stats.js';
import type { ClipKind } from './corpus.js';
import { BARGE_IN_STOP_MS } from './outcome.js';
import type { ClipOutcome } from './outcome.js';

/** A bounded gap in the bot's audio at least this long counts as a pause, ms. */
export const PAUSE_MS = 100;
/** A level fall at least this deep counts as ducking, dB. */
export const DUCK_DB = 3;

type Column = readonly [name: string, width: number];

function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(columns[i]?.[1] ?? 8) : c.padStart(columns[i]?.[1] ?? 8)))
      .join(' ');
  return [line(columns.map(([name]) => name)), ...rows.map(line)];
}

const count = (outcomes: readonly ClipOutcome[], test: (o: ClipOutcome) => boolean): number =>
  outcomes.filter(test).length;

function numbers(
  outcomes: readonly ClipOutcome[],
  pick: (o: ClipOutcome) => number | null,
): number[] {
  return outcomes.flatMap((o) => {
    const v = pick(o);
    return v === null ? [] : [v];
  });
}

/** `p50/p90 (n)` of a figure, or `-`. */
function spread(values: readonly number[], high = 90): string {
  if (values.length === 0) return '-';
  return `${cell(percentile(values, 50), 0)}/${cell(percentile(values, high), 0)} (${values.length})`;
}

const spreadMax = (values: readonly number[]): string =>
  values.length === 0
    ? '-'
    : `${cell(percentile(values, 50), 0)}/${cell(Math.max(...values), 0)} (${values.length})`;

/** The utterance table: sentence, short and hesitation rows, and sentence/short per level. */
function utteranceRows(outcomes: readonly ClipOutcome[], vads: readonly string[]): string[][] {
  const rows: string[][] = [];
  const groups: { label: string; test: (o: ClipOutcome) => boolean }[] = [];
  for (const kind of ['sentence', 'short', 'hesitation'] as const) {
    groups.push({ label: kind, test: (o) => o.kind === kind });
    if (kind === 'hesitation') continue;
    const levels = [...new Set(outcomes.filter((o) => o.kind === kind).map((o) => o.level))];
    if (levels.length < 2) continue;
    for (const level of levels) {
      groups.push({
        label: `  ${kind} ${level}`,
        test: (o) => o.kind === kind && o.level === level,
      });
    }
  }
  for (const vad of vads) {
    for (const g of groups) {
      const os = outcomes.filter((o) => o.vad === vad && g.test(o));
      if (os.length === 0) continue;
      const hesitation = os.every((o) => o.kind === 'hesitation');
      rows.push([
        g.label,
        vad,
        String(os.length),
        String(count(os, (o) => o.failure !== null)),
        String(count(os, (o) => o.partsHeard < (o.kind === 'hesitation' ? 2 : 1))),
        String(count(os, (o) => o.heard !== true)),
        hesitation ? String(count(os, (o) => o.merged === true)) : '-',
        hesitation ? String(count(os, (o) => o.premature === true)) : '-',
        String(count(os, (o) => o.userTurns.length >= 2)),
        spread(numbers(os, (o) => o.eosToFinalMs)),
        spread(numbers(os, (o) => o.eosToAudioMs)),
      ]);
    }
  }
  return rows;
}

function overlapRows(outcomes: readonly ClipOutcome[], vads: readonly string[]): string[][] {
  const rows: string[][] = [];
  for (const vad of vads) {
    for (const kind of [
      'barge_in',
      'backchannel',
      'noise',
    ] as const satisfies readonly ClipKind[]) {
      const os = outcomes.filter((o) => o.vad === vad && o.kind === kind);
      if (os.length === 0) continue;
      const barge = kind === 'barge_in';
      const paused = os.filter((o) => (o.longestGapMs ?? 0) >= PAUSE_MS);
      const flushed = os.filter((o) => o.flushedFirst !== null);
      rows.push([
        kind,
        vad,
        String(os.length),
        String(count(os, (o) => o.failure !== null)),
        String(count(os, (o) => o.vadStarted)),
        barge ? String(count(os, (o) => o.missedBargeIn === true)) : '-',
        barge ? '-' : String(count(os, (o) => o.cancelled === true)),
        String(count(os, (o) => o.falseResumed === true)),
        paused.length === 0
          ? '0'
          : `${paused.length} (max ${cell(Math.max(...paused.map((o) => o.longestGapMs ?? 0)), 0)})`,
        String(count(os, (o) => (o.duckDb ?? 0) <= -DUCK_DB)),
        barge ? spread(numbers(os, (o) => o.stopMs)) : '-',
        barge ? spread(numbers(os, (o) => o.detectMs)) : '-',
        barge ? spreadMax(numbers(os, (o) => o.silenceMs)) : '-',
        barge ? `${count(flushed, (o) => o.flushedFirst === true)}/${flushed.length}` : '-',
      ]);
    }
  }
  return rows;
}

/** The printed report: settings, legend, the two tables and the notes. */
export function formatReport(opts: {
  readonly outcomes: readonly ClipOutcome[];
  readonly vads: readonly string[];
  readonly settings: Readonly<Record<string, string | number>>;
  readonly skipped: readonly { readonly vad: string; readonly reason: string }[];
}): string[] {
  const { outcomes, vads, settings } = opts;
  const lines: string[] = [];
  // The server's default VAD is not what the sessions use: each names its own.
  const shown = Object.entries(settings).filter(([k]) => !/(^|[._])provider$/.test(k));
  lines.push(`VADs: ${vads.join(', ') || 'none'} (each session names its VAD)`);
  lines.push(`server settings: ${shown.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const s of opts.skipped) lines.push(`skipped VAD ${s.vad}: ${s.reason}`);
  lines.push(
    "legend: ms on the sent-audio clock from the clip's true speech bounds, p50/p90 (n); " +
      'no_vad: a part (hesitation: 2) no VAD segment covers; missed: no vad_started or no turn.completed with all its words; ' +
      'merged: one VAD segment over both hesitation halves (the mock ASR then gives the first half only); ' +
      'premature: bot audio before the 2nd half ended, or 2 turns; 2turns: two user turns; ' +
      "eos→final: speech end → last transcript_final before the answer's first audio; eos→audio: → its first frame received; " +
      `missed_barge: no interrupt.issued or bot still heard ${BARGE_IN_STOP_MS} ms after speech start; ` +
      'false_barge: interrupt.issued or an interrupted turn; resumed: interrupt.false_resumed; ' +
      `paused: silence ≥ ${PAUSE_MS} ms inside bot audio that came back (n, max ms); ducked: bot level fell ≥ ${DUCK_DB} dB; ` +
      'stop/detect: speech start → bot last heard by the client / interrupt.issued; ' +
      'silence: interrupt.issued → last frame of the interrupted run (p50/max); flushed: playback.flushed before newer-run audio.',
  );
  lines.push('');
  lines.push('utterances (bot silent while the caller speaks):');
  lines.push(
    ...table(
      [
        ['kind', 20],
        ['vad', 6],
        ['n', 3],
        ['fail', 4],
        ['no_vad', 6],
        ['missed', 6],
        ['merged', 6],
        ['premature', 9],
        ['2turns', 6],
        ['eos→final p50/p90', 18],
        ['eos→audio p50/p90', 18],
      ],
      utteranceRows(outcomes, vads),
    ),
  );
  lines.push('');
  lines.push('overlaps (said while the bot is talking):');
  lines.push(
    ...table(
      [
        ['kind', 12],
        ['vad', 6],
        ['n', 3],
        ['fail', 4],
        ['vad_on', 6],
        ['missed_barge', 12],
        ['false_barge', 11],
        ['resumed', 7],
        ['paused', 14],
        ['ducked', 6],
        ['stop p50/p90', 16],
        ['detect p50/p90', 16],
        ['silence p50/max', 16],
        ['flushed', 7],
      ],
      overlapRows(outcomes, vads),
    ),
  );
  const notes = outcomes.flatMap((o) => [
    ...(o.failure === null ? [] : [`  ! ${o.vad} ${o.clipId}: ${o.failure}`]),
    ...(o.fallbacks === 0 ? [] : [`  ! ${o.vad} ${o.clipId}: ${o.fallbacks} adapter fallback(s)`]),
    ...(o.vadStartsBeforeClip === 0
      ? []
      : [`  · ${o.vad} ${o.clipId}: ${o.vadStartsBeforeClip} vad_started before the clip`]),
  ]);
  if (notes.length > 0) lines.push('', 'notes:', ...notes.slice(0, 40));
  if (notes.length > 40) lines.push(`  … ${notes.length - 40} more in --json`);
  return lines;
}
