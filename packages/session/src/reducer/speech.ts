/**
 * The caller's side, as VAD and ASR report it: each utterance starts in
 * Listening (a new turn), in AsrProcessing (the caller went on: the same
 * turn) or over the bot (judged in `barge-in.ts`), and ends as a turn, a
 * merge or an explicit rejection — never silently.
 */
import type { SessionInput } from '../model.js';
import type { StepBuilder } from '../step-builder.js';
import { judgeOverlap, onOverlapFinal, onOverlapSpeechEnded, startOverlap } from './barge-in.js';
import {
  commitUtterance,
  judgeEndOfTurn,
  onCallerResumed,
  onSpeechEnded,
  utteranceSpan,
} from './endpointing.js';

type VadStart = Extract<SessionInput, { type: 'vad_start' }>;
type VadEnd = Extract<SessionInput, { type: 'vad_end' }>;

/** How long after the speech start or silence start the VAD reported it, ms of audio. */
const lagOf = (input: VadStart | VadEnd): number =>
  Math.max(0, (input.detectedAtMs ?? input.atMs) - input.atMs);

/** A new utterance begins at `atMs` of the input audio. */
function beginUtterance(b: StepBuilder, input: VadStart): void {
  const s = b.m.speech;
  s.active = true;
  s.heard = true;
  s.finals = [];
  s.partial = '';
  s.endedAt = null;
  s.silenceAt = null;
  s.finalAt = null;
  s.commitOnFinal = false;
  s.endOfTurn = null;
  s.startAt = b.ctx.now - lagOf(input);
  s.startMs = input.atMs;
  s.endMs = null;
}

/** Speech started (VAD). */
export function onVadStart(b: StepBuilder, input: VadStart): void {
  const s = b.m.speech;
  b.emit('prx.voice.media.vad_started', {
    at_ms: input.atMs,
    ...(input.probability === undefined ? {} : { probability: input.probability }),
  });
  switch (b.state) {
    case 'Listening':
      beginUtterance(b, input);
      b.fire({ type: 'VAD_STARTED' });
      return;
    case 'AsrProcessing':
      onCallerResumed(b, input.atMs);
      return;
    case 'Thinking':
    case 'Speaking':
      if (b.m.interruption?.decided != null) {
        // The barge-in is decided; this speech is the next turn's.
        s.active = true;
        s.heard = true;
        return;
      }
      if (b.m.interruption !== null) {
        // The VAD saw a gap inside the overlapping speech: it goes on.
        b.m.interruption.speechEnded = false;
        b.cancel('false_interruption');
        s.active = true;
        s.heard = true;
        return;
      }
      beginUtterance(b, input);
      startOverlap(b, lagOf(input));
      return;
    case 'UserSpeaking':
    case 'Interrupted':
      s.active = true;
      s.heard = true;
      return;
    case 'Idle':
    case 'Connecting':
    case 'Paused':
    case 'HandoffPending':
    case 'Closed':
    case 'Failed':
      return;
  }
}

/** Speech ended (VAD): the silence began at `atMs`. */
export function onVadEnd(b: StepBuilder, input: VadEnd): void {
  const s = b.m.speech;
  b.emit('prx.voice.media.vad_ended', { at_ms: input.atMs, speech_ms: input.speechMs });
  if (!s.active) return;
  s.active = false;
  s.endMs = input.atMs;
  s.endedAt = b.ctx.now;
  s.silenceAt = b.ctx.now - lagOf(input);
  if (b.m.interruption !== null) {
    onOverlapSpeechEnded(b);
    return;
  }
  if (b.state === 'UserSpeaking') onSpeechEnded(b);
}

/** A partial transcript. */
export function onAsrPartial(b: StepBuilder, text: string): void {
  if (b.m.speech.discardNext === true) return;
  b.m.speech.partial = text;
  b.emit('prx.voice.asr.transcript_partial', { text, ...utteranceSpan(b) });
  judgeOverlap(b);
}

/** A final transcript (after finalize, exactly one; possibly empty). */
export function onAsrFinal(b: StepBuilder, text: string): void {
  const s = b.m.speech;
  if (s.discardNext === true && s.finalizing) {
    // The final of speech already judged (noise over the bot, speech before a pause).
    s.discardNext = false;
    s.finalizing = false;
    return;
  }
  const trimmed = text.trim();
  if (trimmed !== '') {
    s.finals.push(trimmed);
    s.finalAt = b.ctx.now;
    b.emit('prx.voice.asr.transcript_final', { text: trimmed, ...utteranceSpan(b) });
  }
  s.partial = '';
  const wasFinalizing = s.finalizing;
  s.finalizing = false;
  const i = b.m.interruption;
  if (i !== null) {
    if (i.decided === null) onOverlapFinal(b, wasFinalizing);
    return; // a decided barge-in's words are picked up when its flush is reported
  }
  if (b.state === 'AsrProcessing') {
    judgeEndOfTurn(b);
    return;
  }
  if (b.state === 'Listening' && trimmed !== '' && !s.active) {
    // Words the VAD did not report as speech: still the caller's turn.
    s.startAt = b.ctx.now;
    s.silenceAt = b.ctx.now;
    commitUtterance(b);
  }
}
