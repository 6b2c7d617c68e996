/**
 * Handoff to a person, on the server's side: the target a request names (the route's
 * body and the `transfer_call` tool's destinations), and how each kind of session
 * carries a handoff out. On the session WebSocket (and the other client-driven
 * channels) the client acts on the `session.handoff_requested` event it receives, so
 * the handoff counts as done once that event is out and the session closes (`handoff`).
 * A Twilio call is transferred through Twilio's REST API once its media stream has
 * started (`handoff-twilio.ts`); before that, and on carriers without a transfer yet,
 * a handoff fails and the conversation carries on.
 */
import { z } from 'zod';
import { phoneHandoffTargetSchema, sipHandoffTargetSchema } from '@prx-voice/event';
import type { HandoffPerformer } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';
import type { Channel } from '@prx-voice/types';
import { SWITCH_CONTEXTS } from '@prx-voice/session';
import { idSchema } from '../http/schemas.js';
import type { RequestHandoff } from '../agents/transfer-tool.js';
import type { LiveSession } from './session-manager-types.js';

/**
 * Another assistant taking the conversation over (agent-to-agent): the session switches
 * to it at the next turn boundary (`SessionManager.switchAssistant`).
 */
export const assistantHandoffTargetSchema = z.strictObject({
  type: z.literal('assistant'),
  assistant_id: idSchema('assistant'),
  /** What the next assistant is told: the conversation so far (default), a summary of it, or nothing. */
  context: z.enum(SWITCH_CONTEXTS).default('keep'),
  /** Values of the next assistant's `{{placeholders}}`. */
  variables: z.record(z.string(), z.string().max(2_000)).optional(),
});

/** Where `POST /sessions/{id}/handoff` sends the conversation (discriminated by `type`). */
export const handoffTargetBody = z
  .discriminatedUnion('type', [
    phoneHandoffTargetSchema.describe('A phone number, E.164 (Twilio: <Dial><Number>).'),
    sipHandoffTargetSchema.describe('A SIP address (Twilio: <Dial><Sip>).'),
    assistantHandoffTargetSchema.describe(
      'Another assistant, from the next turn boundary (its prompt, voice, providers, tools, first message).',
    ),
  ])
  .describe('Where the conversation goes.');

/** Body of `POST /sessions/{id}/handoff`. */
export const handoffBody = z.strictObject({
  target: handoffTargetBody,
  reason: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .optional()
    .describe('Why, as whoever takes over will see it (in the handoff events).'),
});

/** A target a person answers (what the session engine hands off to). */
export type PersonTarget = z.output<
  typeof phoneHandoffTargetSchema | typeof sipHandoffTargetSchema
>;

/** The channels whose client acts on `session.handoff_requested` itself. */
const CLIENT_CHANNELS: ReadonlySet<Channel> = new Set([
  'websocket',
  'web',
  'webrtc',
  'realtime',
  'rtvi',
  'api',
]);

/** A performer whose client carries the handoff out: done once the event is out. */
export const CLIENT_HANDOFF: HandoffPerformer = {
  perform: () => Promise.resolve(),
};

/** The performer a new session starts with, by channel (a carrier's stream replaces it). */
export function initialHandoff(channel: Channel): HandoffPerformer {
  if (CLIENT_CHANNELS.has(channel)) return CLIENT_HANDOFF;
  const message =
    channel === 'twilio'
      ? 'the call cannot be transferred before its media stream has started'
      : `transfers are not implemented for ${channel} calls`;
  const code = channel === 'twilio' ? 'SESSION_STATE_CONFLICT' : 'NOT_IMPLEMENTED';
  return { perform: () => Promise.reject(new VoiceError(code, { message })) };
}

/**
 * Asks a live session to hand off (the `transfer_call` tool): accepted when it is now
 * handing off (or already handed off, on a client-driven channel), else the state it is in.
 */
export function requestHandoff(
  session: LiveSession | undefined,
  request: Parameters<RequestHandoff>[0],
): ReturnType<RequestHandoff> {
  if (session === undefined) return { accepted: false, state: 'Closed' };
  session.actor.dispatch({
    type: 'handoff_request',
    target: request.target,
    trigger: 'tool',
    ...(request.reason === undefined ? {} : { reason: request.reason }),
    ...(request.result === undefined ? {} : { result: request.result }),
  });
  const m = session.actor.model;
  const state = m.machine.value;
  return state === 'HandoffPending' || m.closing === 'handoff'
    ? { accepted: true }
    : { accepted: false, state };
}
