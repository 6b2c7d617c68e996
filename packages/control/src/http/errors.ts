/**
 * The one error path of the API: anything thrown becomes the protocol's error
 * envelope with the registry status. A VoiceError keeps its code and details;
 * anything else is `INTERNAL` with no message or stack leaked, logged redacted.
 */
import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { redactValue, VoiceError } from '@prx-voice/types';
import type { ErrorCode } from '@prx-voice/types';
import type { Logger } from '@prx-voice/core';
import type { ControlContext, ControlEnv } from './context.js';
import { errorEnvelope } from './envelope.js';

/** Methods probed to tell 405 from 404. */
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'NOT_READY',
  504: 'TIMEOUT',
};

/** Seconds for `Retry-After` from a `retry_after_ms` detail: an integer ≥ 1. */
export function retryAfterSeconds(ms: unknown): number {
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0
    ? Math.max(1, Math.ceil(ms / 1000))
    : 1;
}

/** Turns anything thrown into a VoiceError (Hono's HTTPException by its status, the rest INTERNAL). */
export function toVoiceError(err: unknown): VoiceError {
  if (VoiceError.is(err)) return err;
  if (err instanceof HTTPException) {
    const code = STATUS_CODES[err.status] ?? 'INTERNAL';
    return new VoiceError(code, { cause: err });
  }
  return new VoiceError('INTERNAL', { cause: err });
}

/**
 * The response of an error: the envelope with the registry status, plus
 * `Retry-After` on every 429 (and wherever details carry `retry_after_ms`)
 * and `WWW-Authenticate: Bearer` on every 401.
 */
export function errorResponse(c: ControlContext, err: VoiceError): Response {
  const internal = err.code === 'INTERNAL';
  const body = errorEnvelope(c, {
    code: err.code,
    // An INTERNAL message may describe our insides; the registry's never does.
    message: internal ? 'An internal error occurred.' : err.message,
    retryable: err.retryable,
    details: internal ? {} : err.details,
  });
  const res = c.json(body, err.status as ContentfulStatusCode);
  const retryMs = err.details['retry_after_ms'];
  if (err.status === 429 || retryMs !== undefined) {
    res.headers.set('Retry-After', String(retryAfterSeconds(retryMs)));
  }
  if (err.status === 401) {
    const presented = c.req.header('authorization') !== undefined;
    res.headers.set(
      'WWW-Authenticate',
      presented ? 'Bearer realm="prx-voice", error="invalid_token"' : 'Bearer realm="prx-voice"',
    );
  }
  return res;
}

/** Logs a server-side failure with redaction applied to the whole entry. */
function logFailure(c: ControlContext, log: Logger, err: VoiceError, raw: unknown): void {
  const fields = redactValue({
    request_id: c.get('requestId') as string | undefined,
    method: c.req.method,
    path: c.req.path,
    code: err.code,
    error: raw,
  }) as Record<string, unknown>;
  log.error(fields, 'request failed');
}

/** The `app.onError` handler. */
export function createErrorHandler(log: Logger) {
  return (err: unknown, c: ControlContext): Response => {
    const voice = toVoiceError(err);
    // NOT_READY is the readiness probe saying so, not a failure worth a log line per probe.
    if (voice.status >= 500 && voice.code !== 'NOT_READY') logFailure(c, log, voice, err);
    return errorResponse(c, voice);
  };
}

interface RouterRouteLike {
  readonly method: string;
}

/** Methods that have a route (not only middleware) for `path`, in the app's router. */
export function allowedMethods(app: Hono<ControlEnv>, path: string): string[] {
  const allowed: string[] = [];
  for (const method of METHODS) {
    const [matches] = app.router.match(method, path) as unknown as [
      [[unknown, RouterRouteLike], unknown][],
    ];
    if (matches.some(([[, route]]) => route.method !== 'ALL')) allowed.push(method);
  }
  return allowed;
}

/** The `app.notFound` handler: 405 `METHOD_NOT_ALLOWED` with `Allow` when the path exists under another method, else 404 `NOT_FOUND`. */
export function createNotFoundHandler(app: Hono<ControlEnv>) {
  return (c: ControlContext): Response => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length === 0) {
      return errorResponse(
        c,
        new VoiceError('NOT_FOUND', { message: `No route for ${c.req.method} ${c.req.path}.` }),
      );
    }
    if (allowed.includes('GET')) allowed.push('HEAD');
    const res = errorResponse(
      c,
      new VoiceError('METHOD_NOT_ALLOWED', {
        message: `${c.req.method} is not allowed on ${c.req.path}.`,
        details: { allowed },
      }),
    );
    res.headers.set('Allow', allowed.join(', '));
    return res;
  };
}
