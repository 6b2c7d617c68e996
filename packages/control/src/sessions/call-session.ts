/**
 * What every carrier's voice webhook does once the request is authenticated: create the
 * call's session. A called number bound to an assistant (`phone_numbers`) belongs to one
 * tenant across the instance: the call runs in that tenant with that assistant. Otherwise it
 * runs in the carrier's configured tenant — with the assistant named by `?assistant_id=`
 * (looked up in that tenant, and taking precedence over the number), else the server
 * defaults. Also builds the media-stream URL the carrier is told to open.
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

/**
 * Creates the session of a call; `TENANT_NOT_FOUND` (the configured tenant is missing and
 * the number is bound nowhere), or `NOT_FOUND` for a named assistant.
 */
export async function createCallSession(
  o: CreateCallSessionOptions,
): Promise<{ readonly id: string; readonly tenant_id: string }> {
  // An inbound call to a bound number runs in the number's tenant, with its assistant.
  if (o.tenantId === undefined && o.assistantId === undefined && o.to !== '') {
    const owner = await o.repos.phoneNumbers.owner(o.to);
    const tenantId = owner?.tenant_id as TenantId | undefined;
    const assistant =
      owner === undefined || tenantId === undefined
        ? undefined
        : await o.repos.forTenant(tenantId).assistants.get(owner.assistant_id as Id<'assistant'>);
    if (tenantId !== undefined && assistant !== undefined) {
      return o.manager.create(
        tenantId,
        requestFromAssistant(
          assistant,
          { channel: o.channel, metadata: { call_sid: o.callId, from: o.from, to: o.to } },
          { caller_number: o.from, called_number: o.to },
        ),
      );
    }
  }
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

/**
 * The WebSocket URL of `path` on the server's public URL (`https:` → `wss:`); with
 * `sessionId`, `path/{session_id}` (carriers whose stream names its session only in its
 * first message: the workers of a host route the connection by it).
 */
export function publicStreamUrl(publicUrl: string, path: string, sessionId?: string): string {
  const url = new URL(publicUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const tail = sessionId === undefined ? '' : `/${encodeURIComponent(sessionId)}`;
  url.pathname = `${url.pathname.replace(/\/$/, '')}${path}${tail}`;
  return url.toString();
}
