/**
 * Vonage as a carrier that dials (`POST /calls`): the call is created over the Voice API
 * (a JWT signed with the application's private key) with an inline NCCO connecting the
 * answered call to the WebSocket of the session created for it (with the per-call stream
 * token, as an inbound call's NCCO does), and its events sent to one event URL. Every event
 * is checked as a signed webhook (403 when bad) and, unless it is another leg's (the
 * WebSocket's own), recorded as a `session.call_status` event: `started`, `ringing`,
 * `answered`, `completed`, and the ends that are not — `busy`, `failed`, `timeout`,
 * `rejected`, `unanswered`, `cancelled` end the session —; `human` / `machine`
 * (answering-machine detection) become `machine_detected`.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import { createVonageCall, hangUpVonageCall } from '@prx-voice/transport';
import type { CarrierCallbacks } from './carrier-callbacks.js';
import { machineOrHuman } from './carrier-callbacks.js';
import { isFinalCallStatus } from './outbound-calls.js';
import type { OutboundCarrier } from './outbound-calls.js';
import type { VonageSettings } from './vonage.js';
import { signedVonageBody, vonageSessionNcco } from './vonage.js';

/** Path of Vonage's event webhook of the calls `POST /calls` places. */
export const VONAGE_EVENTS_PATH = '/telephony/vonage/events';

/** Vonage's dialing and its event webhook. */
export interface VonageOutbound {
  readonly carrier: OutboundCarrier;
  readonly callbacks: CarrierCallbacks;
}

const sessionQuery = z.object({
  session_id: z.string().optional().describe('The session the call was placed for.'),
  tenant_id: z.string().optional().describe("The session's tenant."),
});

/**
 * Vonage as an {@link OutboundCarrier}; undefined without an application id and its private
 * key (`application_id`, `private_key`).
 */
export function vonageOutbound(
  settings: VonageSettings | undefined,
  clock: Clock,
): VonageOutbound | undefined {
  const applicationId = settings?.applicationId;
  const privateKey = settings?.privateKey;
  if (settings === undefined || applicationId === undefined || privateKey === undefined)
    return undefined;
  const rest = {
    applicationId,
    privateKey,
    apiBaseUrl: settings.apiBaseUrl,
    now: () => clock.now(),
  };
  const base = settings.publicUrl.replace(/\/$/, '');
  /**
   * The uuid of the call each session dialled (on this instance): events of other legs of
   * the conversation — the WebSocket's own — are not the call's.
   */
  const dialled = new Map<string, string>();
  const carrier: OutboundCarrier = {
    name: 'vonage',
    dial: async ({ to, from, session, machineDetection }) => {
      const query = new URLSearchParams({ session_id: session.id, tenant_id: session.tenant_id });
      const call = await createVonageCall({
        ...rest,
        to,
        from,
        ncco: vonageSessionNcco(settings, session),
        eventUrl: `${base}${VONAGE_EVENTS_PATH}?${query.toString()}`,
        machineDetection,
      });
      dialled.set(session.id, call.uuid);
      return { callId: call.uuid, status: call.status };
    },
    hangUp: async (uuid) => {
      await hangUpVonageCall({ ...rest, uuid });
      for (const [sessionId, dialledUuid] of dialled)
        if (dialledUuid === uuid) dialled.delete(sessionId);
    },
  };
  const callbacks: CarrierCallbacks = {
    mount: (route, record) => {
      route({
        method: 'post',
        path: VONAGE_EVENTS_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Vonage's event webhook of a call placed by POST /calls: its status changes and answering-machine result, recorded as session.call_status events.",
        description:
          'JSON as Vonage sends it; a signed webhook: the Authorization Bearer JWT is checked against telephony.vonage.signature_secret (its payload_hash against the body; 403 when it does not match). Events without a status are ignored.',
        tags: ['telephony'],
        query: sessionQuery,
        contentType: 'application/json',
        errors: ['FORBIDDEN'],
        handler: async (c, { query }) => {
          const body = await signedVonageBody(c, settings, clock);
          let event: Record<string, unknown> = {};
          try {
            const value: unknown = JSON.parse(body);
            if (typeof value === 'object' && value !== null)
              event = value as Record<string, unknown>;
          } catch {
            event = {};
          }
          const status = typeof event['status'] === 'string' ? event['status'] : undefined;
          const uuid = typeof event['uuid'] === 'string' ? event['uuid'] : '';
          const sessionId = query.session_id ?? '';
          const call = dialled.get(sessionId);
          if (status === undefined || (call !== undefined && uuid !== call))
            return c.body(null, 204);
          if (isFinalCallStatus(status)) dialled.delete(sessionId);
          const amd = status === 'machine' || status === 'human';
          const duration = Number(event['duration'] ?? Number.NaN);
          record(query.tenant_id ?? '', sessionId, {
            carrier: 'vonage',
            call_id: uuid,
            status: amd ? 'machine_detected' : status,
            ...(amd ? { answered_by: machineOrHuman(status === 'machine') } : {}),
            ...(status === 'completed' && Number.isFinite(duration)
              ? { duration_s: duration }
              : {}),
          });
          return c.body(null, 204);
        },
      });
    },
  };
  return { carrier, callbacks };
}
