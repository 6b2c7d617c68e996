/**
 * Outbound Exotel calls on the server. Dialling uses Exotel's "Connect Voice AI" request
 * (`Calls/connect` with `StreamUrl`): once answered, Exotel opens the session's stream —
 * its URL carries the session, tenant and stream token, which Exotel echoes in the
 * stream's `start`. Exotel's status callback (`answered`, then `terminal` with `completed`,
 * `busy`, `no-answer` or `failed`) comes to `/telephony/exotel/status`, authenticated as
 * Exotel's other requests are (its Basic credentials or an allow-listed address) or by the
 * per-session token its URL carries; anything else is a 403 that changes nothing.
 *
 * Exotel documents no request that ends a live call, so the hang-up when the session ends
 * closes the call's stream (Exotel then ends the call and posts `terminal`); a call whose
 * stream is not open on this instance (not answered yet) cannot be ended and is reported as
 * `hangup_failed`.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { createExotelCall } from '@prx-voice/transport';
import { VoiceError } from '@prx-voice/types';
import { peerOf } from '../admin/audit-sink.js';
import type { CarrierCallbacks } from './carrier-callbacks.js';
import { carrierStreamToken } from './carrier-stream.js';
import type { ExotelSettings } from './exotel.js';
import { exotelStreamUrl, isFromExotel } from './exotel.js';
import type { ExotelStreams } from './exotel-streams.js';
import type { OutboundCarrier } from './outbound-calls.js';

/** Path of Exotel's status callback. */
export const EXOTEL_STATUS_PATH = '/telephony/exotel/status';

/** The token a status callback's URL carries for a session (`?token=`). */
export function exotelCallbackToken(apiToken: string, sessionId: string): string {
  return carrierStreamToken('exotel-status', apiToken, sessionId);
}

/**
 * Exotel as an outbound carrier; undefined without an account SID (`account_sid`). Its
 * `hangUp` closes the call's stream (see above).
 */
export function exotelOutbound(
  settings: ExotelSettings | undefined,
  streams: ExotelStreams,
): OutboundCarrier | undefined {
  const accountSid = settings?.accountSid;
  if (settings === undefined || accountSid === undefined) return undefined;
  const base = settings.publicUrl.replace(/\/$/, '');
  return {
    name: 'exotel',
    // Exotel's connect request has no answering-machine detection.
    machineDetection: false,
    dial: async ({ to, from, session }) => {
      const query = new URLSearchParams({
        session_id: session.id,
        tenant_id: session.tenant_id,
        token: exotelCallbackToken(settings.apiToken, session.id),
      });
      const call = await createExotelCall({
        accountSid,
        apiKey: settings.apiKey,
        apiToken: settings.apiToken,
        ...(settings.apiBaseUrl === undefined ? {} : { apiBaseUrl: settings.apiBaseUrl }),
        to,
        callerId: from,
        streamUrl: exotelStreamUrl(settings, session),
        statusCallback: `${base}${EXOTEL_STATUS_PATH}?${query.toString()}`,
      });
      return { callId: call.sid, status: call.status };
    },
    hangUp: (callSid) => {
      if (streams.close(callSid)) return Promise.resolve();
      const error = new VoiceError('PROVIDER_ERROR', {
        message: `Exotel documents no request that ends a call, and the stream of call ${callSid} is not open on this instance (not answered yet, or already over).`,
        details: { provider: 'exotel', call_id: callSid },
      });
      return Promise.reject(error);
    },
  };
}

const statusQuery = z.object({
  session_id: z.string().max(64).optional().describe('The session the call was placed for.'),
  tenant_id: z.string().max(64).optional().describe("The session's tenant."),
  token: z.string().max(128).optional().describe("The session's callback token."),
});

/** Reads a form body: multipart (Exotel's default) or URL-encoded. */
function formField(form: Record<string, unknown>, key: string): string | undefined {
  const value = form[key];
  return typeof value === 'string' ? value : undefined;
}

/** Exotel's status callback, mounted with the call routes. */
export function exotelStatusWebhook(settings: ExotelSettings): CarrierCallbacks {
  return {
    mount: (route, record) => {
      route({
        method: 'post',
        path: EXOTEL_STATUS_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Exotel's status callback of an outbound call (answered, terminal): recorded as a session.call_status event; a terminal status other than completed ends a session whose call never joined.",
        description:
          "Multipart or URL-encoded form as Exotel posts it (CallSid, Status, EventType, ConversationDuration). Exotel's Basic credentials, an allow-listed address or the session's callback token in the URL; anything else is a 403.",
        tags: ['telephony'],
        query: statusQuery,
        contentType: 'multipart/form-data',
        errors: ['FORBIDDEN'],
        handler: async (c, { query }) => {
          const sessionId = query.session_id ?? '';
          const given = query.token;
          const expected = Buffer.from(exotelCallbackToken(settings.apiToken, sessionId));
          const tokenOk =
            given !== undefined &&
            sessionId !== '' &&
            Buffer.byteLength(given) === expected.length &&
            timingSafeEqual(Buffer.from(given), expected);
          if (
            !tokenOk &&
            !isFromExotel(
              settings,
              { authorization: c.req.header('authorization') },
              peerOf(c) ?? undefined,
            )
          ) {
            throw new VoiceError('FORBIDDEN', {
              message:
                'the request carries neither Exotel credentials nor the callback token, nor comes from an allowed address',
              details: { reason: 'exotel_auth' },
            });
          }
          let form: Record<string, unknown>;
          try {
            form = await c.req.parseBody();
          } catch {
            form = {};
          }
          const event = formField(form, 'EventType');
          const duration = Number(formField(form, 'ConversationDuration') ?? Number.NaN);
          const terminal = event !== 'answered';
          record(query.tenant_id ?? '', sessionId, {
            carrier: 'exotel',
            call_id: formField(form, 'CallSid') ?? '',
            status: terminal ? (formField(form, 'Status') ?? 'unknown') : 'answered',
            ...(terminal && Number.isFinite(duration) ? { duration_s: duration } : {}),
          });
          return c.body(null, 204);
        },
      });
    },
  };
}
