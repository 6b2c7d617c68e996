/**
 * Outbound calls: the carriers that can dial (Twilio with an account SID, Telnyx with a
 * Call Control connection; Plivo, Vonage and Exotel in `plivo-outbound.ts`,
 * `vonage-outbound.ts`, `exotel-calls.ts`), each asked to place a call that opens its media
 * stream to the session it was created for, and to hang it up. The calls placed are remembered until
 * their session ends; then the carrier call is hung up — unless the carrier already said it
 * was over or the caller hung up — retried with backoff, the outcome counted
 * (`prx_voice_carrier_hangups_total{carrier,outcome}`), logged when it failed, and appended to
 * the session's log as a `session.call_status` event (`hung_up`, or `hangup_failed` after the
 * last attempt) — after its `session.closed`, so live event streams, which end there, do not
 * carry it.
 */
import type { Clock } from '@prx-voice/core';
import {
  createTelnyxCall,
  createTwilioCall,
  hangUpTelnyxCall,
  hangUpTwilioCall,
  twimlConnectStream,
} from '@prx-voice/transport';
import { VoiceError } from '@prx-voice/types';
import type { SessionOutcome } from '@prx-voice/types';
import { publicStreamUrl } from './call-session.js';
import type { LiveSession } from './session-manager-types.js';
import type { TelnyxSettings } from './telnyx.js';
import { TELNYX_STREAM_PATH, telnyxStreamToken } from './telnyx.js';
import type { TwilioSettings } from './twilio.js';
import { TWILIO_STREAM_PATH, streamToken } from './twilio.js';

/** Path of Twilio's call status callback. */
export const TWILIO_STATUS_PATH = '/telephony/twilio/status';
/** Path of Telnyx's Call Control events webhook. */
export const TELNYX_EVENTS_PATH = '/telephony/telnyx/events';

/** The carriers that can place calls. */
export const OUTBOUND_CARRIERS = ['twilio', 'telnyx', 'plivo', 'vonage', 'exotel'] as const;
/** One of {@link OUTBOUND_CARRIERS}. */
export type OutboundCarrierName = (typeof OUTBOUND_CARRIERS)[number];

/** What a dial is for. */
export interface DialRequest {
  readonly to: string;
  readonly from: string;
  readonly session: { readonly id: string; readonly tenant_id: string };
  /** Ask the carrier to detect an answering machine. */
  readonly machineDetection: boolean;
}

/** A carrier able to place and end calls. */
export interface OutboundCarrier {
  readonly name: OutboundCarrierName;
  /** False when the carrier cannot detect an answering machine (a request asking is refused). */
  readonly machineDetection?: boolean;
  /** Places the call; resolves to the carrier's id of it and its first status. */
  dial(request: DialRequest): Promise<{ readonly callId: string; readonly status: string }>;
  hangUp(callId: string): Promise<void>;
}

/** Twilio as an {@link OutboundCarrier}; undefined without an account SID (`account_sid`). */
export function twilioOutbound(settings: TwilioSettings | undefined): OutboundCarrier | undefined {
  const accountSid = settings?.accountSid;
  if (settings === undefined || accountSid === undefined) return undefined;
  const rest = {
    accountSid,
    authToken: settings.authToken,
    ...(settings.apiBaseUrl === undefined ? {} : { apiBaseUrl: settings.apiBaseUrl }),
  };
  const base = settings.publicUrl.replace(/\/$/, '');
  return {
    name: 'twilio',
    dial: async ({ to, from, session, machineDetection }) => {
      const query = new URLSearchParams({ session_id: session.id, tenant_id: session.tenant_id });
      const call = await createTwilioCall({
        ...rest,
        to,
        from,
        twiml: twimlConnectStream({
          streamUrl: publicStreamUrl(
            settings.publicUrl,
            TWILIO_STREAM_PATH,
            settings.sessionInStreamUrl === true ? session.id : undefined,
          ),
          parameters: {
            session_id: session.id,
            tenant_id: session.tenant_id,
            stream_token: streamToken(settings.authToken, session.id),
          },
        }),
        statusCallback: `${base}${TWILIO_STATUS_PATH}?${query.toString()}`,
        machineDetection,
        ...(settings.dialTimeoutS === undefined ? {} : { timeoutS: settings.dialTimeoutS }),
      });
      return { callId: call.sid, status: call.status };
    },
    hangUp: async (callSid) => {
      await hangUpTwilioCall({ ...rest, callSid });
    },
  };
}

/** Telnyx as an {@link OutboundCarrier}; undefined without a connection (`connection_id`). */
export function telnyxOutbound(settings: TelnyxSettings | undefined): OutboundCarrier | undefined {
  const connectionId = settings?.connectionId;
  if (settings === undefined || connectionId === undefined) return undefined;
  const rest = { apiKey: settings.apiKey, apiBaseUrl: settings.apiBaseUrl };
  return {
    name: 'telnyx',
    dial: async ({ to, from, session, machineDetection }) => {
      const call = await createTelnyxCall({
        ...rest,
        connectionId,
        to,
        from,
        streamUrl: publicStreamUrl(
          settings.publicUrl,
          TELNYX_STREAM_PATH,
          settings.sessionInStreamUrl === true ? session.id : undefined,
        ),
        codec: settings.codec,
        webhookUrl: `${settings.publicUrl.replace(/\/$/, '')}${TELNYX_EVENTS_PATH}`,
        // Telnyx returns it in the stream's start and in every event of the call.
        clientState: JSON.stringify({
          session_id: session.id,
          tenant_id: session.tenant_id,
          stream_token: telnyxStreamToken(settings.apiKey, session.id),
        }),
        machineDetection,
      });
      return { callId: call.callControlId, status: 'initiated' };
    },
    hangUp: async (callControlId) => {
      await hangUpTelnyxCall({ ...rest, callControlId });
    },
  };
}

/** Attempts and backoff of a hang-up. */
export interface HangUpRetry {
  readonly attempts: number;
  /** Delay before the second attempt; doubled for each later one. */
  readonly baseDelayMs: number;
}

/** Defaults of {@link HangUpRetry}: 4 attempts, 500 ms, 1 s, 2 s apart. */
export const DEFAULT_HANG_UP_RETRY: HangUpRetry = Object.freeze({ attempts: 4, baseDelayMs: 500 });

/** Runs `hangUp` until it succeeds or the attempts run out (the clock times the backoff). */
export async function hangUpWithRetry(o: {
  readonly hangUp: () => Promise<void>;
  readonly clock: Clock;
  readonly retry?: HangUpRetry;
}): Promise<{ readonly ok: boolean; readonly attempts: number; readonly error?: string }> {
  const retry = o.retry ?? DEFAULT_HANG_UP_RETRY;
  let error = '';
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    try {
      await o.hangUp();
      return { ok: true, attempts: attempt };
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      // A refusal that will not change (bad credentials, a call that has ended) is not retried.
      if (VoiceError.is(err) && !err.retryable) return { ok: false, attempts: attempt, error };
    }
    if (attempt < retry.attempts) {
      const delay = retry.baseDelayMs * 2 ** (attempt - 1);
      await new Promise<void>((resolve) => o.clock.setTimeout(resolve, delay));
    }
  }
  return { ok: false, attempts: retry.attempts, error };
}

/** What each carrier needs configured to dial (for the error naming an unconfigured one). */
export const OUTBOUND_SETUP: Readonly<Record<OutboundCarrierName, string>> = {
  twilio: 'telephony.twilio needs account_sid',
  telnyx: 'telephony.telnyx needs connection_id',
  plivo: 'telephony.plivo needs auth_id',
  vonage: 'telephony.vonage needs application_id and private_key',
  exotel: 'telephony.exotel needs account_sid',
};

/** Statuses after which the carrier's call is over (Twilio's, Telnyx's, Plivo's, Vonage's, Exotel's terminal ones). */
const FINAL_STATUSES = new Set([
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
  'cancel',
  'cancelled',
  'timeout',
  'rejected',
  'unanswered',
]);

/** Whether `status` (as a carrier names it) ends the call. */
export function isFinalCallStatus(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

/** The calls placed and not yet over, by session. */
export interface OutboundCallRegistry {
  /** Remembers the call of `session`; when the session ends, hangs it up as described above. */
  track(session: LiveSession, carrier: OutboundCarrier, callId: string): void;
  /** The carrier said the call is over: no hang-up is needed. */
  ended(sessionId: string): void;
  /** The call of a session, while it is tracked. */
  callOf(
    sessionId: string,
  ): { readonly carrier: OutboundCarrierName; readonly callId: string } | undefined;
}

/** Session outcomes after which the carrier call is left alone. */
const LEAVE_CALL: ReadonlySet<SessionOutcome> = new Set(['caller_hangup', 'handoff']);

/** Creates an {@link OutboundCallRegistry}. */
export function createOutboundCallRegistry(o: {
  readonly clock: Clock;
  readonly retry?: HangUpRetry;
  readonly onError?: ((error: unknown) => void) | undefined;
  /** Called with each hang-up's outcome (for the metric). */
  readonly onHangUp?: ((carrier: OutboundCarrierName, ok: boolean) => void) | undefined;
}): OutboundCallRegistry {
  const calls = new Map<string, { carrier: OutboundCarrier; callId: string; over: boolean }>();
  return {
    track: (session, carrier, callId) => {
      const entry = { carrier, callId, over: false };
      calls.set(session.id, entry);
      void session.actor.closed.then(async (outcome) => {
        calls.delete(session.id);
        if (entry.over || LEAVE_CALL.has(outcome)) return;
        const result = await hangUpWithRetry({
          hangUp: () => carrier.hangUp(callId),
          clock: o.clock,
          ...(o.retry === undefined ? {} : { retry: o.retry }),
        });
        o.onHangUp?.(carrier.name, result.ok);
        if (!result.ok) {
          o.onError?.(
            new VoiceError('PROVIDER_UNAVAILABLE', {
              message: `Hanging up the ${carrier.name} call ${callId} failed after ${String(result.attempts)} attempts: ${result.error ?? ''}`,
              details: { provider: carrier.name, call_id: callId },
            }),
          );
        }
        session.emitter.emit('prx.voice.session.call_status', {
          carrier: carrier.name,
          call_id: callId,
          status: result.ok ? 'hung_up' : 'hangup_failed',
          attempts: result.attempts,
          ...(result.error === undefined ? {} : { error: result.error }),
        });
      });
    },
    ended: (sessionId) => {
      const entry = calls.get(sessionId);
      if (entry !== undefined) entry.over = true;
    },
    callOf: (sessionId) => {
      const entry = calls.get(sessionId);
      return entry === undefined
        ? undefined
        : { carrier: entry.carrier.name, callId: entry.callId };
    },
  };
}
