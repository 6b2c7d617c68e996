/**
 * The one response envelope of the API (`shared/PROTOCOL.md`):
 * `{ request_id, timestamp, data, error }` on every JSON response, errors included.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { VoiceErrorBody } from '@prx-voice/types';
import type { ControlContext } from './context.js';

/** A successful envelope. */
export interface OkEnvelope<T> {
  readonly request_id: string;
  readonly timestamp: string;
  readonly data: T;
  readonly error: null;
}

/** A failed envelope. */
export interface ErrorEnvelope {
  readonly request_id: string;
  readonly timestamp: string;
  readonly data: null;
  readonly error: VoiceErrorBody;
}

/** Either envelope. */
export type Envelope<T> = OkEnvelope<T> | ErrorEnvelope;

/** The request id of the context, or `'req_unknown'` before the request-id middleware ran. */
export function requestIdOf(c: ControlContext): string {
  // Unset only if a failure happened before the request-id middleware ran.
  const id = c.get('requestId') as string | undefined;
  return id ?? 'req_unknown';
}

/** The envelope timestamp: the app clock's now, as ISO 8601 UTC. */
export function timestampOf(c: ControlContext): string {
  const clock = c.get('clock') as { now(): number } | undefined;
  return new Date(clock === undefined ? Date.now() : clock.now()).toISOString();
}

/** Builds the success envelope of a response. */
export function okEnvelope<T>(c: ControlContext, data: T): OkEnvelope<T> {
  return { request_id: requestIdOf(c), timestamp: timestampOf(c), data, error: null };
}

/** Builds the error envelope of a response. */
export function errorEnvelope(c: ControlContext, error: VoiceErrorBody): ErrorEnvelope {
  return { request_id: requestIdOf(c), timestamp: timestampOf(c), data: null, error };
}

/**
 * Answers with `data` in the success envelope (default status 200).
 *
 * @example
 * return ok(c, sessionView(row), 201);
 */
export function ok(c: ControlContext, data: unknown, status: ContentfulStatusCode = 200): Response {
  return c.json(okEnvelope(c, data), status);
}
