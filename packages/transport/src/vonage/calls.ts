/**
 * Outbound calls through Vonage's Voice API: create a call (`POST {api}/v1/calls`, JSON,
 * authenticated by a JWT the application signs — RS256 with its private key, claims
 * `application_id`, `iat`, `exp`, `jti`) whose inline NCCO connects the answered call to
 * our WebSocket, with the call's events to `event_url` and, when asked, answering-machine
 * detection; answered `201 {uuid, status: "started", direction, conversation_uuid}`. Hang up
 * with `PUT {api}/v1/calls/{uuid}` `{action: "hangup"}` (`204`). Vonage's error body
 * `{type, title, detail}` becomes a `VoiceError`.
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { VoiceError } from '@prx-voice/types';
import { carrierJsonRequest } from '../telephony/carrier-rest.js';
import type { CarrierRestCommon } from '../telephony/carrier-rest.js';
import type { VonageConnectAction } from './ncco.js';

/** Vonage's API base URL. */
export const VONAGE_API_BASE_URL = 'https://api.nexmo.com';

/** How long a REST token is good for, in seconds. */
export const VONAGE_JWT_TTL_S = 900;

/** How to reach Vonage's Voice API as one application. */
export interface VonageRestOptions extends CarrierRestCommon {
  /** Default {@link VONAGE_API_BASE_URL}. */
  readonly apiBaseUrl?: string;
  readonly applicationId: string;
  /** The application's private key (PEM, or a key object). */
  readonly privateKey: string | KeyObject;
  /** Now, in ms since the epoch (default `Date.now`), for the token's `iat`. */
  readonly now?: () => number;
}

/** Options of {@link createVonageCall}. */
export interface CreateVonageCallOptions extends VonageRestOptions {
  /** The number called (E.164, `+` optional). */
  readonly to: string;
  /** The caller ID: a Vonage number of the account (E.164, `+` optional). */
  readonly from: string;
  /** What the call runs once answered (e.g. `vonageConnectNcco`'s). */
  readonly ncco: readonly VonageConnectAction[];
  /** Where Vonage posts the call's events (`event_url`, POST). */
  readonly eventUrl?: string;
  /** Detect an answering machine and go on either way (`machine_detection=continue`). */
  readonly machineDetection?: boolean;
  /** Seconds to ring before giving up (`ringing_timer`). */
  readonly ringingTimerS?: number;
}

/** The call Vonage created. */
export interface VonageCall {
  readonly uuid: string;
  readonly status: string;
  readonly conversationUuid: string;
}

const part = (value: unknown): string =>
  Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/**
 * The Bearer token of a Voice API request: a JWT signed RS256 with the application's
 * private key. Throws `CONFIG_INVALID` for a key that is not an RSA private key.
 */
export function vonageApplicationJwt(
  o: Pick<VonageRestOptions, 'applicationId' | 'privateKey' | 'now'>,
): string {
  let key: KeyObject;
  try {
    key = typeof o.privateKey === 'string' ? createPrivateKey(o.privateKey) : o.privateKey;
  } catch (cause) {
    throw new VoiceError('CONFIG_INVALID', {
      message: 'The Vonage private key is not a PEM private key.',
      details: { key: 'privateKey' },
      cause,
    });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new VoiceError('CONFIG_INVALID', {
      message: `The Vonage private key must be RSA (RS256), not ${String(key.asymmetricKeyType)}.`,
      details: { key: 'privateKey' },
    });
  }
  const iat = Math.floor((o.now ?? Date.now)() / 1000);
  const signed = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({
    application_id: o.applicationId,
    iat,
    exp: iat + VONAGE_JWT_TTL_S,
    jti: randomUUID(),
  })}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), key).toString('base64url')}`;
}

/** A number as Vonage writes it: E.164 digits without the `+`. */
const vonageNumber = (value: string): string => (value.startsWith('+') ? value.slice(1) : value);

async function vonageRequest(
  o: VonageRestOptions,
  r: { method: 'POST' | 'PUT'; path: string; body: unknown; action: string },
): Promise<Record<string, unknown>> {
  const base = (o.apiBaseUrl ?? VONAGE_API_BASE_URL).replace(/\/+$/, '');
  return carrierJsonRequest({
    carrier: 'vonage',
    label: 'Vonage',
    action: r.action,
    method: r.method,
    url: `${base}${r.path}`,
    authorization: `Bearer ${vonageApplicationJwt(o)}`,
    body: r.body,
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
    describe: (body) => {
      const title = typeof body['title'] === 'string' ? body['title'] : undefined;
      const detail = typeof body['detail'] === 'string' ? body['detail'] : undefined;
      const text = [title, detail].filter((v) => v !== undefined).join(': ');
      return { text: text === '' ? undefined : text };
    },
  });
}

/**
 * Asks Vonage to place a call; resolves to the new call (`started`). Throws
 * `PROVIDER_AUTH_FAILED` (401), `PROVIDER_RATE_LIMITED` (429), `PROVIDER_UNAVAILABLE` (5xx,
 * network), `PROVIDER_ERROR` (e.g. 400 for a bad number), `CONFIG_INVALID` for a bad key.
 *
 * @example
 * const call = await createVonageCall({ applicationId, privateKey, to: '+14155550100', from: '+14155550199', ncco });
 */
export async function createVonageCall(o: CreateVonageCallOptions): Promise<VonageCall> {
  const body = await vonageRequest(o, {
    method: 'POST',
    path: '/v1/calls',
    action: 'call',
    body: {
      to: [{ type: 'phone', number: vonageNumber(o.to) }],
      from: { type: 'phone', number: vonageNumber(o.from) },
      ncco: o.ncco,
      ...(o.eventUrl === undefined ? {} : { event_url: [o.eventUrl], event_method: 'POST' }),
      ...(o.machineDetection === true ? { machine_detection: 'continue' } : {}),
      ...(o.ringingTimerS === undefined ? {} : { ringing_timer: o.ringingTimerS }),
    },
  });
  const text = (key: string): string => (typeof body[key] === 'string' ? body[key] : '');
  if (text('uuid') === '') {
    throw new VoiceError('PROVIDER_ERROR', {
      message: 'Vonage accepted the call but named no uuid.',
      details: { provider: 'vonage' },
    });
  }
  return {
    uuid: text('uuid'),
    status: text('status') || 'started',
    conversationUuid: text('conversation_uuid'),
  };
}

/** Hangs up a call by its `uuid`; throws as {@link createVonageCall} does. */
export async function hangUpVonageCall(
  o: VonageRestOptions & { readonly uuid: string },
): Promise<void> {
  if (!/^[0-9A-Za-z-]{1,64}$/.test(o.uuid)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `The Vonage call uuid ${JSON.stringify(o.uuid)} is malformed.`,
      details: { field: 'uuid' },
    });
  }
  await vonageRequest(o, {
    method: 'PUT',
    path: `/v1/calls/${o.uuid}`,
    body: { action: 'hangup' },
    action: 'hang-up',
  });
}
