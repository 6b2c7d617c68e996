/**
 * Token-bucket arithmetic of the in-process coordinator. The Redis Lua script
 * (`redis-scripts.ts`, `TAKE_TOKENS`) performs the same double-precision
 * operations in the same order, so both backends answer identically. Tokens are
 * counted in thousandths ("milli-tokens"): with integer rates and millisecond
 * clocks every step is exact, so waits like "1 ms until the next token" do not
 * pick up floating-point rounding.
 */
import type { CheckedTakeTokens } from './coordination-args.js';
import type { TakeTokensResult } from './coordinator.js';

/** A stored bucket: milli-tokens as of `updatedAt` (clock ms). */
export interface BucketState {
  readonly milliTokens: number;
  readonly updatedAt: number;
}

/** The new bucket state and the answer of one take. */
export interface BucketStep {
  readonly state: BucketState;
  readonly result: TakeTokensResult;
}

/**
 * Refills a bucket up to `now` and takes `cost` tokens if there are enough. A
 * missing bucket is full; a clock behind the bucket's `updatedAt` refills nothing.
 */
export function takeFromBucket(
  previous: BucketState | undefined,
  req: CheckedTakeTokens,
  now: number,
): BucketStep {
  const rate = req.refillPerSecond; // milli-tokens per ms
  const full = req.capacity * 1000;
  const cost = req.cost * 1000;
  let milli = previous?.milliTokens ?? full;
  let updatedAt = previous?.updatedAt ?? now;
  if (now > updatedAt) {
    milli = Math.min(full, milli + (now - updatedAt) * rate);
    updatedAt = now;
  }
  if (milli > full) milli = full;
  let allowed = false;
  let retryAfterMs = 0;
  if (cost > full) {
    retryAfterMs = Number.POSITIVE_INFINITY;
  } else if (milli >= cost) {
    milli -= cost;
    allowed = true;
  } else {
    retryAfterMs = Math.ceil((cost - milli) / rate);
  }
  const resetMs = Math.ceil((full - milli) / rate);
  return {
    state: { milliTokens: milli, updatedAt },
    result: { allowed, remaining: Math.floor(milli / 1000), retryAfterMs, resetMs },
  };
}
