/**
 * Caller speech over the bot. While it is judged the output is ducked, never
 * stopped. It is a barge-in — one path for every source — when it has a word
 * that is not an acknowledgement ("hold on"), or lasts `sustainedSpeechMs`, or
 * the client asks (`interrupt`, a typed turn): the run is cancelled and its
 * output flushed at once. An acknowledgement ("uh huh", "got it") or noise
 * keeps the floor with the bot, which never paused: an explicit
 * `interrupt.false_resumed` says so.
 */
import { wordCount } from '../heard.js';
import type { StepBuilder } from '../step-builder.js';
import { createBackchannelSet } from '../turn-taking/backchannel.js';
import type { BackchannelSet } from '../turn-taking/backchannel.js';
import { finalizeAsr, onSpeechEnded } from './endpointing.js';
import { cancelRun } from './turn-end.js';

/** Whether caller speech may interrupt the bot at all (`session.interrupt_enabled`). */
function interruptible(b: StepBuilder): boolean {
  return b.m.settings.interruptEnabled;
}

const matchers = new WeakMap<readonly string[], BackchannelSet>();

/** The session's acknowledgement matcher (compiled once per phrase list). */
function backchannels(b: StepBuilder): BackchannelSet {
  const phrases = b.m.settings.interruption.backchannels;
  let set = matchers.get(phrases);
  if (set === undefined) {
    set = createBackchannelSet(phrases);
    matchers.set(phrases, set);
  }
  return set;
}

/** Speech began while the bot thinks or speaks (a committed run): judge it. */
export function startOverlap(b: StepBuilder, lagMs: number): void {
  const run = b.m.run;
  if (run === null || (b.state !== 'Speaking' && b.state !== 'Thinking')) return;
  const policy = b.m.settings.interruption;
  const ducked = b.state === 'Speaking' && b.m.settings.interruptEnabled && policy.duckGain < 1;
  b.m.interruption = {
    runId: run.id,
    from: b.state,
    startedAt: b.ctx.now - lagMs,
    speechConfirmed: policy.minSpeechMs <= lagMs,
    speechEnded: false,
    ducked,
    decided: null,
  };
  if (ducked) b.cmd({ type: 'duck_output', gain: policy.duckGain });
  if (!interruptible(b)) return;
  if (policy.minSpeechMs > lagMs) b.arm('interrupt_confirm', policy.minSpeechMs - lagMs);
  if (policy.sustainedSpeechMs > 0) {
    b.arm('barge_in_sustain', Math.max(0, policy.sustainedSpeechMs - lagMs));
  }
}

/** Words arrived (partial or final) while the caller still speaks over the bot. */
export function judgeOverlap(b: StepBuilder): void {
  const i = b.m.interruption;
  if (i === null || i.decided !== null || !i.speechConfirmed || !interruptible(b)) return;
  const s = b.m.speech;
  const text = [...s.finals, s.partial].join(' ').trim();
  if (isBargeInText(b, text, false)) decideBargeIn(b, 'barge_in');
}

/** Whether words interrupt: enough of them, and not (the beginning of) an acknowledgement. */
function isBargeInText(b: StepBuilder, text: string, complete: boolean): boolean {
  const words = wordCount(text);
  if (words === 0 || words < Math.max(1, b.m.settings.interruption.minWords)) return false;
  const set = backchannels(b);
  return complete ? !set.isBackchannel(text) : !set.mayBeBackchannel(text);
}

/** Voiced time reached `minSpeechMs`. */
export function onInterruptConfirm(b: StepBuilder): void {
  const i = b.m.interruption;
  if (i === null || i.decided !== null) return;
  i.speechConfirmed = true;
  judgeOverlap(b);
}

/** The caller has spoken over the bot for `sustainedSpeechMs`: that is not an acknowledgement. */
export function onSustainedSpeech(b: StepBuilder): void {
  const i = b.m.interruption;
  if (i === null || i.decided !== null || i.speechEnded || !interruptible(b)) return;
  decideBargeIn(b, 'barge_in');
}

/** The overlapping speech ended: its final transcript decides. */
export function onOverlapSpeechEnded(b: StepBuilder): void {
  const i = b.m.interruption;
  if (i === null || i.decided !== null) return;
  i.speechEnded = true;
  b.cancel('interrupt_confirm');
  b.cancel('barge_in_sustain');
  finalizeAsr(b);
  if (b.m.speech.finalizing) {
    b.arm('false_interruption', b.m.settings.interruption.falseInterruptionTimeoutMs);
  } else {
    resolveOverlapWords(b);
  }
}

/** A final transcript while speech over the bot is judged. */
export function onOverlapFinal(b: StepBuilder, wasFinalizing: boolean): void {
  const i = b.m.interruption;
  if (i === null || i.decided !== null) return;
  if (!i.speechEnded) {
    judgeOverlap(b); // a streaming ASR's final of one segment: the speech goes on
    return;
  }
  if (wasFinalizing) resolveOverlapWords(b);
}

function resolveOverlapWords(b: StepBuilder): void {
  b.cancel('false_interruption');
  const text = b.m.speech.finals.join(' ').trim();
  // Short but clear ("stop", "no wait") interrupts even under minSpeechMs.
  if (interruptible(b) && isBargeInText(b, text, true)) {
    decideBargeIn(b, 'barge_in');
    return;
  }
  rejectOverlap(b, wordCount(text) > 0 ? 'backchannel' : 'noise');
}

/** No final came in time after the overlapping speech: it was noise. */
export function onFalseInterruption(b: StepBuilder): void {
  const i = b.m.interruption;
  if (i === null || i.decided !== null || !i.speechEnded) return;
  // The final, if it still comes, belongs to speech already judged.
  if (b.m.speech.finalizing) b.m.speech.discardNext = true;
  rejectOverlap(b, 'noise');
}

/** The overlap keeps the floor with the bot: full level again, and said so. */
function rejectOverlap(
  b: StepBuilder,
  reason: 'backchannel' | 'noise' | 'interrupt_disabled',
): void {
  const i = b.m.interruption;
  if (i === null) return;
  const policy = b.m.settings.interruption;
  if (
    reason === 'noise' &&
    !policy.resumeFalseInterruptions &&
    i.speechConfirmed &&
    interruptible(b)
  ) {
    decideBargeIn(b, 'barge_in');
    return;
  }
  clearOverlap(b);
  const s = b.m.speech;
  s.finals = [];
  s.partial = '';
  const playing = b.m.run?.segments.find((seg) => !seg.played && seg.durationMs > 0);
  b.emit('prx.voice.interrupt.false_resumed', {
    ...(playing === undefined ? {} : { segment_id: playing.id }),
    resume_at_ms: playing?.playedMs ?? 0,
    waited_ms: 0,
    reason: interruptible(b) ? reason : 'interrupt_disabled',
    overlap_ms: b.ctx.now - i.startedAt,
  });
}

/** Forgets an undecided overlap: its timers stop and the output is at full level again. */
export function clearOverlap(b: StepBuilder): void {
  const i = b.m.interruption;
  if (i === null) return;
  b.cancel('interrupt_confirm');
  b.cancel('barge_in_sustain');
  b.cancel('false_interruption');
  if (i.ducked) b.cmd({ type: 'duck_output', gain: 1 });
  b.m.interruption = null;
}

/**
 * The one barge-in path (caller speech, client `interrupt`, a typed turn):
 * the run's output is flushed and the run cancelled now; the flush report
 * tells the story — `playback.flushed` first, then `interrupt.issued` and
 * `interrupt.resolved` with what was heard — and completes the turn.
 */
export function decideBargeIn(b: StepBuilder, source: 'barge_in' | 'client'): void {
  const run = b.m.run;
  if (run === null || run.speculative) return;
  const i = b.m.interruption;
  if (source === 'barge_in' && i !== null && i.startedAt < (run.firstAudioSentAt ?? Infinity)) {
    reopenTurn(b);
    return;
  }
  b.cancel('interrupt_confirm');
  b.cancel('barge_in_sustain');
  b.cancel('false_interruption');
  b.m.interruption = {
    runId: run.id,
    from: b.state === 'Thinking' ? 'Thinking' : 'Speaking',
    startedAt: i?.startedAt ?? b.ctx.now,
    speechConfirmed: true,
    speechEnded: i?.speechEnded ?? true,
    ducked: false,
    decided: source,
  };
  cancelRun(b, 'interrupted');
  if (i?.ducked === true) b.cmd({ type: 'duck_output', gain: 1 });
}

/**
 * The caller went on before the answer reached them (their speech began before
 * its first audio went out): not an interruption but the same turn continuing.
 * The run is dropped quietly, its turn reopened; the new words join the old
 * ones and the whole utterance gets one answer.
 */
function reopenTurn(b: StepBuilder): void {
  const run = b.m.run;
  const turn = b.m.turn;
  if (run === null || turn === null || turn.id !== run.turnId) return;
  clearOverlap(b);
  b.m.run = null;
  b.m.turn = null;
  b.m.cancelling.push({ run, turn: null, status: 'cancelled' });
  b.cmd({ type: 'flush_output', runId: run.id });
  b.cmd({ type: 'cancel_run', runId: run.id, keepTools: false });
  // Back to before the turn's words (and the tool round the dropped run may have added).
  const at = b.m.conversation.findLastIndex(
    (m) => m.role === 'user' && m.content === turn.userText,
  );
  if (at >= 0) b.m.conversation.splice(at);
  b.m.reopened = { turn, run };
  const s = b.m.speech;
  s.finals = [turn.userText, ...s.finals];
  if (turn.speechStartAt !== null) s.startAt = turn.speechStartAt;
  b.fire({ type: 'INTERRUPT_DETECTED' });
  b.fire({ type: 'INTERRUPT_RESOLVED', outcome: 'barge_in', userSpeaking: true });
  // The caller already stopped: judge the end of the (longer) turn when its final is in.
  if (!s.active) onSpeechEnded(b);
}
