/**
 * A filler line while tools run (`speak_while_waiting`): when a tool round starts and
 * one of its calls has a filler, a timer is armed for the grace; if the round's results
 * are back before it fires, nothing is said (fast tools do not babble), else the filler
 * is spoken as a segment of the run — once per round. It is part of what the caller
 * heard: the turn's text, the heard text of an interruption, and the conversation (the
 * tool-call message's content).
 */
import type { RunModel } from '../model.js';
import { queueSegment } from './segments.js';
import type { StepBuilder } from '../step-builder.js';

/** How long a tool round may take before its filler is said, by default: 300 ms. */
export const TOOL_FILLER_GRACE_MS = 300;

/** The filler of a run's pending round: the first call's whose tool has one. */
function fillerOf(b: StepBuilder, run: RunModel): string | undefined {
  const fillers = b.m.settings.toolFillers;
  if (fillers === undefined) return undefined;
  for (const call of run.pendingToolCalls) {
    const line = Object.hasOwn(fillers, call.name) ? fillers[call.name]?.trim() : undefined;
    if (line !== undefined && line !== '') return line;
  }
  return undefined;
}

/** A tool round starts: arm its filler's timer if a call has one (else drop an earlier round's). */
export function armToolFiller(b: StepBuilder, run: RunModel): void {
  if (run.speculative || fillerOf(b, run) === undefined) {
    b.cancel('tool_filler');
    return;
  }
  b.arm('tool_filler', b.m.settings.toolFillerGraceMs ?? TOOL_FILLER_GRACE_MS);
}

/** The grace is over and the round's tools are still running: say the filler. */
export function onToolFillerTimer(b: StepBuilder): void {
  const run = b.m.run;
  if (run === null || run.speculative || !run.awaitingTools || run.toolsHeld) return;
  const text = fillerOf(b, run);
  if (text === undefined) return;
  run.generated = `${run.generated.trimEnd()} ${text} `.trimStart();
  // The assistant's tool-call message (the last one naming the round's first call) says it too.
  const first = run.pendingToolCalls[0]?.id;
  const at = b.m.conversation.findLastIndex(
    (m) => m.role === 'assistant' && m.toolCalls?.some((c) => c.id === first) === true,
  );
  const message = b.m.conversation[at];
  if (message?.role === 'assistant') {
    const content = message.content.trim();
    b.m.conversation[at] = { ...message, content: content === '' ? text : `${content} ${text}` };
  }
  queueSegment(b, run, text);
}
