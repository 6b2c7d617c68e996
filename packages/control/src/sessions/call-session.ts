/**
 * What every carrier's voice webhook does once the request is authenticated: create the
 * call's session in the carrier's tenant — running the assistant named by `?assistant_id=`,
 * else the one the called number is bound to (`phone_numbers`), else the server defaults —
 * and build the media-stream URL the carrier is told to open.
 */
import { z } from 'zod';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { Channel, Direction, Id, TenantId } from '@prx-voice/types';
import { requestFromAssistant, requireAssistant } from '../agents/assistant-session.js';
import { idSchema } from '../http/schemas.js';
import type { SessionManager } from './session-manager.js';
import type { CreateSessionRequest } from './session-manager-types.js';

/** The query of every carrier's voice webhook. */
export const callWebhookQuery = z.object({
  assistant_id: idSchema('assistant')
    .optional()
    .describe('The assistant the call runs (else the one bound to the called number).'),
});

/** Options of {@link createCallSession}. */
export interface CreateCallSessionOptions {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  /** Slug of the tenant the carrier's calls belong to (ignored when `tenantId` is given). */
  readonly tenantSlug: string;
  /** The tenant, when the caller already knows it (an outbound call placed by the API). */
  readonly tenantId?: TenantId;
  readonly channel: Channel;
  /** `outbound` for a call placed through `POST /calls`; default `inbound`. */
  readonly direction?: Direction;
  /** The caller's and the called number ('' when the carrier did not say). */
  readonly from: string;
  readonly to: string;
  /** The carrier's id of the call, recorded in the session's metadata as `call_sid`. */
  readonly callId: string;
  /** `?assistant_id=` of the webhook URL. */
  readonly assistantId: Id<'assistant'> | undefined;
}

/** Creates the session of an inbound call; `TENANT_NOT_FOUND`, or `NOT_FOUND` for a named assistant. */
export async function createCallSession(
  o: CreateCallSessionOptions,
): Promise<{ readonly id: string; readonly tenant_id: string }> {
  const tenant =
    o.tenantId === undefined ? await o.repos.tenants.getBySlug(o.tenantSlug) : undefined;
  if (o.tenantId === undefined && tenant === undefined) throw new VoiceError('TENANT_NOT_FOUND');
  const tenantId = o.tenantId ?? (tenant?.id as TenantId);
  const request: CreateSessionRequest = {
    channel: o.channel,
    ...(o.direction === undefined ? {} : { direction: o.direction }),
    metadata: { call_sid: o.callId, from: o.from, to: o.to },
  };
  const assistant =
    o.assistantId !== undefined
      ? await requireAssistant(o.repos, tenantId, o.assistantId)
      : o.to === ''
        ? undefined
        : await o.repos.forTenant(tenantId).assistants.byPhoneNumber(o.to);
  return o.manager.create(
    tenantId,
    assistant === undefined
      ? request
      : requestFromAssistant(assistant, request, { caller_number: o.from, called_number: o.to }),
  );
}

/** The WebSocket URL of `path` on the server's public URL (`https:` → `wss:`). */
export function publicStreamUrl(publicUrl: string, path: string): string {
  const url = new URL(publicUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/$/, '')}${path}`;
  return url.toString();
}
