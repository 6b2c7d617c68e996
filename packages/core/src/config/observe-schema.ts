/** The `observe` section: how the server watches itself. */
import { z } from 'zod';
import { integerIn, numberIn } from './schema-helpers.js';

/** The `observe` section. */
export const observeSchema = z.strictObject({
  /** The degradation controller (levels L0–L4 from event-loop lag, load, heap use). */
  degradation: z
    .strictObject({
      /** How often the signals are sampled, ms. */
      sample_ms: integerIn(50, 600_000).default(5_000),
      /** Least time at a level before coming down from it, ms. */
      min_dwell_ms: integerIn(0, 3_600_000).default(30_000),
      /** How far below a level's threshold every signal must be to come down (fraction). */
      hysteresis: numberIn(0, 0.9).default(0.2),
    })
    .prefault({}),
});

/** The validated `observe` section. */
export type ObserveConfig = z.output<typeof observeSchema>;
