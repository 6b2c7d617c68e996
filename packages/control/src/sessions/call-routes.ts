/**
 * Call control over HTTP: `POST /calls` creates a session in the caller's tenant and asks
 * a carrier to dial (201 with the session and the carrier's call id; 400 naming an
 * unconfigured carrier; 502 and the session ended when the carrier refuses), and the
 * carriers' call-progress webhooks — Twilio's status callback (`X-Twilio-Signature`
 * checked), Telnyx's Call Control events (Ed25519-signed) and those of the carriers that
 * plug in as `CarrierCallbacks` (Plivo's, Vonage's, Exotel's) — recorded as the session's
 * `session.call_status` events, answering-machine results included.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import { ANSWERED_BY, E164_PATTERN } from '@prx-voice/event';
import {
  TELNYX_SIGNATURE_HEADER,
  TELNYX_TIMESTAMP_HEADER,
  verifyTelnyxSignature,
  verifyTwilioSignature,
} from '@prx-voice/transport';
import type { VoiceMetrics } from '@prx-voice/observe';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError, isId } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { principalOf } from '../http/context.js';
import type { ControlContext } from '../http/context.js';
import { ok } from '../http/envelope.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';
import { createCallSession } from './call-session.js';
import { credentialsFromClientState } from './carrier-stream.js';
import {
  OUTBOUND_CARRIERS,
  OUTBOUND_SETUP,
  TELNYX_EVENTS_PATH,
  TWILIO_STATUS_PATH,
  createOutboundCallRegistry,
  isFinalCallStatus,
} from './outbound-calls.js';
import type { HangUpRetry, OutboundCarrier } from './outbound-calls.js';
import type { CallRecorder, CarrierCallbacks } from './carrier-callbacks.js';
import type { SessionManager } from './session-manager.js';
import type { TelnyxSettings } from './telnyx.js';
import type { TwilioSettings } from './twilio.js';

/** What the call routes work with. */
export interface CallRouteDeps {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  readonly clock: Clock;
  /** The carriers that can dial (configured for outbound calls). */
  readonly carriers: readonly OutboundCarrier[];
  /** Twilio's settings, for its status callback's signature. */
  readonly twilio?: TwilioSettings | undefined;
  /** Telnyx's settings, for its events' signatures. */
  readonly telnyx?: TelnyxSettings | undefined;
  /** More carriers' call-progress webhooks (Plivo's, Vonage's, Exotel's). */
  readonly callbacks?: readonly CarrierCallbacks[];
  readonly retry?: HangUpRetry;
  /** Counts hang-ups (`prx_voice_carrier_hangups_total`). */
  readonly metrics?: Pick<VoiceMetrics, 'carrierHangUp'> | undefined;
  readonly onError?: (error: unknown) => void;
}

const numberSchema = z
  .string()
  .regex(E164_PATTERN, { error: 'expected an E.164 number such as +14155550100' });

const createCallBody = z.strictObject({
  to: numberSchema.describe('The number to call (E.164).'),
  from: numberSchema.describe("The caller ID: a number of the carrier's account (E.164)."),
  assistant_id: idSchema('assistant')
    .optional()
    .describe('The assistant the call runs (else the one bound to `from`, else the defaults).'),
  carrier: z
    .enum(OUTBOUND_CARRIERS, { error: `expected one of ${OUTBOUND_CARRIERS.join(', ')}` })
    .optional()
    .describe('The carrier to dial through (default: the first configured).'),
  machine_detection: z
    .boolean()
    .default(false)
    .describe('Detect an answering machine; the result arrives as a session.call_status event.'),
});

const callView = z.object({
  session_id: z.string(),
  tenant_id: z.string(),
  carrier: z.enum(OUTBOUND_CARRIERS),
  call_id: z.string(),
  status: z.string(),
});

/** The answering-machine result as the event names it. */
function answeredBy(raw: string): (typeof ANSWERED_BY)[number] {
  if (raw === 'human') return 'human';
  if (raw === 'fax') return 'fax';
  if ((ANSWERED_BY as readonly string[]).includes(raw)) return raw as (typeof ANSWERED_BY)[number];
  if (raw.startsWith('machine')) return 'machine';
  return 'unknown';
}

/** The call routes: `POST /calls` and the carriers' call-progress webhooks. */
export function callRoutes(deps: CallRouteDeps): RouteModule {
  const registry = createOutboundCallRegistry({
    clock: deps.clock,
    ...(deps.retry === undefined ? {} : { retry: deps.retry }),
    onError: deps.onError,
    onHangUp: (carrier, ok) => deps.metrics?.carrierHangUp(carrier, ok ? 'hung_up' : 'failed'),
  });
  const record: CallRecorder = (tenantId, sessionId, data) => {
    if (!isId('tenant', tenantId) || !isId('session', sessionId)) return;
    const live = deps.manager.live(tenantId, sessionId);
    if (live === undefined) return;
    live.emitter.emit('prx.voice.session.call_status', data);
    if (isFinalCallStatus(data.status)) {
      registry.ended(sessionId);
      if (data.status !== 'completed') {
        void deps.manager
          .command(tenantId as TenantId, sessionId as SessionId, 'end')
          .catch(deps.onError);
      }
    }
  };
  return {
    name: 'calls',
    mount({ route }) {
      route({
        method: 'post',
        path: '/calls',
        summary:
          "Place an outbound phone call: creates a session and asks the carrier to dial; the answered call's media stream joins the session.",
        description:
          'Twilio (telephony.twilio with account_sid), Telnyx (telephony.telnyx with connection_id), Plivo (telephony.plivo with auth_id) Vonage (telephony.vonage with application_id and private_key) or Exotel (telephony.exotel with account_sid; ended by closing its stream, as Exotel documents no hang-up request). The call is hung up when the session ends (retried with backoff; the outcome is a session.call_status event). 400 when the carrier is not configured for outbound calls; 502 when it refuses the call (the session is ended).',
        tags: ['telephony'],
        permission: 'session:create',
        body: createCallBody,
        response: callView,
        status: 201,
        errors: ['VALIDATION_FAILED', 'NOT_FOUND', 'PROVIDER_ERROR', 'PROVIDER_UNAVAILABLE'],
        handler: async (c, { body }) => placeCall(c, deps, registry, body),
      });
      for (const callbacks of deps.callbacks ?? []) callbacks.mount(route, record);
      const twilio = deps.twilio;
      if (twilio !== undefined) {
        route({
          method: 'post',
          path: TWILIO_STATUS_PATH,
          at: 'root',
          auth: 'none',
          summary:
            "Twilio's status callback of an outbound call (and its answering-machine result): recorded as a session.call_status event.",
          description:
            'Form-encoded as Twilio sends it; the X-Twilio-Signature header is checked (403 when it does not match).',
          tags: ['telephony'],
          query: z.object({ session_id: z.string().optional(), tenant_id: z.string().optional() }),
          contentType: 'text/plain',
          errors: ['FORBIDDEN'],
          handler: async (c, { query }) => {
            const form = new URLSearchParams(await c.req.text());
            const url = `${twilio.publicUrl.replace(/\/$/, '')}${TWILIO_STATUS_PATH}${new URL(c.req.url).search}`;
            const signature = c.req.header('x-twilio-signature') ?? '';
            if (
              !verifyTwilioSignature({ authToken: twilio.authToken, signature, url, params: form })
            ) {
              throw new VoiceError('FORBIDDEN', {
                message: 'the Twilio request signature does not match',
                details: { reason: 'twilio_signature' },
              });
            }
            const amd = form.get('AnsweredBy');
            const duration = Number(form.get('CallDuration') ?? Number.NaN);
            record(query.tenant_id ?? '', query.session_id ?? '', {
              carrier: 'twilio',
              call_id: form.get('CallSid') ?? '',
              status: amd === null ? (form.get('CallStatus') ?? 'unknown') : 'machine_detected',
              ...(amd === null ? {} : { answered_by: answeredBy(amd) }),
              ...(Number.isFinite(duration) ? { duration_s: duration } : {}),
            });
            return c.body(null, 204);
          },
        });
      }
      const telnyx = deps.telnyx;
      if (telnyx !== undefined) {
        route({
          method: 'post',
          path: TELNYX_EVENTS_PATH,
          at: 'root',
          auth: 'none',
          summary:
            "Telnyx's Call Control events of an outbound call (answered, hang-up, machine detection): recorded as session.call_status events.",
          description:
            "JSON as Telnyx sends it; the Ed25519 signature is checked (403 when bad); the session is named by the call's client_state.",
          tags: ['telephony'],
          contentType: 'text/plain',
          errors: ['FORBIDDEN'],
          handler: async (c) => {
            const body = await c.req.text();
            const result = verifyTelnyxSignature({
              publicKey: telnyx.publicKey,
              signature: c.req.header(TELNYX_SIGNATURE_HEADER),
              timestamp: c.req.header(TELNYX_TIMESTAMP_HEADER),
              body,
              nowMs: deps.clock.now(),
              toleranceS: telnyx.signatureToleranceS,
            });
            if (result.kind !== 'valid') {
              throw new VoiceError('FORBIDDEN', {
                message: 'the Telnyx request signature is not valid',
                details: { reason: 'telnyx_signature', signature: result.reason },
              });
            }
            recordTelnyxEvent(body, record);
            return c.body(null, 204);
          },
        });
      }
    },
  };
}

/** Telnyx event types → the status recorded. */
const TELNYX_STATUSES: Readonly<Record<string, string>> = {
  'call.initiated': 'initiated',
  'call.answered': 'answered',
  'call.hangup': 'completed',
  'call.machine.detection.ended': 'machine_detected',
  'call.machine.premium.detection.ended': 'machine_detected',
};

function recordTelnyxEvent(
  body: string,
  record: (
    tenantId: string,
    sessionId: string,
    data: { carrier: 'telnyx'; call_id: string; status: string } & Record<string, unknown>,
  ) => void,
): void {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return;
  }
  const data = (value as { data?: { event_type?: unknown; payload?: Record<string, unknown> } })
    .data;
  const status =
    typeof data?.event_type === 'string' ? TELNYX_STATUSES[data.event_type] : undefined;
  const payload = data?.payload ?? {};
  if (status === undefined || typeof payload['client_state'] !== 'string') return;
  const credentials = credentialsFromClientState(payload['client_state']);
  const amd = typeof payload['result'] === 'string' ? payload['result'] : undefined;
  record(credentials.tenantId, credentials.sessionId, {
    carrier: 'telnyx',
    call_id: typeof payload['call_control_id'] === 'string' ? payload['call_control_id'] : '',
    status,
    ...(status === 'machine_detected' && amd !== undefined
      ? { answered_by: amd === 'not_sure' ? 'unknown' : amd === 'human' ? 'human' : 'machine' }
      : {}),
  });
}

async function placeCall(
  c: ControlContext,
  deps: CallRouteDeps,
  registry: ReturnType<typeof createOutboundCallRegistry>,
  body: z.output<typeof createCallBody>,
): Promise<Response> {
  const carrier =
    body.carrier === undefined
      ? deps.carriers[0]
      : deps.carriers.find((candidate) => candidate.name === body.carrier);
  if (carrier === undefined) {
    throw new VoiceError('VALIDATION_FAILED', {
      message:
        body.carrier === undefined
          ? `No carrier is configured for outbound calls (${Object.values(OUTBOUND_SETUP).join('; ')}).`
          : `The carrier ${body.carrier} is not configured for outbound calls (${OUTBOUND_SETUP[body.carrier]}).`,
      details: {
        field: 'carrier',
        ...(body.carrier === undefined ? {} : { carrier: body.carrier }),
      },
    });
  }
  if (body.machine_detection && carrier.machineDetection === false) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `The carrier ${carrier.name} offers no answering-machine detection on outbound calls; leave machine_detection false.`,
      details: { field: 'machine_detection', carrier: carrier.name },
    });
  }
  const tenantId = principalOf(c).tenantId;
  const row = await createCallSession({
    manager: deps.manager,
    repos: deps.repos,
    tenantSlug: '',
    tenantId,
    channel: carrier.name,
    direction: 'outbound',
    // The session's caller is the person called; its "to" is our number.
    from: body.to,
    to: body.from,
    callId: '',
    assistantId: body.assistant_id,
  });
  let placed: { readonly callId: string; readonly status: string };
  try {
    placed = await carrier.dial({
      to: body.to,
      from: body.from,
      session: row,
      machineDetection: body.machine_detection,
    });
  } catch (err) {
    await deps.manager.command(tenantId, row.id as SessionId, 'end').catch(deps.onError);
    // The carrier's refusal as it is (a 502), naming the session that was ended.
    const refused = VoiceError.is(err) && err.code.startsWith('PROVIDER_');
    throw new VoiceError(refused ? err.code : 'PROVIDER_ERROR', {
      message: refused
        ? err.message
        : `The ${carrier.name} call could not be placed: ${err instanceof Error ? err.message : String(err)}`,
      details: { ...(refused ? err.details : {}), provider: carrier.name, session_id: row.id },
      cause: err,
    });
  }
  const live = deps.manager.live(tenantId, row.id as SessionId);
  if (live !== undefined) {
    registry.track(live, carrier, placed.callId);
    live.emitter.emit('prx.voice.session.call_status', {
      carrier: carrier.name,
      call_id: placed.callId,
      status: placed.status,
    });
  }
  return ok(
    c,
    {
      session_id: row.id,
      tenant_id: row.tenant_id,
      carrier: carrier.name,
      call_id: placed.callId,
      status: placed.status,
    },
    201,
  );
}
