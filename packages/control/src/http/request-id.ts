/** The request-id middleware: echo a sane `X-Request-Id` or mint a `req_…`, and send it back. */
import type { MiddlewareHandler } from 'hono';
import type { Clock } from '@prx-voice/core';
import type { IdGenerator } from '@prx-voice/types';
import type { ControlEnv } from './context.js';
import { internalMiddleware } from './route-match.js';

/** The request and response header carrying the request id. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Longest client request id echoed. */
export const MAX_REQUEST_ID_LENGTH = 128;

const SANE = /^[\x20-\x7e]+$/;

/** The client's request id when it is 1–128 printable ASCII characters, else undefined. */
export function saneRequestId(value: string | undefined | null): string | undefined {
  const v = value?.trim();
  if (v === undefined || v.length === 0 || v.length > MAX_REQUEST_ID_LENGTH) return undefined;
  return SANE.test(v) ? v : undefined;
}

/** Sets `requestId` and `clock` on the context and the `X-Request-Id` response header. */
export function requestIdMiddleware(opts: {
  readonly ids: IdGenerator;
  readonly clock: Clock;
}): MiddlewareHandler<ControlEnv> {
  return internalMiddleware<MiddlewareHandler<ControlEnv>>(async (c, next) => {
    const id = saneRequestId(c.req.header(REQUEST_ID_HEADER)) ?? opts.ids.next('request');
    c.set('requestId', id);
    c.set('clock', opts.clock);
    await next();
    c.res.headers.set(REQUEST_ID_HEADER, id);
  });
}
