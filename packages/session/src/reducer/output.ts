/**
 * The output side of a run: synthesized audio, word timings, synthesis
 * errors and playback progress.
 */
import { registryCode } from '../event-data.js';
import type { SessionInput } from '../model.js';
import type { StepBuilder } from '../step-builder.js';
import { cancelRun, live, maybeFinish } from './turn-end.js';

/** Synthesized audio of a segment reached the output. */
export function onTtsAudio(
  b: StepBuilder,
  runId: string,
  segmentId: string,
  durationMs: number,
): void {
  const run = live(b, runId);
  const seg = run?.segments.find((s) => s.id === segmentId);
  if (run === undefined || seg === undefined) return;
  seg.durationMs += durationMs;
  b.emit('prx.voice.tts.chunk_ready', {
    segment_id: segmentId,
    duration_ms: durationMs,
    bytes: Math.round((durationMs * b.m.settings.info.audio.output.sample_rate) / 1000) * 2,
  });
  if (run.firstAudioAt === null) {
    run.firstAudioAt = b.ctx.now;
    // A speculative run's audio is held: it starts speaking when its turn is committed.
    if (!run.speculative) b.fire({ type: 'AGENT_RESPONSE_START' });
  }
}

/** A word timing of a segment. */
export function onTtsWord(
  b: StepBuilder,
  input: Extract<SessionInput, { type: 'tts_word' }>,
): void {
  const seg = live(b, input.runId)?.segments.find((s) => s.id === input.segmentId);
  seg?.words.push({ text: input.text, startMs: input.startMs, endMs: input.endMs });
}

/** A segment is fully synthesized. */
export function onTtsDone(b: StepBuilder, runId: string, segmentId: string): void {
  const run = live(b, runId);
  const seg = run?.segments.find((s) => s.id === segmentId);
  if (run === undefined || seg === undefined) return;
  seg.synthesized = true;
  if (seg.durationMs === 0) seg.played = true; // nothing to play
  maybeFinish(b, run);
}

/** Synthesis failed: report, drop the run, listen again. */
export function onTtsError(
  b: StepBuilder,
  runId: string,
  segmentId: string,
  code: string,
  message: string,
): void {
  const run = live(b, runId);
  if (run === undefined) return;
  b.emit(
    'prx.voice.tts.error',
    {
      segment_id: segmentId,
      code: registryCode(code),
      message,
      retryable: true,
      provider: b.m.settings.info.providers.tts,
    },
    { severity: 'error' },
  );
  cancelRun(b, 'failed');
  if (!run.speculative) b.fire({ type: 'TTS_ERROR' });
}

/** The first frame of a segment went out. */
export function onPlaybackStarted(b: StepBuilder, runId: string, segmentId: string): void {
  const run = live(b, runId);
  if (run === undefined) return;
  run.firstAudioSentAt ??= b.ctx.now;
  b.emit('prx.voice.playback.started', { segment_id: segmentId });
}

/** How much of a segment the caller has heard. */
export function onPlaybackProgress(
  b: StepBuilder,
  input: Extract<SessionInput, { type: 'playback_progress' }>,
): void {
  const run = live(b, input.runId);
  const seg = run?.segments.find((s) => s.id === input.segmentId);
  if (run === undefined || seg === undefined) return;
  seg.playedMs = Math.max(seg.playedMs, input.playedMs);
  if (input.segmentDone && !seg.played) {
    seg.played = true;
    b.emit('prx.voice.playback.completed', { segment_id: seg.id, played_ms: seg.playedMs });
    maybeFinish(b, run);
  }
}
