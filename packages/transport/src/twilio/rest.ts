/**
 * One form-encoded POST to Twilio's REST API (`{api}/2010-04-01/Accounts/{AccountSid}/…`,
 * HTTP Basic auth with the account SID and auth token), shared by call creation, update
 * and hang-up. Twilio's error body `{code, message, more_info, status}` becomes a
 * `VoiceError` naming Twilio's code.
 */
import { VoiceError } from '@prx-voice/types';
import type { ErrorCode } from '@prx-voice/types';
import { carrierFetch } from '../telephony/carrier-rest.js';

/** Twilio's API base URL. */
export const TWILIO_API_BASE_URL = 'https://api.twilio.com';

/** How to reach Twilio's REST API for one account. */
export interface TwilioRestOptions {
  /** Default {@link TWILIO_API_BASE_URL}. */
  readonly apiBaseUrl?: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** Aborts the request (a timeout, the session's end). */
  readonly signal?: AbortSignal;
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/** The fields of Twilio's call resource this uses. */
export interface TwilioCallResource {
  readonly sid: string;
  readonly status: string;
}

const SID = /^[A-Za-z]{2}[A-Za-z0-9]{1,62}$/;

/** Throws `VALIDATION_FAILED` naming the first malformed SID. */
export function checkTwilioSids(sids: Readonly<Record<string, string>>): void {
  for (const [field, value] of Object.entries(sids)) {
    if (!SID.test(value)) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `The Twilio ${field} ${JSON.stringify(value)} is malformed.`,
        details: { field },
      });
    }
  }
}

function twilioFailure(action: string, status: number, body: unknown): VoiceError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = typeof b['code'] === 'number' ? b['code'] : undefined;
  const text = typeof b['message'] === 'string' ? b['message'] : `HTTP ${String(status)}`;
  const kind: ErrorCode =
    status === 401 || status === 403
      ? 'PROVIDER_AUTH_FAILED'
      : status === 429
        ? 'PROVIDER_RATE_LIMITED'
        : status >= 500
          ? 'PROVIDER_UNAVAILABLE'
          : 'PROVIDER_ERROR';
  return new VoiceError(kind, {
    message: `Twilio refused the ${action} (HTTP ${String(status)}${code === undefined ? '' : `, code ${String(code)}`}): ${text}`,
    details: {
      provider: 'twilio',
      status,
      ...(code === undefined ? {} : { twilio_code: code }),
      ...(typeof b['more_info'] === 'string' ? { more_info: b['more_info'] } : {}),
    },
  });
}

/**
 * POSTs `form` to `{api}/2010-04-01/Accounts/{AccountSid}{path}`; resolves to the call
 * resource Twilio answers (`fallbackSid` when it names none). Throws `PROVIDER_AUTH_FAILED`
 * (401/403), `PROVIDER_RATE_LIMITED` (429), `PROVIDER_UNAVAILABLE` (5xx, network),
 * `PROVIDER_ERROR` (other refusals), and rethrows an abort.
 */
export async function postTwilioCallForm(
  o: TwilioRestOptions,
  request: {
    readonly path: string;
    readonly form: URLSearchParams;
    /** What the request does, for error messages ("call update"). */
    readonly action: string;
    readonly fallbackSid: string;
  },
): Promise<TwilioCallResource> {
  const base = (o.apiBaseUrl ?? TWILIO_API_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/2010-04-01/Accounts/${o.accountSid}${request.path}`;
  const answer = await carrierFetch({
    carrier: 'twilio',
    label: 'Twilio',
    method: 'POST',
    url,
    authorization: `Basic ${Buffer.from(`${o.accountSid}:${o.authToken}`).toString('base64')}`,
    body: request.form,
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
  });
  const body = answer.parsed;
  if (!answer.ok) throw twilioFailure(request.action, answer.status, body);
  const call = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  return {
    sid: typeof call['sid'] === 'string' ? call['sid'] : request.fallbackSid,
    status: typeof call['status'] === 'string' ? call['status'] : 'unknown',
  };
}
