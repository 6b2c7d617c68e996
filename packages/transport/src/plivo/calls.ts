/**
 * Outbound calls through Plivo's Voice API: make a call (`POST
 * {api}/v1/Account/{auth_id}/Call/`, HTTP Basic auth with the Auth ID and Auth Token, JSON
 * `from`, `to`, `answer_url` — whose Plivo XML, fetched once the call is answered, connects
 * the audio stream — `ring_url`/`hangup_url` for the call's progress and, when asked,
 * asynchronous machine detection to `machine_detection_url`), answered `201 {message: "call
 * fired", request_uuid, api_id}`; hang up a live call (`DELETE …/Call/{call_uuid}/`) or cancel
 * one not answered yet (`DELETE …/Request/{request_uuid}/`), both `204`. Plivo's error body
 * `{api_id, error}` becomes a `VoiceError`.
 */
import { VoiceError } from '@prx-voice/types';
import { carrierJsonRequest } from '../telephony/carrier-rest.js';
import type { CarrierRestCommon } from '../telephony/carrier-rest.js';

/** Plivo's API base URL. */
export const PLIVO_API_BASE_URL = 'https://api.plivo.com';

/** How to reach Plivo's REST API for one account. */
export interface PlivoRestOptions extends CarrierRestCommon {
  /** Default {@link PLIVO_API_BASE_URL}. */
  readonly apiBaseUrl?: string;
  readonly authId: string;
  readonly authToken: string;
}

/** Options of {@link createPlivoCall}. */
export interface CreatePlivoCallOptions extends PlivoRestOptions {
  /** The number called (E.164, `+` optional) or a `sip:` URI. */
  readonly to: string;
  /** The caller ID: a Plivo number of the account (E.164, `+` optional). */
  readonly from: string;
  /** Where Plivo fetches the call's XML once it is answered (`answer_url`, POST). */
  readonly answerUrl: string;
  /** Where Plivo posts when the call rings (`ring_url`). */
  readonly ringUrl?: string;
  /** Where Plivo posts when the call ends, with its `CallStatus` and `HangupCause` (`hangup_url`). */
  readonly hangupUrl?: string;
  /** Detect an answering machine (`machine_detection=true`, asynchronous to `machineDetectionUrl`). */
  readonly machineDetection?: boolean;
  /** Where Plivo posts the detection result (`Machine=true|false`; default `hangupUrl`). */
  readonly machineDetectionUrl?: string;
  /** Seconds to ring before giving up (`ring_timeout`). */
  readonly ringTimeoutS?: number;
}

/** The call Plivo accepted. */
export interface PlivoCallRequest {
  /** Names the call until it is answered (`request_uuid`); its `CallUUID` comes in callbacks. */
  readonly requestUuid: string;
  /** `call fired` (or `call queued`). */
  readonly message: string;
}

const AUTH_ID = /^(MA|SA)[A-Z0-9]{18}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A number as Plivo writes it: E.164 digits without the `+`; SIP URIs as they are. */
const plivoNumber = (value: string): string => (value.startsWith('+') ? value.slice(1) : value);

async function plivoRequest(
  o: PlivoRestOptions,
  r: { method: 'POST' | 'DELETE'; path: string; body?: unknown; action: string },
): Promise<Record<string, unknown>> {
  if (!AUTH_ID.test(o.authId)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `The Plivo Auth ID ${JSON.stringify(o.authId)} is malformed (MA or SA and 18 more characters).`,
      details: { field: 'authId' },
    });
  }
  const base = (o.apiBaseUrl ?? PLIVO_API_BASE_URL).replace(/\/+$/, '');
  return carrierJsonRequest({
    carrier: 'plivo',
    label: 'Plivo',
    action: r.action,
    method: r.method,
    url: `${base}/v1/Account/${o.authId}${r.path}`,
    authorization: `Basic ${Buffer.from(`${o.authId}:${o.authToken}`).toString('base64')}`,
    ...(r.body === undefined ? {} : { body: r.body }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
    describe: (body) => ({
      text: typeof body['error'] === 'string' ? body['error'] : undefined,
    }),
  });
}

/**
 * Asks Plivo to place a call; resolves to its `request_uuid`. Throws `PROVIDER_AUTH_FAILED`
 * (401), `PROVIDER_RATE_LIMITED` (429), `PROVIDER_UNAVAILABLE` (5xx, network),
 * `PROVIDER_ERROR` (e.g. 400 for a bad number), `VALIDATION_FAILED` for a malformed Auth ID.
 *
 * @example
 * const call = await createPlivoCall({ authId, authToken, to: '+14155550100', from: '+14155550199', answerUrl });
 */
export async function createPlivoCall(o: CreatePlivoCallOptions): Promise<PlivoCallRequest> {
  const detect = o.machineDetection === true;
  const amdUrl = o.machineDetectionUrl ?? o.hangupUrl;
  const body = await plivoRequest(o, {
    method: 'POST',
    path: '/Call/',
    action: 'call',
    body: {
      from: plivoNumber(o.from),
      to: plivoNumber(o.to),
      answer_url: o.answerUrl,
      answer_method: 'POST',
      ...(o.ringUrl === undefined ? {} : { ring_url: o.ringUrl, ring_method: 'POST' }),
      ...(o.hangupUrl === undefined ? {} : { hangup_url: o.hangupUrl, hangup_method: 'POST' }),
      ...(detect ? { machine_detection: 'true' } : {}),
      ...(detect && amdUrl !== undefined
        ? { machine_detection_url: amdUrl, machine_detection_method: 'POST' }
        : {}),
      ...(o.ringTimeoutS === undefined ? {} : { ring_timeout: o.ringTimeoutS }),
    },
  });
  const requestUuid = body['request_uuid'];
  if (typeof requestUuid !== 'string' || requestUuid === '') {
    throw new VoiceError('PROVIDER_ERROR', {
      message: 'Plivo accepted the call but named no request_uuid.',
      details: { provider: 'plivo' },
    });
  }
  return {
    requestUuid,
    message: typeof body['message'] === 'string' ? body['message'] : 'call fired',
  };
}

const checkUuid = (field: string, value: string): void => {
  if (!UUID.test(value)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `The Plivo ${field} ${JSON.stringify(value)} is not a UUID.`,
      details: { field },
    });
  }
};

/** Hangs up a call Plivo connected, by its `CallUUID`; throws as {@link createPlivoCall} does. */
export async function hangUpPlivoCall(
  o: PlivoRestOptions & { readonly callUuid: string },
): Promise<void> {
  checkUuid('callUuid', o.callUuid);
  await plivoRequest(o, { method: 'DELETE', path: `/Call/${o.callUuid}/`, action: 'hang-up' });
}

/** Cancels a call not answered yet, by its `request_uuid`; throws as {@link createPlivoCall} does. */
export async function cancelPlivoCall(
  o: PlivoRestOptions & { readonly requestUuid: string },
): Promise<void> {
  checkUuid('requestUuid', o.requestUuid);
  await plivoRequest(o, {
    method: 'DELETE',
    path: `/Request/${o.requestUuid}/`,
    action: 'cancellation',
  });
}
