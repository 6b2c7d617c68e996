/**
 * The handoff's own steps, driven from `lifecycle.ts`: the request is recorded,
 * announced (`session.handoff_requested`, with the target a WebSocket client acts on)
 * and given to the effects runner (`perform_handoff`); a failure or a timeout is
 * announced (`session.handoff_failed`) and the conversation carries on in Listening,
 * the bot saying `settings.handoffFailureMessage` so the caller is not left in
 * silence; a success is announced (`session.handoff_completed`) before the session closes.
 */
import type { SessionTrigger } from '@prx-voice/state';
import { isErrorCode } from '@prx-voice/types';
import type { SessionState } from '@prx-voice/types';
import type { HandoffModel } from '../model.js';
import type { SessionInput } from '../inputs.js';
import type { StepBuilder } from '../step-builder.js';
import { requestTurn } from './run.js';

type HandoffRequestInput = Extract<SessionInput, { type: 'handoff_request' }>;

/** Records and announces a handoff the FSM accepted (now HandoffPending), and asks for it. */
export function beginHandoff(b: StepBuilder, from: SessionState, input: HandoffRequestInput): void {
  const request = {
    target: input.target,
    trigger: input.trigger,
    ...(input.reason === undefined || input.reason === '' ? {} : { reason: input.reason }),
  };
  const id = ++b.m.nextToken;
  b.m.handoff = { id, request, requestedAt: b.ctx.now };
  b.emit(
    'prx.voice.session.handoff_requested',
    {
      target: request.target,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      trigger: request.trigger,
      from,
    },
    { turnId: null, runId: null },
  );
  b.cmd({ type: 'perform_handoff', handoffId: id, request });
}

/** The handoff a result is for, if it is the one in progress (else the result is stale). */
export function currentHandoff(b: StepBuilder, handoffId: number): HandoffModel | undefined {
  const h = b.m.handoff;
  return h !== null && h.id === handoffId && b.state === 'HandoffPending' ? h : undefined;
}

/** Announces a handoff that took (the caller closes the session next). */
export function handoffCompleted(b: StepBuilder, h: HandoffModel): void {
  b.m.handoff = null;
  b.emit(
    'prx.voice.session.handoff_completed',
    { target: h.request.target, duration_ms: b.ctx.now - h.requestedAt },
    { turnId: null, runId: null },
  );
}

/**
 * A handoff that did not take: announced, the FSM back to Listening by `via`, and the
 * failure line said. `cancelled` (the session is ending) only announces it.
 */
export function handoffFailed(
  b: StepBuilder,
  h: HandoffModel,
  f: {
    readonly reason: 'error' | 'timeout' | 'cancelled';
    readonly error?: { readonly code: string; readonly message: string };
    readonly via?: SessionTrigger;
  },
): void {
  b.m.handoff = null;
  if (f.reason !== 'error') b.cmd({ type: 'cancel_handoff', handoffId: h.id });
  b.emit(
    'prx.voice.session.handoff_failed',
    {
      target: h.request.target,
      reason: f.reason,
      ...(f.error === undefined
        ? {}
        : {
            error: {
              code: isErrorCode(f.error.code) ? f.error.code : 'PROVIDER_ERROR',
              message: f.error.message,
              retryable: true,
            },
          }),
      duration_ms: b.ctx.now - h.requestedAt,
    },
    { turnId: null, runId: null, severity: 'warn' },
  );
  if (f.via === undefined || !b.fire(f.via)) return;
  const line = b.m.settings.handoffFailureMessage?.trim() ?? '';
  if (line === '') return;
  requestTurn(b, {
    input: 'text',
    text: '',
    script: line,
    speechStartAt: null,
    speechEndAt: null,
    finalAt: b.ctx.now,
  });
}
