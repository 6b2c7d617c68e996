/**
 * The caller's side of a turn: VAD, ASR, endpointing and barge-in.
 */
import { wordCount } from './heard.js';
import { cancelRun, startTurn } from './reducer-run.js';
import type { StepBuilder } from './step-builder.js';

/** Weight of the newest pause in the caller's smoothed pause length. */
const PAUSE_SMOOTHING = 0.3;

/** Where the current utterance lies on the input audio's timeline. */
function span(b: StepBuilder): { start_ms: number; end_ms: number } {
  const s = b.m.speech;
  const end = s.endMs ?? s.startMs + Math.max(0, b.ctx.now - (s.startAt ?? b.ctx.now));
  return { start_ms: s.startMs, end_ms: Math.max(s.startMs, end) };
}

/** Speech started (VAD). */
export function onVadStart(b: StepBuilder, atMs: number, probability?: number): void {
  const s = b.m.speech;
  b.emit('prx.voice.media.vad_started', {
    at_ms: atMs,
    ...(probability === undefined ? {} : { probability }),
  });
  switch (b.state) {
    case 'Listening':
      s.active = true;
      s.heard = true;
      s.finals = [];
      s.partial = '';
      s.endedAt = null;
      s.startAt = b.ctx.now;
      s.startMs = atMs;
      s.endMs = null;
      b.fire({ type: 'VAD_STARTED' });
      return;
    case 'UserSpeaking':
      // The caller resumed within the endpoint window: one utterance, and a pause to learn from.
      if (s.endedAt !== null) {
        const pause = b.ctx.now - s.endedAt;
        s.pauseEstimateMs =
          s.pauseEstimateMs === 0
            ? pause
            : s.pauseEstimateMs * (1 - PAUSE_SMOOTHING) + pause * PAUSE_SMOOTHING;
      }
      b.cancel('endpoint');
      s.active = true;
      s.heard = true;
      s.endedAt = null;
      return;
    case 'Thinking':
    case 'Speaking':
      s.active = true;
      s.heard = true;
      s.finals = [];
      s.partial = '';
      s.endedAt = null;
      s.startAt = b.ctx.now;
      s.startMs = atMs;
      s.endMs = null;
      if (!b.m.settings.interruptEnabled || b.m.run === null) return;
      b.m.interruption = {
        runId: b.m.run.id,
        from: b.state,
        startedAt: b.ctx.now,
        speechConfirmed: false,
        speechEnded: false,
        words: 0,
        explicit: false,
      };
      b.arm('interrupt_confirm', b.m.settings.interruption.minSpeechMs);
      return;
    case 'AsrProcessing':
      // The caller went on after the endpoint: the same utterance continues.
      s.active = true;
      s.heard = true;
      s.endedAt = null;
      b.fire({ type: 'VAD_STARTED' });
      return;
    case 'Interrupted':
      s.active = true;
      s.heard = true;
      s.endedAt = null;
      if (b.m.interruption !== null) {
        b.m.interruption.speechEnded = false;
        b.cancel('false_interruption');
      }
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

/** Speech ended (VAD). */
export function onVadEnd(b: StepBuilder, atMs: number, speechMs: number): void {
  const s = b.m.speech;
  b.emit('prx.voice.media.vad_ended', { at_ms: atMs, speech_ms: speechMs });
  if (!s.active) return;
  s.active = false;
  s.endedAt = b.ctx.now;
  s.endMs = atMs;
  const i = b.m.interruption;
  if (i !== null) {
    i.speechEnded = true;
    if (!i.speechConfirmed) {
      // Too short to be an interruption (a cough, a click): the bot never stopped.
      b.m.interruption = null;
      b.cancel('interrupt_confirm');
      finalizeAsr(b);
      s.discardNext = true;
      return;
    }
    // Ask for the transcript now; without words the interruption was false.
    finalizeAsr(b);
    b.arm('false_interruption', b.m.settings.interruption.falseInterruptionTimeoutMs);
    return;
  }
  if (b.state === 'UserSpeaking') {
    const { minDelayMs, maxDelayMs } = b.m.settings.endpointing;
    const delay = Math.min(maxDelayMs, Math.max(minDelayMs, s.pauseEstimateMs * 1.5));
    b.arm('endpoint', delay);
  }
}

/** The endpoint delay passed without more speech: the caller's utterance is over. */
export function onEndpoint(b: StepBuilder): void {
  b.cancel('endpoint');
  if (!b.fire({ type: 'VAD_ENDED' })) return;
  if (b.m.speech.heard || b.m.speech.finalizing) {
    finalizeAsr(b);
    return;
  }
  commitUtterance(b);
}

function finalizeAsr(b: StepBuilder): void {
  const s = b.m.speech;
  if (!s.heard) return;
  s.heard = false;
  s.finalizing = true;
  b.cmd({ type: 'asr_finalize' });
}

/** A partial transcript. */
export function onAsrPartial(b: StepBuilder, text: string): void {
  if (b.m.speech.discardNext === true) return;
  b.m.speech.partial = text;
  b.emit('prx.voice.asr.transcript_partial', { text, ...span(b) });
  const i = b.m.interruption;
  if (i !== null) {
    i.words = Math.max(i.words, wordCount(text));
    maybeCommitBargeIn(b);
  }
}

/** A final transcript (after finalize, exactly one; possibly empty). */
export function onAsrFinal(b: StepBuilder, text: string): void {
  const s = b.m.speech;
  if (s.discardNext === true && s.finalizing) {
    // The final of noise that never became an interruption.
    s.discardNext = false;
    s.finalizing = false;
    return;
  }
  const trimmed = text.trim();
  if (trimmed !== '') {
    s.finals.push(trimmed);
    b.emit('prx.voice.asr.transcript_final', { text: trimmed, ...span(b) });
  }
  const wasFinalizing = s.finalizing;
  s.finalizing = false;
  const i = b.m.interruption;
  if (i !== null) {
    i.words = Math.max(i.words, wordCount(s.finals.join(' ')));
    if (maybeCommitBargeIn(b)) {
      if (!s.active) commitAfterBargeIn(b);
      return;
    }
    if (
      wasFinalizing &&
      i.speechEnded &&
      i.speechConfirmed &&
      wordCount(s.finals.join(' ')) === 0
    ) {
      resolveFalseInterruption(b);
    }
    return;
  }
  if (b.state === 'AsrProcessing' && wasFinalizing) commitUtterance(b);
}

/** Commits the caller's utterance: a turn with text, or back to listening. */
function commitUtterance(b: StepBuilder): void {
  const s = b.m.speech;
  const text = s.finals.join(' ').trim();
  s.finals = [];
  s.partial = '';
  if (text === '') {
    b.fire({ type: 'TRANSCRIPT_FINAL', empty: true });
    return;
  }
  if (!b.fire({ type: 'TRANSCRIPT_FINAL', empty: false })) return;
  startTurn(b, { input: 'voice', text, speechStartAt: s.startAt ?? null, speechEndAt: s.endedAt });
}

/** Speech has lasted long enough while the bot thinks or speaks. */
export function onInterruptConfirm(b: StepBuilder): void {
  const i = b.m.interruption;
  if (i === null) return;
  i.speechConfirmed = true;
  // The bot stops talking now; whether the run is cancelled depends on the words.
  if (b.fire({ type: 'INTERRUPT_DETECTED' })) {
    b.cmd({ type: 'pause_output' });
    b.emit('prx.voice.interrupt.issued', { reason: 'barge_in' });
  }
  maybeCommitBargeIn(b);
}

/** The caller interrupted explicitly (client `interrupt`, REST). */
export function onExplicitInterrupt(b: StepBuilder): void {
  const run = b.m.run;
  if (run === null || (b.state !== 'Speaking' && b.state !== 'Thinking')) {
    b.emit(
      'prx.voice.session.error',
      {
        code: 'SESSION_STATE_CONFLICT',
        message: `nothing to interrupt in ${b.state}`,
        retryable: false,
      },
      { severity: 'warn' },
    );
    return;
  }
  const from = b.state;
  b.m.interruption = {
    runId: run.id,
    from,
    startedAt: b.ctx.now,
    speechConfirmed: true,
    speechEnded: true,
    words: 0,
    explicit: true,
  };
  b.fire({ type: 'INTERRUPT_DETECTED', source: 'client' });
  b.emit('prx.voice.interrupt.issued', { reason: 'client' });
  bargeIn(b);
}

/** The false-interruption timeout passed without words. */
export function onFalseInterruption(b: StepBuilder): void {
  const i = b.m.interruption;
  if (i === null || !i.speechConfirmed) return;
  if (i.words >= Math.max(1, b.m.settings.interruption.minWords)) return;
  resolveFalseInterruption(b);
}

function resolveFalseInterruption(b: StepBuilder): void {
  const i = b.m.interruption;
  if (i === null) return;
  b.cancel('false_interruption');
  if (!b.m.settings.interruption.resumeFalseInterruptions) {
    bargeIn(b);
    return;
  }
  b.m.interruption = null;
  b.m.speech.finals = [];
  b.m.speech.partial = '';
  b.fire({ type: 'INTERRUPT_RESOLVED', outcome: 'false_interruption' });
  b.cmd({ type: 'resume_output' });
  const playing = b.m.run?.segments.find((seg) => !seg.played && seg.durationMs > 0);
  b.emit('prx.voice.interrupt.false_resumed', {
    ...(playing === undefined ? {} : { segment_id: playing.id }),
    resume_at_ms: playing?.playedMs ?? 0,
    waited_ms: b.ctx.now - i.startedAt,
  });
}

/** Cancels the run when the interruption has enough speech and words; returns whether it did. */
function maybeCommitBargeIn(b: StepBuilder): boolean {
  const i = b.m.interruption;
  if (i === null || !i.speechConfirmed) return false;
  const minWords = b.m.settings.interruption.minWords;
  if (minWords > 0 ? i.words < minWords : i.words < 1) return false;
  if (b.state !== 'Interrupted' && b.fire({ type: 'INTERRUPT_DETECTED' })) {
    b.cmd({ type: 'pause_output' });
    b.emit('prx.voice.interrupt.issued', { reason: 'barge_in' });
  }
  bargeIn(b);
  return true;
}

/** Barge-in: cancel the run, drop queued audio, keep only what was heard. */
function bargeIn(b: StepBuilder): void {
  const i = b.m.interruption;
  if (i === null) return;
  b.cancel('interrupt_confirm');
  b.cancel('false_interruption');
  const run = b.m.run;
  if (run !== null && run.id === i.runId) cancelRun(b, run.id, 'interrupted');
  // The flushed output is empty now; the next run's audio must flow again.
  b.cmd({ type: 'resume_output' });
  b.m.interruption = null;
  b.fire({ type: 'INTERRUPT_RESOLVED', outcome: 'barge_in', userSpeaking: b.m.speech.active });
}

/** After a barge-in whose speech already ended with words: that speech is the next turn. */
function commitAfterBargeIn(b: StepBuilder): void {
  if (b.m.speech.finals.join(' ').trim() !== '') commitUtterance(b);
}
