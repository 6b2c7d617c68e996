/**
 * One request to a carrier's REST API, shared by every carrier's call control
 * ({@link carrierFetch}: sent with the carrier's credentials as JSON or a form, the answer
 * parsed, an unreachable carrier reported the same way) and, for the carriers whose call
 * control is plain JSON over HTTPS (Plivo, Vonage), {@link carrierJsonRequest}: the request sent with the carrier's credentials,
 * its JSON answer parsed, and a refusal turned into a `VoiceError` whose code says whether
 * trying again can help — `PROVIDER_AUTH_FAILED` (401/403), `PROVIDER_RATE_LIMITED` (429),
 * `PROVIDER_UNAVAILABLE` (5xx, network; retryable), `PROVIDER_ERROR` (other refusals).
 */
import { VoiceError } from '@prx-voice/types';
import type { ErrorCode } from '@prx-voice/types';

/** What every carrier REST call may be given. */
export interface CarrierRestCommon {
  /** Aborts the request (a timeout, the session's end). */
  readonly signal?: AbortSignal;
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/** The error code of a refusal with HTTP `status`. */
export function carrierErrorCode(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'PROVIDER_AUTH_FAILED';
  if (status === 429) return 'PROVIDER_RATE_LIMITED';
  if (status >= 500) return 'PROVIDER_UNAVAILABLE';
  return 'PROVIDER_ERROR';
}

/** One request of {@link carrierFetch}. */
export interface CarrierFetchRequest extends CarrierRestCommon {
  /** The carrier, for errors (`plivo`). */
  readonly carrier: string;
  /** The carrier's name as people write it (`Plivo`). */
  readonly label: string;
  readonly method: 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  /** The `Authorization` header. */
  readonly authorization: string;
  /** Sent as JSON (an object) or as a form (`URLSearchParams`) when present. */
  readonly body?: unknown;
}

/** What a carrier answered: its status, its text and that text parsed as JSON (else undefined). */
export interface CarrierAnswer {
  readonly ok: boolean;
  readonly status: number;
  readonly text: string;
  readonly parsed: unknown;
}

/**
 * Sends a request to a carrier's REST API with its credentials; resolves to the answer,
 * whatever its status. Throws `PROVIDER_UNAVAILABLE` when the carrier cannot be reached,
 * and rethrows an abort.
 */
export async function carrierFetch(r: CarrierFetchRequest): Promise<CarrierAnswer> {
  const form = r.body instanceof URLSearchParams;
  let res: Response;
  try {
    res = await (r.fetch ?? fetch)(r.url, {
      method: r.method,
      headers: {
        authorization: r.authorization,
        accept: 'application/json',
        ...(r.body === undefined
          ? {}
          : {
              'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
            }),
      },
      ...(r.body === undefined ? {} : { body: form ? r.body.toString() : JSON.stringify(r.body) }),
      ...(r.signal === undefined ? {} : { signal: r.signal }),
    });
  } catch (err) {
    if (r.signal?.aborted === true) throw err;
    throw new VoiceError('PROVIDER_UNAVAILABLE', {
      message: `${r.label} is not reachable: ${err instanceof Error ? err.message : String(err)}`,
      details: { provider: r.carrier },
      cause: err,
    });
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { ok: res.ok, status: res.status, text, parsed };
}

/** One request of {@link carrierJsonRequest}. */
export interface CarrierJsonRequest extends CarrierFetchRequest {
  /** What the request does, for errors ("call", "hang-up"). */
  readonly action: string;
  /** The carrier's error text and code in its error body. */
  readonly describe: (body: Record<string, unknown>) => {
    readonly text?: string | undefined;
    readonly code?: string | undefined;
  };
}

/**
 * Sends the request; resolves to the JSON object answered (`{}` for an empty or non-object
 * body, e.g. a 204). Throws as described above, and rethrows an abort.
 */
export async function carrierJsonRequest(r: CarrierJsonRequest): Promise<Record<string, unknown>> {
  const { ok, status, text, parsed } = await carrierFetch(r);
  const body =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  if (ok) return body;
  const { text: said, code } = r.describe(body);
  throw new VoiceError(carrierErrorCode(status), {
    message: `${r.label} refused the ${r.action} (HTTP ${String(status)}${code === undefined ? '' : `, ${code}`}): ${said ?? (text.trim().slice(0, 200) || `HTTP ${String(status)}`)}`,
    details: {
      provider: r.carrier,
      status,
      ...(code === undefined ? {} : { [`${r.carrier}_code`]: code }),
    },
  });
}
