/** Readiness: named probes (storage, coordination, degradation, draining) folded into one report. */
import type { Clock } from '@prx-voice/core';

/** One probe's result. */
export interface ReadinessCheck {
  readonly name: string;
  readonly ok: boolean;
  /** Why it failed, or what it reported. */
  readonly detail?: string;
}

/** What `GET /health/ready` reports. */
export interface ReadinessReport {
  /** True when every check passed. */
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
}

/** A probe: healthy when it resolves (a string is kept as the detail), failed when it rejects or resolves `false`. */
export type ReadinessProbe = () => Promise<unknown>;

/**
 * Builds a `readiness()` for the app from named probes, each bounded by
 * `timeoutMs` on the clock (default 2 s).
 *
 * @example
 * const readiness = createReadiness({ clock, probes: { storage: () => storage.ping(), draining: async () => manager.accepting } });
 */
export function createReadiness(opts: {
  readonly clock: Clock;
  readonly probes: Readonly<Record<string, ReadinessProbe>>;
  readonly timeoutMs?: number;
}): () => Promise<ReadinessReport> {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  const run = (name: string, probe: ReadinessProbe): Promise<ReadinessCheck> =>
    new Promise<ReadinessCheck>((resolve) => {
      const timer = opts.clock.setTimeout(() => {
        resolve({ name, ok: false, detail: `no answer within ${timeoutMs} ms` });
      }, timeoutMs);
      const settle = (check: ReadinessCheck): void => {
        opts.clock.clearTimeout(timer);
        resolve(check);
      };
      probe().then(
        (value) => {
          if (value === false) settle({ name, ok: false });
          else
            settle(
              typeof value === 'string' ? { name, ok: true, detail: value } : { name, ok: true },
            );
        },
        (err: unknown) => {
          settle({ name, ok: false, detail: err instanceof Error ? err.message : String(err) });
        },
      );
    });
  return async () => {
    const checks = await Promise.all(Object.entries(opts.probes).map(([n, p]) => run(n, p)));
    return { ready: checks.every((c) => c.ok), checks };
  };
}
