/**
 * One JSON request to a carrier's REST API, shared by the carriers whose call control is
 * plain JSON over HTTPS (Plivo, Vonage): the request sent with the carrier's credentials,
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

/** One request of {@link carrierJsonRequest}. */
export interface CarrierJsonRequest extends CarrierRestCommon {
  /** The carrier, for errors (`plivo`). */
  readonly carrier: string;
  /** The carrier's name as people write it (`Plivo`). */
  readonly label: string;
  /** What the request does, for errors ("call", "hang-up"). */
  readonly action: string;
  readonly method: 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  /** The `Authorization` header. */
  readonly authorization: string;
  /** Sent as JSON when present. */
  readonly body?: unknown;
  /** The carrier's error text and code in its error body. */
  readonly describe: (body: Record<string, unknown>) => {
    readonly text?: string | undefined;
    readonly code?: string | undefined;
  };
}

/** The error code of a refusal with HTTP `status`. */
export function carrierErrorCode(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'PROVIDER_AUTH_FAILED';
  if (status === 429) return 'PROVIDER_RATE_LIMITED';
  if (status >= 500) return 'PROVIDER_UNAVAILABLE';
  return 'PROVIDER_ERROR';
}

/**
 * Sends the request; resolves to the JSON object answered (`{}` for an empty or non-object
 * body, e.g. a 204). Throws as described above, and rethrows an abort.
 */
export async function carrierJsonRequest(r: CarrierJsonRequest): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await (r.fetch ?? fetch)(r.url, {
      method: r.method,
      headers: {
        authorization: r.authorization,
        accept: 'application/json',
        ...(r.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
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
  const body =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  if (res.ok) return body;
  const { text: said, code } = r.describe(body);
  const status = res.status;
  throw new VoiceError(carrierErrorCode(status), {
    message: `${r.label} refused the ${r.action} (HTTP ${String(status)}${code === undefined ? '' : `, ${code}`}): ${said ?? (text.trim().slice(0, 200) || `HTTP ${String(status)}`)}`,
    details: {
      provider: r.carrier,
      status,
      ...(code === undefined ? {} : { [`${r.carrier}_code`]: code }),
    },
  });
}
