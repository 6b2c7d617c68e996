/**
 * How a turn ends: completed when its answer was heard to the end, or
 * cancelled (interrupted, failed, the session ending). A cancelled run's turn
 * completes when the flush of its output reports what the caller heard.
 */
import { heardText } from '../heard.js';
import type { RunModel, TurnLatencyModel, TurnModel, TurnStatus } from '../model.js';
import type { StepBuilder } from '../step-builder.js';

/** The current run if `runId` is it (a cancelled run is no longer current). */
export function live(b: StepBuilder, runId: string): RunModel | undefined {
  const run = b.m.run;
  return run !== null && run.id === runId ? run : undefined;
}

/**
 * Cancels the current run: its queued audio is flushed first (nothing more of
 * it is heard), then the agent, tools (unless they opted out) and synthesis
 * stop. Its turn completes when the flush is reported ({@link onOutputFlushed}).
 */
export function cancelRun(b: StepBuilder, status: TurnStatus): void {
  const run = b.m.run;
  if (run === null) return;
  const turn = b.m.turn !== null && b.m.turn.id === run.turnId ? b.m.turn : null;
  b.m.run = null;
  if (turn !== null) b.m.turn = null;
  b.m.cancelling.push({ run, turn, status });
  b.cmd({ type: 'flush_output', runId: run.id });
  b.cmd({ type: 'cancel_run', runId: run.id, keepTools: status === 'interrupted' });
  if (run.speculative) {
    // Its audio was held: nothing of it was heard; the output flows again for the next run.
    b.cmd({ type: 'resume_output' });
    return;
  }
  if (run.segments.some((s) => !s.synthesized)) {
    b.emit(
      'prx.voice.tts.stopped',
      {
        reason:
          status === 'failed'
            ? 'error'
            : status === 'interrupted'
              ? 'interrupted'
              : b.m.closing !== null
                ? 'session_ended'
                : 'cancelled',
      },
      { turnId: turn?.id ?? null, runId: run.id },
    );
  }
}

/** Completes the turn once the agent is done and every segment is synthesized and heard. */
export function maybeFinish(b: StepBuilder, run: RunModel): void {
  if (run.speculative || !run.agentDone || run.awaitingTools) return;
  if (!run.segments.every((s) => s.synthesized && s.played)) return;
  const spoken = run.segments
    .filter((s) => s.round === run.toolRound)
    .map((s) => s.text)
    .join(' ');
  b.m.conversation.push({
    role: 'assistant',
    content: run.roundText.trim() === '' ? spoken : run.roundText.trim(),
  });
  if (run.segments.length === 0) b.fire({ type: 'AGENT_RESPONSE_EMPTY' });
  else b.fire({ type: 'PLAYBACK_COMPLETED' });
  const turn = b.m.turn;
  b.m.run = null;
  b.m.turn = null;
  if (turn !== null && turn.id === run.turnId) {
    completeTurn(b, { turn, run, status: 'completed', assistantText: run.generated.trim() });
  }
}

/** The turn's one terminal record: persisted and emitted exactly once. */
export function completeTurn(
  b: StepBuilder,
  t: {
    readonly turn: TurnModel;
    readonly run: RunModel;
    readonly status: TurnStatus;
    readonly assistantText: string;
  },
): void {
  const { turn, run, status } = t;
  const latency = latencyOf(turn, run);
  b.cmd({
    type: 'persist_turn_completed',
    turnId: turn.id,
    status,
    userText: turn.userText,
    assistantText: t.assistantText,
    assistantTextGenerated: run.generated.trim(),
    interrupted: status === 'interrupted',
    latency,
  });
  b.emit(
    'prx.voice.turn.completed',
    {
      turn_id: turn.id,
      user_text: turn.userText,
      assistant_text: t.assistantText,
      interrupted: status === 'interrupted',
      latency,
    },
    { turnId: turn.id, runId: run.id },
  );
  b.m.turnCount += 1;
}

/**
 * A reopened turn whose words will not come (pause, handoff, the end): it ends
 * as cancelled, unanswered — still exactly once.
 */
export function abandonReopened(b: StepBuilder): void {
  const reopened = b.m.reopened;
  if (reopened === null) return;
  b.m.reopened = null;
  completeTurn(b, { ...reopened, status: 'cancelled', assistantText: '' });
}

/** What the caller heard of a cancelled run's current round, for the conversation. */
export function heardOfRound(run: RunModel): string {
  return heardText(run.segments.filter((s) => s.round === run.toolRound));
}

/**
 * The latency breakdown, measured from the end of the caller's speech (the
 * VAD's silence start), so voice-to-voice is what the caller waited.
 */
function latencyOf(turn: TurnModel, run: RunModel): TurnLatencyModel {
  const diff = (a: number | null, z: number | null) =>
    a === null || z === null ? null : Math.max(0, z - a);
  return {
    asr_ms: diff(turn.speechEndAt, turn.finalAt),
    agent_first_token_ms: diff(turn.finalAt, run.firstTokenAt),
    tts_first_audio_ms: diff(run.firstTokenAt, run.firstAudioAt),
    first_audio_sent_ms: diff(run.firstAudioAt, run.firstAudioSentAt),
    voice_to_voice_ms: diff(turn.speechEndAt, run.firstAudioSentAt),
  };
}
