/**
 * A cancelled run's output was flushed: the report says what the caller heard.
 * For a barge-in this is where it is told, in the order a client needs it —
 * `playback.flushed` (drop what you buffered) first, then `interrupt.issued`,
 * `interrupt.resolved` and the turn's completion with the heard text — and
 * where the next turn, which waited for it, starts.
 */
import { heardText } from '../heard.js';
import type { SessionInput } from '../model.js';
import type { StepBuilder } from '../step-builder.js';
import { onSpeechEnded } from './endpointing.js';
import { startPendingTurn } from './run.js';
import { completeTurn, heardOfRound } from './turn-end.js';

/** The flush report of a cancelled run. */
export function onOutputFlushed(
  b: StepBuilder,
  input: Extract<SessionInput, { type: 'output_flushed' }>,
): void {
  const idx = b.m.cancelling.findIndex((c) => c.run.id === input.runId);
  const cancelled = b.m.cancelling[idx];
  if (cancelled === undefined) return;
  b.m.cancelling.splice(idx, 1);
  const { run, turn, status } = cancelled;
  for (const h of input.heard) {
    const seg = run.segments.find((s) => s.id === h.segmentId);
    if (seg !== undefined) seg.playedMs = Math.max(seg.playedMs, h.playedMs);
  }
  const tags = { turnId: turn?.id ?? null, runId: run.id };
  const current = [...run.segments].reverse().find((s) => s.playedMs > 0 && !s.played);
  const playedMs = current?.playedMs ?? 0;
  const heard = heardOfRound(run);
  if (turn !== null || run.firstAudioSentAt !== null) {
    b.emit(
      'prx.voice.playback.flushed',
      {
        ...(current === undefined ? {} : { segment_id: current.id }),
        played_ms: playedMs,
        discarded_ms: input.discardedMs,
        heard_text: heard,
      },
      tags,
    );
  }
  const i = b.m.interruption;
  const bargeIn = i !== null && i.runId === run.id && i.decided !== null ? i : null;
  if (bargeIn !== null) {
    b.fire({
      type: 'INTERRUPT_DETECTED',
      source: bargeIn.decided === 'client' ? 'client' : 'speech',
    });
    b.emit(
      'prx.voice.interrupt.issued',
      { reason: bargeIn.decided === 'client' ? 'client' : 'barge_in', heard_text: heard },
      tags,
    );
  }
  if (turn !== null) {
    if (heard !== '') b.m.conversation.push({ role: 'assistant', content: heard });
    if (status === 'interrupted') {
      b.emit('prx.voice.interrupt.resolved', { heard_text: heard, played_ms: playedMs }, tags);
    }
    completeTurn(b, { turn, run, status, assistantText: heardText(run.segments) });
  }
  if (bargeIn !== null) {
    b.m.interruption = null;
    const s = b.m.speech;
    const speechPending = s.active || s.finalizing || s.finals.length > 0;
    b.fire({ type: 'INTERRUPT_RESOLVED', outcome: 'barge_in', userSpeaking: speechPending });
    // The caller already stopped: the barge-in's words are an utterance to judge like any other.
    if (speechPending && !s.active) onSpeechEnded(b);
  }
  startPendingTurn(b);
}
