/**
 * `Idempotency-Key` handling (`POST /sessions`): the first request with a key
 * runs and its status and envelope `data` are stored; a repeat with the same
 * body gets the stored response again (a fresh `request_id`); another body is
 * 409 `IDEMPOTENCY_CONFLICT`; a repeat while the first still runs is 409
 * `CONFLICT` with `Retry-After: 1`; a failed first run is forgotten so a retry
 * can succeed. A run holds its key for a lease ({@link IDEMPOTENCY_LOCK_MS}): a
 * retry after it ran out (the process died mid-request) takes the key over and runs.
 */
import { createHash } from 'node:crypto';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { Repositories } from '@prx-voice/storage';
import type { ControlContext } from './context.js';
import { tenantOf } from './context.js';
import { ok } from './envelope.js';

/** The request header carrying the key. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** The response header marking a replayed response. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
/** How long a key is remembered: 24 h. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a request in progress holds its key before a retry may take it over: 60 s. */
export const IDEMPOTENCY_LOCK_MS = 60_000;

/** What an idempotent handler produces: the success status and the envelope's `data`. */
export interface IdempotentResult {
  readonly status: ContentfulStatusCode;
  readonly data: unknown;
}

/** JSON with object keys sorted at every level, so equal bodies hash alike whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  const text = JSON.stringify(value) as string | undefined;
  return text ?? 'null';
}

/** sha256 (hex) of the canonical JSON of a request body; a body that is not JSON hashes as its text. */
export function requestHash(bodyText: string): string {
  let canonical: string;
  try {
    canonical = bodyText.trim() === '' ? '' : canonicalJson(JSON.parse(bodyText));
  } catch {
    canonical = bodyText;
  }
  return createHash('sha256').update(canonical).digest('hex');
}

/** The request's `Idempotency-Key`, or undefined; `VALIDATION_FAILED` unless 1–255 printable characters. */
export function idempotencyKeyOf(c: ControlContext): string | undefined {
  const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > 255 || !/^[\x20-\x7e]+$/.test(key)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: 'Idempotency-Key must be 1–255 printable ASCII characters.',
      details: {
        location: 'header',
        issues: [
          { path: IDEMPOTENCY_KEY_HEADER, message: 'must be 1–255 printable ASCII characters' },
        ],
      },
    });
  }
  return key;
}

/**
 * Runs `handler` at most once per `Idempotency-Key` of the caller's tenant and
 * `scope`; without the header it simply runs. The body is read through Hono's
 * cache, so the handler may parse it too.
 *
 * @example
 * api.post('/sessions', (c) => withIdempotency(c, { repos, scope: 'POST /sessions' }, async () =>
 *   ({ status: 201, data: view(await manager.create(tenantId, body)) })));
 */
export async function withIdempotency(
  c: ControlContext,
  opts: {
    readonly repos: Repositories;
    readonly scope: string;
    readonly ttlMs?: number;
    /** The lease of a run in progress (default {@link IDEMPOTENCY_LOCK_MS}). */
    readonly lockMs?: number;
  },
  handler: () => Promise<IdempotentResult>,
): Promise<Response> {
  const key = idempotencyKeyOf(c);
  if (key === undefined) {
    const result = await handler();
    return ok(c, result.data, result.status);
  }
  const store = opts.repos.forTenant(tenantOf(c).id as TenantId).idempotency;
  const ref = { scope: opts.scope, key };
  const begun = await store.begin({
    ...ref,
    requestHash: requestHash(await c.req.text()),
    ttlMs: opts.ttlMs ?? IDEMPOTENCY_TTL_MS,
    lockMs: opts.lockMs ?? IDEMPOTENCY_LOCK_MS,
  });
  switch (begun.kind) {
    case 'replay': {
      c.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
      return ok(c, begun.response, begun.statusCode as ContentfulStatusCode);
    }
    case 'conflict':
      throw new VoiceError('IDEMPOTENCY_CONFLICT', { details: { idempotency_key: key } });
    case 'in_progress':
      throw new VoiceError('CONFLICT', {
        message: 'A request with this Idempotency-Key is still being processed.',
        retryable: true,
        details: { idempotency_key: key, retry_after_ms: 1000 },
      });
    case 'started':
      break;
  }
  // This run's attempt: if its lease ran out and a retry took the key over, it stores nothing.
  const attempt = { ...ref, lockedUntil: begun.lockedUntil };
  let result: IdempotentResult;
  try {
    result = await handler();
  } catch (err) {
    // The handler's error is the one to report, even if forgetting the key fails too.
    await store.abandon(attempt).catch(() => undefined);
    throw err;
  }
  await store.complete({ ...attempt, statusCode: result.status, response: result.data });
  return ok(c, result.data, result.status);
}
