/**
 * `POST /sessions/{id}/handoff`: hands a live session to a person — a phone number or
 * a SIP address — on whichever instance runs it, as interrupt and end are routed. 202
 * with the state it is in now (HandoffPending, or Closed when the client-driven
 * handoff of a WebSocket session already completed); the outcome follows as
 * `session.handoff_completed` or `session.handoff_failed`. 404 for an unknown session,
 * 409 when it cannot hand off now (ended, paused, setting up, already handing off).
 * A handoff to another assistant switches the session to it at the next turn boundary
 * (`prx.voice.session.updated` names the assistant when it applies).
 */
import { z } from 'zod';
import type { Repositories } from '@prx-voice/storage';
import { SESSION_STATES } from '@prx-voice/types';
import type { SessionId } from '@prx-voice/types';
import { principalOf } from '../http/context.js';
import { ok } from '../http/envelope.js';
import { idSchema } from '../http/schemas.js';
import type { DefineRoute } from '../http/routes.js';
import { handoffBody } from './handoff.js';
import type { SessionManager } from './session-manager.js';

/** Adds the handoff route. */
export function defineHandoffRoute(
  define: DefineRoute,
  deps: { readonly manager: SessionManager; readonly repos: Repositories },
): void {
  define({
    method: 'post',
    path: '/sessions/{session_id}/handoff',
    audit: { action: 'session.handoff', resource: 'session' },
    summary: 'Hand the session to a person (a phone number or a SIP address) or another assistant.',
    description:
      'Accepted (202) once the session is handing off; the outcome follows as prx.voice.session.handoff_completed (the session closes, outcome handoff) or handoff_failed (the conversation carries on). A Twilio call is transferred with <Dial> through Twilio’s REST API; a WebSocket client receives prx.voice.session.handoff_requested with the target and acts on it. A target of type assistant switches the session to that assistant at the next turn boundary (prx.voice.session.updated names it); 404 for an unknown assistant.',
    tags: ['sessions'],
    permission: 'session:end',
    params: z.strictObject({ session_id: idSchema('session') }),
    body: handoffBody,
    response: z.object({ state: z.enum(SESSION_STATES) }),
    status: 202,
    errors: ['SESSION_NOT_FOUND', 'SESSION_STATE_CONFLICT', 'NOT_FOUND'],
    handler: async (c, { params: p, body }) => {
      const tenant = principalOf(c).tenantId;
      const id: SessionId = p.session_id;
      const repo = deps.repos.forTenant(tenant);
      if (deps.manager.live(tenant, id) === undefined) await repo.sessions.require(id);
      const { target } = body;
      if (target.type === 'assistant') {
        await deps.manager.switchAssistant(tenant, id, target.assistant_id, {
          context: target.context,
          ...(target.variables === undefined ? {} : { variables: target.variables }),
        });
      } else
        await deps.manager.handoff(tenant, id, {
          target,
          ...(body.reason === undefined ? {} : { reason: body.reason }),
        });
      const state =
        deps.manager.live(tenant, id)?.actor.model.machine.value ??
        (await repo.sessions.require(id)).state;
      return ok(c, { state: state as (typeof SESSION_STATES)[number] }, 202);
    },
  });
}
