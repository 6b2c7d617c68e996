/**
 * Argument checks shared by both coordinators, so they refuse the same inputs
 * with the same `VALIDATION_FAILED` error before touching any state.
 */
import { VoiceError } from '@prx-voice/types';
import type {
  AcquireLeaseRequest,
  AppendOptions,
  CounterOptions,
  ReadAfterOptions,
  RenewLeaseRequest,
  TakeTokensRequest,
  TrimOptions,
} from './coordinator.js';

/** Largest ttl any coordination call accepts: the longest timer delay (about 24.8 days). */
const MAX_TTL_MS = 2_147_483_647;

function invalid(message: string, details: Record<string, unknown>): VoiceError {
  return new VoiceError('VALIDATION_FAILED', { message, details });
}

/** Checks a key, holder, channel or stream name: a non-empty string. */
export function checkName(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(`${what} must be a non-empty string`, {
      [what]: typeof value === 'string' ? value : typeof value,
    });
  }
  return value;
}

/** Checks a ttl: a finite number of ms in (0, 2^31 − 1]. */
export function checkTtl(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TTL_MS) {
    throw invalid(`ttlMs must be a finite number of milliseconds in (0, ${MAX_TTL_MS}]`, {
      ttlMs: value,
    });
  }
  return value;
}

function checkInteger(what: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(`${what} must be a safe integer >= ${min}`, { [what]: value });
  }
  return value;
}

function checkPositive(what: string, value: unknown, allowZero: boolean): number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && (allowZero ? value >= 0 : value > 0);
  if (!ok)
    throw invalid(`${what} must be a finite number ${allowZero ? '>= 0' : '> 0'}`, {
      [what]: value,
    });
  return value;
}

/** A lease request with defaults applied. */
export interface CheckedAcquire {
  readonly key: string;
  readonly holder: string;
  readonly ttlMs: number;
  readonly limit: number;
}

/** Checks an acquire request and applies `limit = 1`. */
export function checkAcquire(req: AcquireLeaseRequest): CheckedAcquire {
  return {
    key: checkName('key', req.key),
    holder: checkName('holder', req.holder),
    ttlMs: checkTtl(req.ttlMs),
    limit: checkInteger('limit', req.limit ?? 1, 1),
  };
}

/** Checks a renew request. */
export function checkRenew(req: RenewLeaseRequest): RenewLeaseRequest {
  return {
    key: checkName('key', req.key),
    holder: checkName('holder', req.holder),
    ttlMs: checkTtl(req.ttlMs),
  };
}

/** Checks a counter increment (`by` and optional `limit` are safe integers) and returns the window ttl or undefined. */
export function checkIncrement(
  key: string,
  by: number,
  opts: CounterOptions | undefined,
  limit?: number,
): number | undefined {
  checkName('key', key);
  if (!Number.isSafeInteger(by)) throw invalid('by must be a safe integer', { by });
  if (limit !== undefined && !Number.isSafeInteger(limit))
    throw invalid('limit must be a safe integer', { limit });
  return opts?.ttlMs === undefined ? undefined : checkTtl(opts.ttlMs);
}

/** A token request with defaults applied. */
export interface CheckedTakeTokens {
  readonly key: string;
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly cost: number;
}

/** Checks a token request and applies `cost = 1`. */
export function checkTakeTokens(req: TakeTokensRequest): CheckedTakeTokens {
  return {
    key: checkName('key', req.key),
    capacity: checkPositive('capacity', req.capacity, false),
    refillPerSecond: checkPositive('refillPerSecond', req.refillPerSecond, false),
    cost: checkPositive('cost', req.cost ?? 1, true),
  };
}

/** Append options after checking. */
export interface CheckedAppend {
  readonly position: number | undefined;
  readonly maxLength: number | undefined;
}

/** Checks append arguments: positions are safe integers ≥ 1, `maxLength` an integer ≥ 1. */
export function checkAppend(
  stream: string,
  payload: string,
  opts: AppendOptions | undefined,
): CheckedAppend {
  checkName('stream', stream);
  if (typeof payload !== 'string')
    throw invalid('payload must be a string', { payload: typeof payload });
  return {
    position: opts?.position === undefined ? undefined : checkInteger('position', opts.position, 1),
    maxLength:
      opts?.maxLength === undefined ? undefined : checkInteger('maxLength', opts.maxLength, 1),
  };
}

/** Checks readAfter arguments and returns the limit (undefined: all). */
export function checkReadAfter(
  stream: string,
  after: number,
  opts: ReadAfterOptions | undefined,
): number | undefined {
  checkName('stream', stream);
  checkInteger('after', after, 0);
  return opts?.limit === undefined ? undefined : checkInteger('limit', opts.limit, 1);
}

/** Trim options after checking: exactly one of the two. */
export type CheckedTrim =
  | { readonly kind: 'length'; readonly maxLength: number }
  | { readonly kind: 'before'; readonly position: number };

/** Checks trim arguments; `maxLength` may be 0 (remove everything). */
export function checkTrim(stream: string, opts: TrimOptions): CheckedTrim {
  checkName('stream', stream);
  if ('maxLength' in opts)
    return { kind: 'length', maxLength: checkInteger('maxLength', opts.maxLength, 0) };
  return { kind: 'before', position: checkInteger('beforePosition', opts.beforePosition, 1) };
}

/** The `STORAGE_UNAVAILABLE` error of a call on a closed coordinator. */
export function closedError(kind: 'memory' | 'redis'): VoiceError {
  return new VoiceError('STORAGE_UNAVAILABLE', {
    message: `The ${kind} coordinator is closed`,
    details: { coordinator: kind },
  });
}
