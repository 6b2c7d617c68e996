/**
 * Outbound calls through Telnyx's Call Control API: dial (`POST {api}/v2/calls`, JSON,
 * Bearer API key) with a bidirectional media stream to our WebSocket, the call's events to
 * our webhook and, when asked, answering-machine detection; and hang up (`POST
 * {api}/v2/calls/{call_control_id}/actions/hangup`). Telnyx's error body
 * `{errors: [{code, title, detail}]}` becomes a `VoiceError` naming Telnyx's code.
 */
import { VoiceError } from '@prx-voice/types';
import type { ErrorCode } from '@prx-voice/types';
import type { TelnyxCodec } from './media-stream.js';
import { carrierFetch } from '../telephony/carrier-rest.js';

/** Telnyx's API base URL. */
export const TELNYX_API_BASE_URL = 'https://api.telnyx.com';

/** How to reach Telnyx's REST API. */
export interface TelnyxRestOptions {
  /** Default {@link TELNYX_API_BASE_URL}. */
  readonly apiBaseUrl?: string;
  readonly apiKey: string;
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
}

/** Options of {@link createTelnyxCall}. */
export interface CreateTelnyxCallOptions extends TelnyxRestOptions {
  /** The Call Control application the call is placed from (`connection_id`). */
  readonly connectionId: string;
  readonly to: string;
  readonly from: string;
  /** The media-stream WebSocket Telnyx opens once answered (`stream_url`). */
  readonly streamUrl: string;
  readonly codec: TelnyxCodec;
  /** Where Telnyx posts the call's events (`webhook_url`). */
  readonly webhookUrl?: string;
  /** Opaque text Telnyx returns in every event and in the stream's `start` (sent base64). */
  readonly clientState?: string;
  /** Detect an answering machine (`answering_machine_detection=detect`). */
  readonly machineDetection?: boolean;
}

/** The ids of a call Telnyx placed. */
export interface TelnyxCall {
  readonly callControlId: string;
  readonly callLegId: string;
  readonly callSessionId: string;
}

function telnyxFailure(action: string, status: number, body: unknown): VoiceError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const first = (Array.isArray(b['errors']) ? b['errors'][0] : undefined) as
    Record<string, unknown> | undefined;
  const code = typeof first?.['code'] === 'string' ? first['code'] : undefined;
  const text = [first?.['title'], first?.['detail']]
    .filter((v) => typeof v === 'string')
    .join(': ');
  const kind: ErrorCode =
    status === 401 || status === 403
      ? 'PROVIDER_AUTH_FAILED'
      : status === 429
        ? 'PROVIDER_RATE_LIMITED'
        : status >= 500
          ? 'PROVIDER_UNAVAILABLE'
          : 'PROVIDER_ERROR';
  return new VoiceError(kind, {
    message: `Telnyx refused the ${action} (HTTP ${String(status)}${code === undefined ? '' : `, code ${code}`}): ${text === '' ? `HTTP ${String(status)}` : text}`,
    details: { provider: 'telnyx', status, ...(code === undefined ? {} : { telnyx_code: code }) },
  });
}

async function postTelnyx(
  o: TelnyxRestOptions,
  path: string,
  body: Record<string, unknown>,
  action: string,
): Promise<Record<string, unknown>> {
  const base = (o.apiBaseUrl ?? TELNYX_API_BASE_URL).replace(/\/+$/, '');
  const answer = await carrierFetch({
    carrier: 'telnyx',
    label: 'Telnyx',
    method: 'POST',
    url: `${base}${path}`,
    authorization: `Bearer ${o.apiKey}`,
    body,
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
  });
  const parsed = answer.parsed;
  if (!answer.ok) throw telnyxFailure(action, answer.status, parsed);
  const data = (parsed as { data?: unknown } | undefined)?.data;
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
}

/**
 * Asks Telnyx to dial; resolves to the call's ids. Throws `PROVIDER_AUTH_FAILED`
 * (401/403), `PROVIDER_RATE_LIMITED` (429), `PROVIDER_UNAVAILABLE` (5xx, network),
 * `PROVIDER_ERROR` (e.g. 422 for a bad number).
 *
 * @example
 * const call = await createTelnyxCall({ apiKey, connectionId, to, from, streamUrl, codec: 'PCMU' });
 */
export async function createTelnyxCall(o: CreateTelnyxCallOptions): Promise<TelnyxCall> {
  const data = await postTelnyx(
    o,
    '/v2/calls',
    {
      connection_id: o.connectionId,
      to: o.to,
      from: o.from,
      stream_url: o.streamUrl,
      stream_track: 'inbound_track',
      stream_bidirectional_mode: 'rtp',
      stream_bidirectional_codec: o.codec,
      ...(o.webhookUrl === undefined
        ? {}
        : { webhook_url: o.webhookUrl, webhook_url_method: 'POST' }),
      ...(o.clientState === undefined
        ? {}
        : { client_state: Buffer.from(o.clientState, 'utf8').toString('base64') }),
      ...(o.machineDetection === true ? { answering_machine_detection: 'detect' } : {}),
    },
    'call',
  );
  const text = (key: string): string => (typeof data[key] === 'string' ? data[key] : '');
  return {
    callControlId: text('call_control_id'),
    callLegId: text('call_leg_id'),
    callSessionId: text('call_session_id'),
  };
}

/** Hangs up a call by its Call Control id; throws as {@link createTelnyxCall} does. */
export async function hangUpTelnyxCall(
  o: TelnyxRestOptions & { readonly callControlId: string },
): Promise<void> {
  await postTelnyx(
    o,
    `/v2/calls/${encodeURIComponent(o.callControlId)}/actions/hangup`,
    {},
    'hang-up',
  );
}
