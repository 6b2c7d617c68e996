/**
 * HTTP tools: a tenant's JSON-Schema function bound to an HTTPS endpoint, turned into a
 * session {@link ToolRegistration}.
 *
 * **Request.** POST, PUT and PATCH send the JSON body
 * `{"tool", "arguments", "session_id", "turn_id", "call_id", "tenant_id"}` (`turn_id` is
 * null when unknown) as `application/json`; GET and DELETE send no body and put the
 * arguments in the query string (strings as they are, numbers and booleans as text,
 * arrays as repeated keys, objects and null as JSON). Headers: `user-agent:
 * prx-voice-tools/1`, `accept: application/json`, `x-prx-session-id`, `x-prx-call-id`,
 * `x-prx-tenant-id`, `x-prx-turn-id` (when known), the tool's own headers (`{ secret }`
 * values resolved through the context) and the signature.
 *
 * **Signature.** `x-prx-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(signingSecret,
 * "<t>.<body>")>` over the exact body bytes sent (the empty string for GET and DELETE);
 * receivers check it with {@link verifyToolSignature}. Each attempt is signed afresh.
 *
 * **Safety.** The host is resolved once, every address checked by the SSRF guard
 * (`ssrf.ts`), and the socket connects to the checked address; `http://` and non-public
 * addresses are only for hosts the operator allows. Redirects are errors, never
 * followed. Responses must be 2xx JSON, at most `maxResponseBytes`.
 *
 * **Timeouts and retries.** Each attempt may take `timeout_ms`; timeouts, 5xx and
 * connection errors are retried up to `retries` times after 100, 200, 400 ms. The
 * registration's `timeoutMs` is the whole budget, so the registry's deadline (and
 * barge-in, unless `continue_on_interrupt`) aborts the socket through the signal.
 *
 * Errors are `VoiceError`s (`TOOL_FAILED`, `TOOL_TIMEOUT`) whose details name the tool,
 * the URL's host, the status and a `reason`; never header values, secrets, or the URL's
 * path and query.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ToolContext, ToolRegistration } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';
import { sendPinned } from './http-request.js';
import type { PinnedResponse } from './http-request.js';
import { isHeaderValue } from './http-tool-spec.js';
import type { HttpToolSpec, SecretRef } from './http-tool-spec.js';
import { isPrivateAllowed, resolveTarget, stripBrackets, systemLookup } from './ssrf.js';
import type { HostLookup } from './ssrf.js';
import { signToolRequest, TOOL_SIGNATURE_HEADER } from './tool-signature.js';
import { abortable } from './abortable.js';

export { httpToolSpecSchema } from './http-tool-spec.js';
export type { HttpToolSpec } from './http-tool-spec.js';
export { TOOL_SIGNATURE_HEADER, verifyToolSignature } from './tool-signature.js';

/** What an HTTP tool needs from its session and the operator. */
export interface HttpToolContext {
  readonly tenantId: string;
  readonly sessionId: string;
  /** The id of the turn in progress when the call starts, if known. */
  readonly turnId?: () => string | undefined;
  /** Reads the HMAC-SHA256 key signing every request (the assistant's signing secret), per attempt. */
  readonly signingSecret: () => string;
  /** Resolves a `{secret}` header value to its plaintext. */
  readonly secret: (value: { secret: string }) => string;
  /** Hosts allowed even though they resolve to private/loopback/link-local addresses (operator config); `true`: allow all. */
  readonly allowPrivate: boolean | readonly string[];
  /** Injected for tests/operators: resolves a host name to addresses (default node:dns lookup all). */
  readonly lookup?: HostLookup;
  /** Largest response body accepted, bytes (default 64 KiB). */
  readonly maxResponseBytes?: number;
  /** Time source for the signature timestamp. */
  readonly now: () => number;
}

/** The default of {@link HttpToolContext.maxResponseBytes}: 64 KiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = 'prx-voice-tools/1';
/** Extra time the last attempt's own timer allows, so the registry's deadline fires first. */
const LAST_ATTEMPT_GRACE_MS = 250;

/** The wait before retry `n` (1-based): 100, 200, 400 ms. */
function backoffMs(retry: number): number {
  return 100 * 2 ** (retry - 1);
}

/** One call's request, the same on every attempt (the signature is added per attempt). */
interface Prepared {
  readonly url: URL;
  readonly body: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

type Attempt =
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'failed'; readonly error: VoiceError; readonly retryable: boolean };

/**
 * A ToolRegistration that calls the endpoint.
 *
 * @example
 * const spec = httpToolSpecSchema.parse(stored);
 * registry.register(httpTool(spec, { tenantId, sessionId, turnId: () => turn?.id,
 *   signingSecret: () => signing, secret: (ref) => vault.open(ref.secret), allowPrivate: false,
 *   now: Date.now }));
 */
export function httpTool(spec: HttpToolSpec, ctx: HttpToolContext): ToolRegistration {
  const { name, http } = spec;
  const base = new URL(http.url);
  const host = stripBrackets(base.hostname);
  const allowed = isPrivateAllowed(ctx.allowPrivate, base.hostname);
  const lookup = ctx.lookup ?? systemLookup;
  const maxResponseBytes = ctx.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const hasBody = http.method !== 'GET' && http.method !== 'DELETE';
  let budgetMs = http.timeout_ms * (http.retries + 1);
  for (let retry = 1; retry <= http.retries; retry++) budgetMs += backoffMs(retry);

  const fail = (
    message: string,
    details: Record<string, unknown>,
    code: 'TOOL_FAILED' | 'TOOL_TIMEOUT' = 'TOOL_FAILED',
  ): VoiceError =>
    new VoiceError(code, {
      message: `Tool "${name}" (${host}): ${message}`,
      details: { tool: name, url_host: host, ...details },
    });

  function cancelled(signal: AbortSignal): VoiceError {
    const reason: unknown = signal.reason;
    if (VoiceError.is(reason)) return reason;
    return fail('the call was cancelled.', { reason: 'cancelled' });
  }

  function headersFor(
    body: string | undefined,
    callId: string,
    turnId: string | undefined,
  ): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [header, value] of Object.entries(http.headers ?? {})) {
      headers[header] = typeof value === 'string' ? value : resolveSecret(header, value);
    }
    headers['user-agent'] = USER_AGENT;
    headers.accept = 'application/json';
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body, 'utf8'));
    }
    headers['x-prx-session-id'] = ctx.sessionId;
    headers['x-prx-call-id'] = callId;
    headers['x-prx-tenant-id'] = ctx.tenantId;
    if (turnId !== undefined) headers['x-prx-turn-id'] = turnId;
    return headers;
  }

  function resolveSecret(header: string, ref: SecretRef): string {
    let plain: string;
    try {
      plain = ctx.secret(ref);
    } catch {
      throw fail(`the secret of header "${header}" could not be resolved.`, {
        reason: 'secret_unavailable',
        header,
      });
    }
    if (!isHeaderValue(plain)) {
      throw fail(`the secret of header "${header}" is not a valid header value.`, {
        reason: 'secret_invalid',
        header,
      });
    }
    return plain;
  }

  async function attempt(prepared: Prepared, signal: AbortSignal): Promise<Attempt> {
    const { url, body, headers } = prepared;
    const failed = (error: VoiceError, retryable: boolean): Attempt => ({
      kind: 'failed',
      error,
      retryable,
    });
    const target = await abortable(
      resolveTarget(base.hostname, { lookup, allowPrivate: allowed }),
      signal,
    );
    if (target.kind === 'blocked') {
      return failed(
        fail(`the host resolves to a ${target.reason.replace('_', '-')} address; refused.`, {
          reason: 'address_not_allowed',
          address_class: target.reason,
        }),
        false,
      );
    }
    if (target.kind === 'unresolved') {
      return failed(fail('the host name could not be resolved.', { reason: 'dns_failed' }), true);
    }
    let signingSecret: string;
    try {
      signingSecret = ctx.signingSecret();
    } catch {
      return failed(
        fail('the signing secret could not be read.', { reason: 'secret_unavailable' }),
        false,
      );
    }
    const signature = signToolRequest(signingSecret, body ?? '', ctx.now());
    let response: PinnedResponse;
    try {
      response = await sendPinned({
        url,
        method: http.method,
        headers: { ...headers, [TOOL_SIGNATURE_HEADER]: signature },
        body,
        address: target.address,
        signal,
        maxResponseBytes,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      const code = (error as { code?: unknown }).code;
      return failed(
        fail('the connection failed.', {
          reason: 'connection_failed',
          ...(typeof code === 'string' ? { error_code: code } : {}),
        }),
        true,
      );
    }
    return judge(response);
  }

  function judge({ status, contentType, body, tooLarge }: PinnedResponse): Attempt {
    const failed = (message: string, reason: string, retryable = false): Attempt => ({
      kind: 'failed',
      error: fail(message, { reason, status }),
      retryable,
    });
    if (status >= 300 && status <= 399) {
      return failed(`the endpoint answered ${status}; redirects are not followed.`, 'redirect');
    }
    if (status >= 400 && status <= 499) {
      return failed(`the endpoint answered ${status}.`, 'client_error');
    }
    if (status < 200 || status > 299) {
      return failed(`the endpoint answered ${status}.`, 'server_error', true);
    }
    if (tooLarge === true || body === undefined) {
      return failed(`response larger than ${maxResponseBytes} bytes.`, 'response_too_large');
    }
    if (body.length === 0) return { kind: 'ok', value: null };
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      return { kind: 'ok', value: JSON.parse(text) as unknown };
    } catch {
      const type = contentType ?? 'none';
      return failed(`the response is not JSON (content type ${type}).`, 'not_json');
    }
  }

  async function call(args: Record<string, unknown>, tool: ToolContext): Promise<unknown> {
    const { signal, callId } = tool;
    if (base.protocol !== 'https:' && !allowed) {
      throw fail('only https:// URLs may be called.', { reason: 'insecure_url' });
    }
    const turnId = ctx.turnId?.();
    const url = new URL(base);
    let body: string | undefined;
    if (hasBody) {
      body = JSON.stringify({
        tool: name,
        arguments: args,
        session_id: ctx.sessionId,
        turn_id: turnId ?? null,
        call_id: callId,
        tenant_id: ctx.tenantId,
      });
    } else {
      appendQuery(url, args);
    }
    const prepared: Prepared = { url, body, headers: headersFor(body, callId, turnId) };
    for (let retry = 0; ; retry++) {
      if (retry > 0) {
        try {
          await delay(backoffMs(retry), undefined, { signal });
        } catch {
          throw cancelled(signal);
        }
      }
      const last = retry === http.retries;
      const limitMs = http.timeout_ms + (last ? LAST_ATTEMPT_GRACE_MS : 0);
      const timeout = AbortSignal.timeout(limitMs);
      const combined = AbortSignal.any([signal, timeout]);
      let outcome: Attempt;
      try {
        outcome = await attempt(prepared, combined);
      } catch (error) {
        if (signal.aborted) throw cancelled(signal);
        if (!timeout.aborted) throw error;
        outcome = {
          kind: 'failed',
          error: fail(
            `no answer within ${http.timeout_ms} ms.`,
            { reason: 'timeout' },
            'TOOL_TIMEOUT',
          ),
          retryable: true,
        };
      }
      if (outcome.kind === 'ok') return outcome.value;
      if (!outcome.retryable || last) throw outcome.error;
    }
  }

  return {
    name,
    description: spec.description,
    parameters: spec.parameters,
    timeoutMs: budgetMs,
    continueOnInterrupt: spec.continue_on_interrupt,
    handler: call,
  };
}

/** Adds tool arguments to a URL's query string. */
function appendQuery(url: URL, args: Record<string, unknown>): void {
  const text = (value: unknown): string =>
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : JSON.stringify(value);
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, text(item));
    else url.searchParams.append(key, text(value));
  }
}
