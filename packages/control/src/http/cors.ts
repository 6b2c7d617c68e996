/** CORS from `server.cors`: the listed origins (or `*`), credentials when configured. */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { CorsConfig } from '@prx-voice/core';
import type { ControlEnv } from './context.js';
import { internalMiddleware } from './route-match.js';

/** Request headers browsers may send. */
export const CORS_ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'X-Request-Id',
  'Last-Event-ID',
  'traceparent',
];

/** Response headers browsers may read. */
export const CORS_EXPOSE_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Idempotent-Replayed',
  'WWW-Authenticate',
];

/** The CORS middleware of the config, or undefined when no origin is allowed. */
export function corsMiddleware(config: CorsConfig): MiddlewareHandler<ControlEnv> | undefined {
  if (config.origins.length === 0) return undefined;
  const wildcard = config.origins.includes('*');
  return internalMiddleware<MiddlewareHandler<ControlEnv>>(
    cors({
      origin: wildcard ? '*' : [...config.origins],
      credentials: config.allow_credentials,
      allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowHeaders: CORS_ALLOW_HEADERS,
      exposeHeaders: CORS_EXPOSE_HEADERS,
      maxAge: 600,
    }),
  );
}
