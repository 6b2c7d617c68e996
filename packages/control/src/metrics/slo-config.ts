/**
 * The server's objectives from `observe.slos.<name>`: the built-in ones (`DEFAULT_SLOS` of
 * observe) with the configured objective and threshold over each, burn rates exposed in
 * `registry`.
 */
import type { Clock, Config } from '@prx-voice/core';
import { DEFAULT_SLOS, createSloTracker } from '@prx-voice/observe';
import type { SloTracker, VoiceMetrics } from '@prx-voice/observe';

/** The SLO tracker `observe.slos` describes. */
export function sloTrackerFromConfig(
  config: Config,
  clock: Clock,
  registry: VoiceMetrics['registry'],
): SloTracker {
  return createSloTracker({
    clock,
    registry,
    slos: DEFAULT_SLOS.map((d) => {
      const o = config.observe.slos[d.name as keyof typeof config.observe.slos];
      return {
        ...d,
        ...(o?.objective === undefined ? {} : { objective: o.objective }),
        ...(o?.threshold_ms === undefined || d.thresholdMs === undefined
          ? {}
          : { thresholdMs: o.threshold_ms }),
      };
    }),
  });
}
