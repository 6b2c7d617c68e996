/**
 * Endpointing: deciding that the caller has finished. When the VAD reports
 * silence, the ASR is asked for the transcript at once; the turn ends once the
 * silence — counted from the VAD's own silence start — has lasted as long as
 * the words call for: `minDelayMs` (raised to the caller's own pause length)
 * when they sound finished, `maxDelayMs` when they trail off ("to the", "and",
 * a number being dictated). Meanwhile the agent may start speculatively: its
 * audio is held until the turn is committed, and if the caller goes on first
 * it is cancelled quietly and the speech merges into the same turn.
 */
import type { RunModel, TurnId } from '../model.js';
import type { StepBuilder } from '../step-builder.js';
import { judgeCompleteness } from '../turn-taking/completeness.js';
import { commitTurn, newRun, requestTurn, startAgent, startToolRound } from './run.js';
import { cancelRun, maybeFinish } from './turn-end.js';

/** Weight of the newest pause in the caller's smoothed pause length. */
const PAUSE_SMOOTHING = 0.3;
/** A learned pause raises the wait after finished-sounding words to this multiple of it. */
const PAUSE_MARGIN = 1.3;

/** Where the current utterance lies on the input audio's timeline. */
export function utteranceSpan(b: StepBuilder): { start_ms: number; end_ms: number } {
  const s = b.m.speech;
  const end = s.endMs ?? s.startMs + Math.max(0, b.ctx.now - (s.startAt ?? b.ctx.now));
  return { start_ms: s.startMs, end_ms: Math.max(s.startMs, end) };
}

/** Asks the ASR for the final of what it heard since the last one. */
export function finalizeAsr(b: StepBuilder): void {
  const s = b.m.speech;
  if (!s.heard) return;
  s.heard = false;
  s.finalizing = true;
  b.cmd({ type: 'asr_finalize' });
}

/** The caller fell silent (UserSpeaking): ask for the transcript and judge the end of turn when it comes. */
export function onSpeechEnded(b: StepBuilder): void {
  if (!b.fire({ type: 'VAD_ENDED' })) return;
  finalizeAsr(b);
  if (!b.m.speech.finalizing) judgeEndOfTurn(b);
}

/** The utterance hit its maximum length: end it now, and commit as soon as its final comes. */
export function forceEndOfUtterance(b: StepBuilder): void {
  const s = b.m.speech;
  s.active = false;
  s.silenceAt ??= b.ctx.now;
  s.commitOnFinal = true;
  onSpeechEnded(b);
}

/** The silence an utterance needs before its turn is over, ms. */
export function requiredSilenceMs(b: StepBuilder, text: string): number {
  const { minDelayMs, maxDelayMs, model } = b.m.settings.endpointing;
  const eot = b.m.speech.endOfTurn;
  const unfinished =
    model !== undefined && eot?.text === text && eot.probability !== null
      ? eot.probability < model.threshold
      : judgeCompleteness(text, b.m.settings.info.language) === 'incomplete';
  if (unfinished) return maxDelayMs;
  const learned = b.m.speech.pauseEstimateMs * PAUSE_MARGIN;
  return Math.min(maxDelayMs, Math.max(minDelayMs, learned));
}

/** In AsrProcessing with the final in hand: commit now, or wait (speculating) for the rest of the silence. */
export function judgeEndOfTurn(b: StepBuilder): void {
  const s = b.m.speech;
  if (b.state !== 'AsrProcessing' || s.finalizing) return;
  const text = s.finals.join(' ').trim();
  if (text === '' || s.commitOnFinal) return commitUtterance(b);
  const elapsed = b.ctx.now - (s.silenceAt ?? b.ctx.now);
  const wait = requiredSilenceMs(b, text) - elapsed;
  if (wait <= 0) return commitUtterance(b);
  if (b.m.settings.endpointing.speculative) startSpeculative(b, text);
  b.arm('endpoint', wait);
  if (b.m.settings.endpointing.model !== undefined && s.endOfTurn?.text !== text) {
    s.endOfTurn = { text, probability: null };
    b.cmd({ type: 'predict_end_of_turn', text, context: b.m.conversation.slice(-6) });
  }
}

/** The end-of-turn model answered: the wait is judged again with its verdict. */
export function onEndOfTurnPrediction(b: StepBuilder, text: string, probability: number): void {
  const s = b.m.speech;
  if (s.endOfTurn?.text !== text || !Number.isFinite(probability)) return; // stale
  s.endOfTurn = { text, probability: Math.min(1, Math.max(0, probability)) };
  if (b.state === 'AsrProcessing' && b.m.timers.endpoint !== undefined) {
    b.cancel('endpoint');
    judgeEndOfTurn(b);
  }
}

/** The endpoint delay passed in silence. */
export function onEndpoint(b: StepBuilder): void {
  if (b.state === 'AsrProcessing' && !b.m.speech.finalizing) commitUtterance(b);
}

/** The caller spoke again before the end of turn (AsrProcessing): the same utterance goes on. */
export function onCallerResumed(b: StepBuilder, atMs: number): void {
  const s = b.m.speech;
  // Only a pause after words that sounded finished says how long this caller pauses mid-thought.
  const soundedDone =
    judgeCompleteness(s.finals.join(' '), b.m.settings.info.language) === 'complete';
  if (s.endMs !== null && soundedDone) {
    const pause = Math.max(0, atMs - s.endMs);
    s.pauseEstimateMs =
      s.pauseEstimateMs === 0
        ? pause
        : s.pauseEstimateMs * (1 - PAUSE_SMOOTHING) + pause * PAUSE_SMOOTHING;
  }
  b.cancel('endpoint');
  cancelSpeculative(b);
  s.active = true;
  s.heard = true;
  s.silenceAt = null;
  s.endMs = null;
  b.fire({ type: 'VAD_STARTED' });
}

/** Starts the agent on the words so far, its audio held until the turn is committed. */
function startSpeculative(b: StepBuilder, text: string): void {
  const current = b.m.run;
  if (current !== null) {
    if (current.speculative && current.userText === text) return;
    cancelSpeculative(b);
  }
  if (b.m.cancelling.length > 0 || b.m.pendingTurn !== null) return;
  const run = newRun(b, {
    turnId: b.m.reopened?.turn.id ?? (b.ctx.newId('turn') as TurnId),
    userText: text,
    speculative: true,
  });
  b.m.run = run;
  b.cmd({ type: 'pause_output' });
  startAgent(b, run, [...b.m.conversation, { role: 'user', content: text }]);
}

/** Drops a speculative run without a trace in the conversation (nothing of it was heard). */
export function cancelSpeculative(b: StepBuilder): void {
  if (b.m.run?.speculative === true) cancelRun(b, 'cancelled');
}

/** Commits the caller's utterance: a turn with its words, or an explicit rejection when it has none. */
export function commitUtterance(b: StepBuilder): void {
  const s = b.m.speech;
  const text = s.finals.join(' ').trim();
  const span = utteranceSpan(b);
  s.finals = [];
  s.partial = '';
  s.commitOnFinal = false;
  b.cancel('endpoint');
  if (text === '') {
    cancelSpeculative(b);
    // Speech the VAD reported, without words: said so, never dropped silently.
    b.emit('prx.voice.asr.transcript_final', { text: '', ...span });
    b.fire({ type: 'TRANSCRIPT_FINAL', empty: true });
    return;
  }
  const turn = {
    input: 'voice' as const,
    text,
    speechStartAt: s.startAt ?? null,
    speechEndAt: s.silenceAt,
    finalAt: s.finalAt ?? b.ctx.now,
  };
  const run = b.m.run;
  if (run?.speculative === true && run.userText === text && b.m.cancelling.length === 0) {
    adoptSpeculative(b, run, turn);
    return;
  }
  cancelSpeculative(b);
  requestTurn(b, turn);
}

/** The speculative run answered exactly these words: it becomes the turn's run, and speaks. */
function adoptSpeculative(
  b: StepBuilder,
  run: RunModel,
  t: Parameters<typeof requestTurn>[1],
): void {
  if (!b.fire({ type: 'TRANSCRIPT_FINAL', empty: false })) return;
  run.speculative = false;
  commitTurn(b, run.turnId, t);
  b.cmd({ type: 'resume_output' });
  if (run.toolsHeld) startToolRound(b, run);
  if (run.firstAudioAt !== null) b.fire({ type: 'AGENT_RESPONSE_START' });
  maybeFinish(b, run);
}
