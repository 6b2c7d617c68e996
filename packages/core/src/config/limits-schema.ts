/** The `limits` section: request sizes, per-instance capacity and rate limits. */
import { z } from 'zod';
import { integerIn, numberIn } from './schema-helpers.js';

/** A token bucket: sustained rate and burst size. */
function rateLimitSchema(defaults: { requests_per_second: number; burst: number }) {
  return z
    .strictObject({
      requests_per_second: numberIn(0.1, 100_000).default(defaults.requests_per_second),
      burst: integerIn(1, 1_000_000).default(defaults.burst),
    })
    .prefault({});
}

/** The `limits` section. */
export const limitsSchema = z.strictObject({
  max_body_bytes: integerIn(1_024, 104_857_600).default(1_048_576),
  max_ws_frame_bytes: integerIn(1_024, 16_777_216).default(262_144),
  max_sessions_per_instance: integerIn(1, 100_000).default(100),
  rate_limit: z
    .strictObject({
      per_tenant: rateLimitSchema({ requests_per_second: 100, burst: 200 }),
      per_credential: rateLimitSchema({ requests_per_second: 20, burst: 40 }),
    })
    .prefault({}),
});

/** The validated `limits` section. */
export type LimitsConfig = z.output<typeof limitsSchema>;
/** The validated token bucket of `limits.rate_limit.per_tenant` / `.per_credential`. */
export type RateLimitConfig = LimitsConfig['rate_limit']['per_tenant'];
