/**
 * Plivo as a carrier that dials (`POST /calls`): the call is made over Plivo's REST API with
 * an answer URL that, once the call is answered, returns the Plivo XML connecting it to the
 * audio stream of the session created for it (with the per-call stream token, as an inbound
 * call's answer does); ring, hang-up and machine-detection callbacks come to one status URL.
 * Every callback is checked against its V3 signature (403 when bad) and recorded as a
 * `session.call_status` event naming the call by its `request_uuid` (what `POST /calls`
 * answered). Plivo hangs up a connected call by its `CallUUID`, learned from the callbacks;
 * a call not answered yet is cancelled by its `request_uuid`.
 */
import { z } from 'zod';
import { cancelPlivoCall, createPlivoCall, hangUpPlivoCall } from '@prx-voice/transport';
import { isId } from '@prx-voice/types';
import type { CarrierCallbacks } from './carrier-callbacks.js';
import { machineOrHuman } from './carrier-callbacks.js';
import type { OutboundCarrier } from './outbound-calls.js';
import type { PlivoSettings } from './plivo.js';
import { plivoSessionXml, signedPlivoForm } from './plivo.js';

/** Path of the answer URL of the Plivo calls `POST /calls` places. */
export const PLIVO_OUTBOUND_ANSWER_PATH = '/telephony/plivo/outbound/answer';
/** Path of Plivo's ring, hang-up and machine-detection callbacks of those calls. */
export const PLIVO_STATUS_PATH = '/telephony/plivo/status';

/** Plivo's dialing and its callbacks, sharing what they learn of each call. */
export interface PlivoOutbound {
  readonly carrier: OutboundCarrier;
  readonly callbacks: CarrierCallbacks;
}

const sessionQuery = z.object({
  session_id: z.string().optional().describe('The session the call was placed for.'),
  tenant_id: z.string().optional().describe("The session's tenant."),
});

/** The status a Plivo callback reports (`Event` Ring / Hangup / MachineDetection / StartApp). */
function statusOf(form: URLSearchParams): string {
  switch (form.get('Event')) {
    case 'Ring':
      return 'ringing';
    case 'MachineDetection':
      return 'machine_detected';
    default:
      return form.get('CallStatus') ?? 'unknown';
  }
}

/** Plivo as an {@link OutboundCarrier}; undefined without an Auth ID (`auth_id`). */
export function plivoOutbound(settings: PlivoSettings | undefined): PlivoOutbound | undefined {
  const authId = settings?.authId;
  if (settings === undefined || authId === undefined) return undefined;
  const rest = { authId, authToken: settings.authToken, apiBaseUrl: settings.apiBaseUrl };
  const base = settings.publicUrl.replace(/\/$/, '');
  /** The CallUUID of each call Plivo connected, by request_uuid. */
  const callUuids = new Map<string, string>();
  const learn = (form: URLSearchParams): string => {
    const requestUuid = form.get('RequestUUID') ?? form.get('ALegRequestUUID') ?? '';
    const callUuid = form.get('CallUUID');
    if (requestUuid !== '' && callUuid !== null) callUuids.set(requestUuid, callUuid);
    return requestUuid;
  };
  const carrier: OutboundCarrier = {
    name: 'plivo',
    dial: async ({ to, from, session, machineDetection }) => {
      const query = new URLSearchParams({ session_id: session.id, tenant_id: session.tenant_id });
      const status = `${base}${PLIVO_STATUS_PATH}?${query.toString()}`;
      const call = await createPlivoCall({
        ...rest,
        to,
        from,
        answerUrl: `${base}${PLIVO_OUTBOUND_ANSWER_PATH}?${query.toString()}`,
        ringUrl: status,
        hangupUrl: status,
        machineDetection,
        machineDetectionUrl: status,
      });
      return { callId: call.requestUuid, status: 'initiated' };
    },
    hangUp: async (requestUuid) => {
      const callUuid = callUuids.get(requestUuid);
      if (callUuid === undefined) await cancelPlivoCall({ ...rest, requestUuid });
      else await hangUpPlivoCall({ ...rest, callUuid });
      callUuids.delete(requestUuid);
    },
  };
  const callbacks: CarrierCallbacks = {
    mount: (route, record) => {
      route({
        method: 'post',
        path: PLIVO_OUTBOUND_ANSWER_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "The answer URL of a Plivo call placed by POST /calls: Plivo XML connecting the answered call to its session's audio stream.",
        description:
          'Form-encoded as Plivo sends it; the X-Plivo-Signature-V3 headers are checked against telephony.plivo.auth_token (403 when they do not match). Recorded as the call_status `in-progress`.',
        tags: ['telephony'],
        query: sessionQuery,
        contentType: 'text/xml',
        errors: ['FORBIDDEN'],
        handler: async (c, { query }) => {
          const form = await signedPlivoForm(c, settings, PLIVO_OUTBOUND_ANSWER_PATH);
          const sessionId = query.session_id ?? '';
          const tenantId = query.tenant_id ?? '';
          const requestUuid = learn(form);
          record(tenantId, sessionId, {
            carrier: 'plivo',
            call_id: requestUuid,
            status: 'in-progress',
          });
          const xml =
            isId('session', sessionId) && isId('tenant', tenantId)
              ? plivoSessionXml(settings, { id: sessionId, tenant_id: tenantId })
              : '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>';
          return c.body(xml, 200, { 'content-type': 'text/xml; charset=utf-8' });
        },
      });
      route({
        method: 'post',
        path: PLIVO_STATUS_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Plivo's ring, hang-up and machine-detection callbacks of a call placed by POST /calls: recorded as session.call_status events.",
        description:
          'Form-encoded as Plivo sends it; the X-Plivo-Signature-V3 headers are checked (403 when they do not match). `Event=Ring` is `ringing`, `Hangup` its CallStatus (completed, busy, failed, timeout, no-answer, cancel — all but completed end the session), `MachineDetection` is `machine_detected` with answered_by.',
        tags: ['telephony'],
        query: sessionQuery,
        contentType: 'text/plain',
        errors: ['FORBIDDEN'],
        handler: async (c, { query }) => {
          const form = await signedPlivoForm(c, settings, PLIVO_STATUS_PATH);
          const requestUuid = learn(form);
          const status = statusOf(form);
          const duration = Number(form.get('Duration') ?? Number.NaN);
          if (form.get('Event') === 'Hangup') callUuids.delete(requestUuid);
          record(query.tenant_id ?? '', query.session_id ?? '', {
            carrier: 'plivo',
            call_id: requestUuid,
            status,
            ...(status === 'machine_detected'
              ? { answered_by: machineOrHuman(form.get('Machine') === 'true') }
              : {}),
            ...(Number.isFinite(duration) ? { duration_s: duration } : {}),
          });
          return c.body(null, 204);
        },
      });
    },
  };
  return { carrier, callbacks };
}
