/**
 * Outbound calls through Exotel's Voice v1 API, as Exotel documents it: `POST
 * {api}/v1/Accounts/{AccountSid}/Calls/connect.json` (HTTP Basic auth with the API key and
 * token, form-encoded) calls `From` — the person — showing `CallerId` (an ExoPhone), and once
 * answered either opens a bidirectional AgentStream to `StreamUrl` ("Connect Voice AI",
 * `StreamType=bidirectional`) or runs the App Bazaar flow at `Url`; `StatusCallback` receives
 * the `answered` and `terminal` events asked in `StatusCallbackEvents`. The answer is
 * `{"Call": {"Sid", "Status", …}}`; a refusal `{"RestException": {"Status", "Message"}}`
 * becomes a `VoiceError` naming Exotel's message.
 *
 * Exotel's v1 API documents no request that ends a live call: a bot ends the call by closing
 * its stream (Connect Voice AI: the call is over; a flow: it moves to the next applet, e.g.
 * Hangup). So there is no `hangUpExotelCall` here.
 */
import { VoiceError } from '@prx-voice/types';
import type { ErrorCode } from '@prx-voice/types';
import { carrierFetch } from '../telephony/carrier-rest.js';

/** Exotel's API base URL (Singapore; Mumbai accounts use `https://api.in.exotel.com`). */
export const EXOTEL_API_BASE_URL = 'https://api.exotel.com';

/** The status-callback events asked for (`StatusCallbackEvents`). */
export const EXOTEL_STATUS_CALLBACK_EVENTS = Object.freeze(['answered', 'terminal'] as const);

/** How to reach Exotel's REST API for one account. */
export interface ExotelRestOptions {
  /** Default {@link EXOTEL_API_BASE_URL}. */
  readonly apiBaseUrl?: string;
  readonly accountSid: string;
  readonly apiKey: string;
  readonly apiToken: string;
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
}

/** Options of {@link createExotelCall}: the answered call goes to a stream or to a flow. */
export type CreateExotelCallOptions = ExotelRestOptions & {
  /** The number called (`From`; E.164 preferred). */
  readonly to: string;
  /** The caller ID shown: an ExoPhone of the account (`CallerId`). */
  readonly callerId: string;
  /** Where Exotel posts the call's `answered` and `terminal` events (`StatusCallback`). */
  readonly statusCallback?: string;
  /** Ring timeout in seconds (`TimeOut`). */
  readonly timeoutS?: number;
  /** Longest call in seconds (`TimeLimit`, at most 14400). */
  readonly timeLimitS?: number;
  /** Metadata kept on the call (`CustomField`, at most 128 characters). */
  readonly customField?: string;
} & (
    | {
        /** The bot's WebSocket (`StreamUrl`, at most 600 characters), opened once answered. */
        readonly streamUrl: string;
        readonly flowUrl?: undefined;
      }
    | {
        /** An App Bazaar flow (`Url`: `http://my.exotel.com/{sid}/exoml/start_voice/{app_id}`). */
        readonly flowUrl: string;
        readonly streamUrl?: undefined;
      }
  );

/** The fields of Exotel's call resource this uses. */
export interface ExotelCall {
  readonly sid: string;
  readonly status: string;
}

const ACCOUNT_SID = /^[A-Za-z0-9_-]{1,64}$/;

function exotelFailure(status: number, body: unknown): VoiceError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const rest = (
    typeof b['RestException'] === 'object' && b['RestException'] !== null ? b['RestException'] : {}
  ) as Record<string, unknown>;
  const text = typeof rest['Message'] === 'string' ? rest['Message'] : `HTTP ${String(status)}`;
  const code =
    typeof rest['Code'] === 'number' || typeof rest['Code'] === 'string'
      ? String(rest['Code'])
      : undefined;
  const kind: ErrorCode =
    status === 401 || status === 403
      ? 'PROVIDER_AUTH_FAILED'
      : status === 429
        ? 'PROVIDER_RATE_LIMITED'
        : status >= 500
          ? 'PROVIDER_UNAVAILABLE'
          : 'PROVIDER_ERROR';
  return new VoiceError(kind, {
    message: `Exotel refused the call (HTTP ${String(status)}${code === undefined ? '' : `, code ${code}`}): ${text}`,
    details: { provider: 'exotel', status, ...(code === undefined ? {} : { exotel_code: code }) },
  });
}

/**
 * Asks Exotel to call `to`; resolves to the new call. Throws `VALIDATION_FAILED` for a
 * malformed account SID or an over-long `StreamUrl`, `PROVIDER_AUTH_FAILED` (401/403),
 * `PROVIDER_RATE_LIMITED` (429), `PROVIDER_UNAVAILABLE` (5xx, network), `PROVIDER_ERROR`
 * (other refusals, e.g. 400 for a bad number), and rethrows an abort.
 *
 * @example
 * const call = await createExotelCall({ accountSid, apiKey, apiToken, to: '+919876543210', callerId: '08047491899', streamUrl });
 */
export async function createExotelCall(o: CreateExotelCallOptions): Promise<ExotelCall> {
  if (!ACCOUNT_SID.test(o.accountSid)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `The Exotel account SID ${JSON.stringify(o.accountSid)} is malformed.`,
      details: { field: 'accountSid' },
    });
  }
  if (o.streamUrl !== undefined && o.streamUrl.length > 600) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Exotel takes a StreamUrl of at most 600 characters; this one has ${String(o.streamUrl.length)}.`,
      details: { field: 'streamUrl' },
    });
  }
  const form = new URLSearchParams({ From: o.to, CallerId: o.callerId });
  if (o.streamUrl !== undefined) {
    form.set('StreamUrl', o.streamUrl);
    form.set('StreamType', 'bidirectional');
  } else {
    form.set('Url', o.flowUrl);
  }
  if (o.statusCallback !== undefined) {
    form.set('StatusCallback', o.statusCallback);
    EXOTEL_STATUS_CALLBACK_EVENTS.forEach((event, i) =>
      form.set(`StatusCallbackEvents[${String(i)}]`, event),
    );
  }
  if (o.timeoutS !== undefined) form.set('TimeOut', String(o.timeoutS));
  if (o.timeLimitS !== undefined) form.set('TimeLimit', String(o.timeLimitS));
  if (o.customField !== undefined) form.set('CustomField', o.customField);

  const base = (o.apiBaseUrl ?? EXOTEL_API_BASE_URL).replace(/\/+$/, '');
  const answer = await carrierFetch({
    carrier: 'exotel',
    label: 'Exotel',
    method: 'POST',
    url: `${base}/v1/Accounts/${o.accountSid}/Calls/connect.json`,
    authorization: `Basic ${Buffer.from(`${o.apiKey}:${o.apiToken}`).toString('base64')}`,
    body: form,
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
  });
  const body = answer.parsed;
  if (!answer.ok) throw exotelFailure(answer.status, body);
  const call = (body as { Call?: unknown } | undefined)?.Call;
  const record = (typeof call === 'object' && call !== null ? call : {}) as Record<string, unknown>;
  if (typeof record['Sid'] !== 'string' || record['Sid'] === '') {
    throw new VoiceError('PROVIDER_ERROR', {
      message: 'Exotel answered the call request without a Call.Sid.',
      details: { provider: 'exotel', status: answer.status },
    });
  }
  return {
    sid: record['Sid'],
    status: typeof record['Status'] === 'string' ? record['Status'] : 'unknown',
  };
}
