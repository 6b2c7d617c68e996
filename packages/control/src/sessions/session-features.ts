/**
 * The feature flags a session consults (`features.<flag>` in the config): each
 * known flag, when configured, decides one session setting per tenant — on for
 * its allow-listed tenants or its rollout share, off otherwise — over the
 * `session.*` default. A flag that is not configured leaves the default.
 */
import { createFeatureFlags } from '@prx-voice/core';
import type { FeaturesConfig, SessionConfig } from '@prx-voice/core';

/** The flags sessions use, and the setting each one decides. */
export const SESSION_FEATURES = {
  /** `session.endpointing.speculative`: start the answer while the caller may still go on. */
  speculative_endpointing: (s: SessionConfig, on: boolean): SessionConfig => ({
    ...s,
    endpointing: { ...s.endpointing, speculative: on },
  }),
  /** `session.interrupt_enabled`: the caller may barge in over the bot. */
  interruptions: (s: SessionConfig, on: boolean): SessionConfig => ({
    ...s,
    interrupt_enabled: on,
  }),
} as const;

/** The `session` settings of a tenant's session, with the configured flags applied. */
export function sessionConfigFor(
  session: SessionConfig,
  features: FeaturesConfig,
  tenantId: string,
): SessionConfig {
  const flags = createFeatureFlags(features);
  let out = session;
  for (const [name, apply] of Object.entries(SESSION_FEATURES)) {
    if (features[name] === undefined) continue;
    out = apply(out, flags.isEnabled(name, { tenantId }));
  }
  return out;
}
