/**
 * What one clip session means for turn-taking, from the client's point of view:
 * the clip's truth (where its speech lies, its words) against the events and the
 * audio that arrived, all on the sent-audio clock.
 */
import type { ArrivedEvent, SessionLog } from './clip-session.js';
import type { Clip, ClipKind } from './corpus.js';
import type { Span } from './pcm.js';
import { audibleSpans, duckingDb, longestGapMs, simulatePlayback } from './playback.js';

/** A bot that keeps talking this long after a barge-in's speech start missed it, ms. */
export const BARGE_IN_STOP_MS = 1500;

/** The figures of one clip on one VAD; `null` where they do not apply or did not happen. */
export interface ClipOutcome {
  readonly clipId: string;
  readonly kind: ClipKind;
  readonly level: string;
  readonly vad: string;
  readonly failure: string | null;
  /** A `vad_started` at or after the clip's start (within 500 ms before it: pre-roll). */
  readonly vadStarted: boolean;
  /** Parts of the clip (two for a hesitation) that a VAD speech segment overlaps. */
  readonly partsHeard: number;
  /** Hesitation: one VAD segment spans both halves (the mock ASR then gives it the first text only). */
  readonly merged: boolean | null;
  /** `vad_started` before the clip (the noise bed or earlier audio), count. */
  readonly vadStartsBeforeClip: number;
  /** User turns (`turn.completed`) after the clip started, their user text. */
  readonly userTurns: readonly string[];
  /** Utterance kinds: a turn containing all the clip's words (and a `vad_started`). */
  readonly heard: boolean | null;
  /** Hesitation: bot audio before the second half ended, or two user turns. */
  readonly premature: boolean | null;
  /** Speech end → the last transcript final before the answer's first audio, ms. */
  readonly eosToFinalMs: number | null;
  /** Speech end → first bot audio frame received, ms. */
  readonly eosToAudioMs: number | null;
  /** Overlaps: `interrupt.issued` after the clip started. */
  readonly interruptIssued: boolean | null;
  /** Overlaps: the bot's run was cancelled (`interrupt.issued` or an interrupted `turn.completed`). */
  readonly cancelled: boolean | null;
  /** Overlaps: `interrupt.false_resumed` arrived. */
  readonly falseResumed: boolean | null;
  /** Barge-in: speech start → the bot's audio last heard (the client's playback), ms. */
  readonly stopMs: number | null;
  /** Barge-in: no `interrupt.issued`, or the bot still heard {@link BARGE_IN_STOP_MS} after speech start. */
  readonly missedBargeIn: boolean | null;
  /** Barge-in: speech start → `interrupt.issued` arrival, ms. */
  readonly detectMs: number | null;
  /** Barge-in: `interrupt.issued` arrival → last frame of the interrupted run received after it, ms (0: none). */
  readonly silenceMs: number | null;
  /** Barge-in: `playback.flushed` arrived before any audio of a newer run (null: no newer run's audio). */
  readonly flushedFirst: boolean | null;
  /** Overlaps: longest silence inside the bot's run after the clip started, with audio after it, ms. */
  readonly longestGapMs: number | null;
  /** Overlaps: how far the bot's level fell after the clip started, dB (≤ 0). */
  readonly duckDb: number | null;
  /** `prx.voice.adapter.fallback` events (a VAD falling back would measure the wrong VAD). */
  readonly fallbacks: number;
}

/** Lower case, letters, digits and apostrophes only, single spaces. */
export function normalizeWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9']+/g, ' ')
    .trim();
}

const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The VAD's speech segments from `vad_started`/`vad_ended` `at_ms` (one still open ends at +∞). */
function vadSegments(events: readonly ArrivedEvent[]): { startMs: number; endMs: number }[] {
  const segments: { startMs: number; endMs: number }[] = [];
  for (const e of events) {
    if (e.type === 'prx.voice.media.vad_started') {
      segments.push({ startMs: Number(e.data['at_ms']), endMs: Number.POSITIVE_INFINITY });
    } else if (e.type === 'prx.voice.media.vad_ended') {
      const open = segments[segments.length - 1];
      if (open !== undefined && open.endMs === Number.POSITIVE_INFINITY) {
        open.endMs = Number(e.data['at_ms']);
      }
    }
  }
  return segments;
}

const first = (
  events: readonly ArrivedEvent[],
  type: string,
  from: number,
): ArrivedEvent | undefined => events.find((e) => e.type === type && e.at >= from);

function utteranceFigures(clip: Clip, log: SessionLog, offset: number) {
  const { events, audio } = log;
  const speechStart = offset + clip.sound.startMs;
  const speechEnd = offset + clip.sound.endMs;
  const turns = events.filter((e) => e.type === 'prx.voice.turn.completed' && e.at >= offset);
  const userTurns = turns.map((t) => textOf(t.data['user_text'])).filter((t) => t !== '');
  const wanted = normalizeWords(clip.words.join(' '));
  const vadStarted = events.some(
    (e) => e.type === 'prx.voice.media.vad_started' && Number(e.data['at_ms']) >= offset - 500,
  );
  const heard = vadStarted && userTurns.some((t) => normalizeWords(t).includes(wanted));
  const segments = vadSegments(events);
  const over = (part: Span) => (seg: { startMs: number; endMs: number }) =>
    seg.startMs < offset + part.endMs && seg.endMs > offset + part.startMs;
  const partsHeard = clip.parts.filter((part) => segments.some(over(part))).length;
  const [a, b] = clip.parts;
  const merged =
    clip.kind === 'hesitation' && a !== undefined && b !== undefined
      ? segments.some((seg) => over(a)(seg) && over(b)(seg))
      : null;
  const botAudio = audio.find((f) => f.at >= speechStart);
  let premature: boolean | null = null;
  if (clip.kind === 'hesitation') {
    // Answered early: audio before the second half ended, or the halves as two turns. (Not
    // the turn's text: the mock ASR gives an utterance spanning both halves the first text.)
    const secondEnd = offset + (clip.parts[1]?.endMs ?? clip.sound.endMs);
    premature = (botAudio !== undefined && botAudio.at < secondEnd) || userTurns.length >= 2;
  }
  // The final that ended the turn: the last before the answer's first audio (or the last at all).
  const finals = events.filter(
    (e) =>
      e.type === 'prx.voice.asr.transcript_final' &&
      e.at >= speechStart &&
      (botAudio === undefined || e.seq < botAudio.seq),
  );
  const committing = finals[finals.length - 1];
  // Timed when answered as one turn (a hesitation's text may be the mock's first half only, see above).
  const oneTurn = clip.kind === 'hesitation' ? userTurns.length === 1 && partsHeard === 2 : heard;
  const timed = oneTurn && premature !== true;
  return {
    vadStarted,
    partsHeard,
    merged,
    userTurns,
    heard,
    premature,
    eosToFinalMs: timed && committing !== undefined ? committing.at - speechEnd : null,
    eosToAudioMs: timed && botAudio !== undefined ? botAudio.at - speechEnd : null,
  };
}

function overlapFigures(clip: Clip, log: SessionLog, offset: number) {
  const { events, audio } = log;
  const speechStart = offset + clip.sound.startMs;
  // The bot's run at the clip's start: that of the last frame received before it.
  const botRun = audio.filter((a) => a.at < offset).pop()?.runId;
  const played = simulatePlayback(audio, events);
  const interrupt = first(events, 'prx.voice.interrupt.issued', offset);
  const interruptedTurn = events.some(
    (e) =>
      e.type === 'prx.voice.turn.completed' && e.at >= offset && e.data['interrupted'] === true,
  );
  const common = {
    interruptIssued: interrupt !== undefined,
    cancelled: interrupt !== undefined || interruptedTurn,
    falseResumed: first(events, 'prx.voice.interrupt.false_resumed', offset) !== undefined,
    longestGapMs: longestGapMs(played, botRun, offset),
    duckDb: duckingDb(played, botRun, offset),
  };
  if (clip.kind !== 'barge_in') {
    return {
      ...common,
      stopMs: null,
      missedBargeIn: null,
      detectMs: null,
      silenceMs: null,
      flushedFirst: null,
    };
  }
  const heardUntil = audibleSpans(played, botRun).pop()?.endMs;
  const stopMs = heardUntil === undefined ? null : Math.max(0, heardUntil - speechStart);
  let silenceMs: number | null = null;
  let flushedFirst: boolean | null = null;
  if (interrupt !== undefined) {
    const late = audio.filter((a) => a.seq > interrupt.seq && a.runId === botRun).pop();
    silenceMs = late === undefined ? 0 : late.at - interrupt.at;
    const newer = audio.find((a) => a.seq > interrupt.seq && a.runId !== botRun);
    if (newer !== undefined) {
      flushedFirst = events.some(
        (e) => e.type === 'prx.voice.playback.flushed' && e.at >= offset && e.seq < newer.seq,
      );
    }
  }
  return {
    ...common,
    stopMs,
    missedBargeIn: interrupt === undefined || stopMs === null || stopMs > BARGE_IN_STOP_MS,
    detectMs: interrupt === undefined ? null : interrupt.at - speechStart,
    silenceMs,
    flushedFirst,
  };
}

/** Scores one clip session. */
export function scoreClip(clip: Clip, log: SessionLog): ClipOutcome {
  const offset = log.clipOffsetMs;
  const overlap = clip.kind === 'barge_in' || clip.kind === 'backchannel' || clip.kind === 'noise';
  const base = {
    clipId: clip.id,
    kind: clip.kind,
    level: clip.level,
    vad: log.vad,
    failure: log.failure ?? null,
    fallbacks: log.events.filter((e) => e.type === 'prx.voice.adapter.fallback').length,
    vadStartsBeforeClip: log.events.filter(
      (e) =>
        e.type === 'prx.voice.media.vad_started' &&
        (offset === undefined || Number(e.data['at_ms']) < offset - 500),
    ).length,
  };
  const none = {
    vadStarted: false,
    partsHeard: 0,
    merged: null,
    userTurns: [],
    heard: null,
    premature: null,
    eosToFinalMs: null,
    eosToAudioMs: null,
    interruptIssued: null,
    cancelled: null,
    falseResumed: null,
    stopMs: null,
    missedBargeIn: null,
    detectMs: null,
    silenceMs: null,
    flushedFirst: null,
    longestGapMs: null,
    duckDb: null,
  };
  if (offset === undefined) return { ...base, ...none };
  if (!overlap) return { ...base, ...none, ...utteranceFigures(clip, log, offset) };
  const vadStarted = log.events.some(
    (e) => e.type === 'prx.voice.media.vad_started' && Number(e.data['at_ms']) >= offset - 500,
  );
  const userTurns = log.events
    .filter(
      (e) =>
        e.type === 'prx.voice.turn.completed' && e.at >= offset && e.data['interrupted'] !== true,
    )
    .map((t) => textOf(t.data['user_text']));
  return { ...base, ...none, vadStarted, userTurns, ...overlapFigures(clip, log, offset) };
}
