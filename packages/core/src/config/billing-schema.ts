/** The `billing` section: closing periods and exporting usage. */
import { z } from 'zod';
import { integerIn, urlString } from './schema-helpers.js';

/** The `billing` section. */
export const billingSchema = z.strictObject({
  /** Late usage waited for after a month's end before the period may close, ms. */
  close_grace_ms: integerIn(0, 31 * 24 * 3_600_000).default(24 * 3_600_000),
  /** Delivery of every usage event to an HTTP endpoint as CloudEvents (off without an endpoint). */
  export: z
    .strictObject({
      /** e.g. an OpenMeter ingest URL, `https://openmeter.example/api/v1/events`. */
      endpoint: urlString(['http', 'https'], 'https://meter.example/api/v1/events').optional(),
      /** Headers of every request (e.g. `authorization`). */
      headers: z.record(z.string(), z.string()).default({}),
      batch_size: integerIn(1, 1000).default(100),
      /** How often pending usage is looked for when idle, ms. */
      interval_ms: integerIn(100, 3_600_000).default(5_000),
      /** A request not answered by then is a failed attempt, ms. */
      timeout_ms: integerIn(100, 120_000).default(10_000),
      /** Failed attempts of a batch before its events go to the dead letters. */
      max_attempts: integerIn(1, 100).default(8),
      /** First retry delay, doubling up to 5 minutes, ms. */
      backoff_ms: integerIn(10, 300_000).default(1_000),
    })
    .prefault({}),
});

/** The validated `billing` section. */
export type BillingConfig = z.output<typeof billingSchema>;
