/** The `features` section: feature flag definitions by flag name. */
import { z } from 'zod';
import { flag, numberIn, recordName } from './schema-helpers.js';

/** One feature flag; see `createFeatureFlags` for how it is evaluated. */
export const flagDefinitionSchema = z.strictObject({
  enabled: flag(),
  /** Tenants that always get the flag while it is enabled; an empty list allows nobody. */
  tenants: z
    .array(z.string().min(1, { error: 'expected a tenant id' }), {
      error: 'expected a list of tenant ids',
    })
    .optional(),
  /** Share of tenants (0–100, fractions allowed) that get the flag, by a stable hash. */
  percentage: numberIn(0, 100).optional(),
});

/** The `features` section: flag name → definition. */
export const featuresSchema = z
  .record(recordName('feature flag'), flagDefinitionSchema, {
    error: 'expected a mapping of flag names to definitions',
  })
  .default({});

/** A validated feature flag definition. */
export type FeatureFlagDefinition = z.output<typeof flagDefinitionSchema>;
/** The validated `features` section. */
export type FeaturesConfig = z.output<typeof featuresSchema>;
