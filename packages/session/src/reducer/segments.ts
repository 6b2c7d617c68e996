/** The segments of a run's answer: sentence chunks, fillers and lines queued for synthesis. */
import type { RunModel, SegmentId } from '../model.js';
import type { StepBuilder } from '../step-builder.js';

/** Adds `text` to the run's answer as a new segment of its current round, and asks for its synthesis. */
export function queueSegment(b: StepBuilder, run: RunModel, text: string): void {
  const segment = {
    id: b.ctx.newId('segment') as SegmentId,
    text,
    durationMs: 0,
    synthesized: false,
    playedMs: 0,
    played: false,
    words: [],
    round: run.toolRound,
  };
  run.segments.push(segment);
  b.emit('prx.voice.tts.segment_queued', { segment_id: segment.id, text });
  b.cmd({ type: 'synthesize', runId: run.id, segmentId: segment.id, text });
}
