/**
 * The client's playback buffer, simulated after the fact from what arrived:
 * frames play in arrival order at real time, each from when it arrived or when
 * the one before it finished, whichever is later; `prx.voice.playback.flushed`
 * drops everything not yet played (the protocol's clearing rule).
 */
import type { ArrivedAudio, ArrivedEvent } from './clip-session.js';

/** A stretch of bot audio as the caller heard it, ms on the sent-audio clock. */
export interface Played {
  readonly startMs: number;
  readonly endMs: number;
  readonly rms: number;
  readonly runId: string | undefined;
}

/** Below this RMS (about −46 dBFS) played audio counts as silence. */
export const AUDIBLE_RMS = 0.005;

/** What the caller heard, in order. */
export function simulatePlayback(
  audio: readonly ArrivedAudio[],
  events: readonly ArrivedEvent[],
): Played[] {
  const flushes = events.filter((e) => e.type === 'prx.voice.playback.flushed');
  const items = [
    ...audio.map((a) => ({ a, seq: a.seq })),
    ...flushes.map((f) => ({ f, seq: f.seq })),
  ];
  items.sort((x, y) => x.seq - y.seq);
  const played: { startMs: number; endMs: number; rms: number; runId: string | undefined }[] = [];
  let head = Number.NEGATIVE_INFINITY;
  for (const item of items) {
    if ('a' in item) {
      const startMs = Math.max(item.a.at, head);
      head = startMs + item.a.ms;
      played.push({ startMs, endMs: head, rms: item.a.rms, runId: item.a.runId });
      continue;
    }
    const at = item.f.at;
    // What had not started by the flush is dropped; what was playing stops there.
    for (let i = played.length - 1; i >= 0; i--) {
      const p = played[i];
      if (p === undefined || p.endMs <= at) break;
      if (p.startMs >= at) played.splice(i, 1);
      else p.endMs = at;
    }
    head = Math.min(head, at);
  }
  return played;
}

/** The audible stretches of one run, merged where they touch (within 1 ms). */
export function audibleSpans(
  played: readonly Played[],
  runId: string | undefined,
): { startMs: number; endMs: number }[] {
  const spans: { startMs: number; endMs: number }[] = [];
  for (const p of played) {
    if (p.runId !== runId || p.rms < AUDIBLE_RMS) continue;
    const last = spans[spans.length - 1];
    if (last !== undefined && p.startMs <= last.endMs + 1)
      last.endMs = Math.max(last.endMs, p.endMs);
    else spans.push({ startMs: p.startMs, endMs: p.endMs });
  }
  return spans;
}

/**
 * The longest silence inside one run's audio after `fromMs` — audio both
 * before and after it, so a pause the run came back from — ms (0 if none).
 */
export function longestGapMs(
  played: readonly Played[],
  runId: string | undefined,
  fromMs: number,
): number {
  const spans = audibleSpans(played, runId);
  let longest = 0;
  for (let i = 1; i < spans.length; i++) {
    const before = spans[i - 1];
    const after = spans[i];
    if (before === undefined || after === undefined || before.endMs < fromMs) continue;
    longest = Math.max(longest, after.startMs - before.endMs);
  }
  return longest;
}

/**
 * How far one run's audible level fell after `fromMs` below its median before,
 * dB (≤ 0; 0 if it did not fall or there is nothing to compare).
 */
export function duckingDb(
  played: readonly Played[],
  runId: string | undefined,
  fromMs: number,
): number {
  const mine = played.filter((p) => p.runId === runId && p.rms >= AUDIBLE_RMS);
  const before = mine.filter((p) => p.endMs <= fromMs).map((p) => p.rms);
  const after = mine.filter((p) => p.startMs >= fromMs).map((p) => p.rms);
  if (before.length === 0 || after.length === 0) return 0;
  before.sort((a, b) => a - b);
  const median = before[Math.floor(before.length / 2)] ?? 0;
  return Math.min(0, 20 * Math.log10(Math.min(...after) / median));
}
