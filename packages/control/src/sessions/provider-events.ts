/**
 * What live sessions hear about their providers: each breaker transition as
 * `adapter.state_changed` (closed → ready, half-open → degraded, open →
 * failed) and each changed probe result as `adapter.health_check`, sent to
 * every live session whose chain of that kind includes the provider.
 */
import type { ProviderRegistry } from '@prx-voice/adapter';
import type { Clock, Config } from '@prx-voice/core';
import { createProviderHealth } from './provider-health.js';
import type { ProbedKind, ProviderHealth } from './provider-health.js';
import type { LiveSession } from './session-manager.js';
import { createBreakerPool } from './session-providers.js';
import type { BreakerPool } from './session-providers.js';

/** How a breaker's state reads as an adapter lifecycle state. */
const ADAPTER_STATE = { closed: 'ready', half_open: 'degraded', open: 'failed' } as const;

/** The breakers and health monitor of one instance, reporting to its live sessions. */
export function createProviderMonitoring(opts: {
  readonly config: Config;
  readonly registry: ProviderRegistry;
  readonly clock: Clock;
  readonly sessions: () => Iterable<LiveSession>;
  readonly intervalMs?: number;
}): { readonly breakers: BreakerPool; readonly providerHealth: ProviderHealth } {
  /** Every live session whose chain of `kind` includes `provider`. */
  const using = (kind: ProbedKind, provider: string): LiveSession[] =>
    [...opts.sessions()].filter((s) => s.chains[kind].includes(provider));
  const breakers = createBreakerPool(opts.clock, (kind, provider, from, to) => {
    for (const s of using(kind, provider)) {
      s.emitter.emit(
        'prx.voice.adapter.state_changed',
        { kind, provider, from: ADAPTER_STATE[from], to: ADAPTER_STATE[to] },
        { severity: to === 'open' ? 'error' : to === 'half_open' ? 'warn' : 'info' },
      );
    }
  });
  const providerHealth = createProviderHealth({
    config: opts.config,
    registry: opts.registry,
    clock: opts.clock,
    breakers,
    ...(opts.intervalMs === undefined ? {} : { intervalMs: opts.intervalMs }),
    onCheck: (check) => {
      for (const s of using(check.kind, check.provider)) {
        s.emitter.emit(
          'prx.voice.adapter.health_check',
          {
            kind: check.kind,
            provider: check.provider,
            healthy: check.healthy,
            latency_ms: check.latencyMs,
            ...(check.detail === undefined ? {} : { detail: check.detail }),
          },
          { severity: check.healthy ? 'info' : 'warn' },
        );
      }
    },
  });
  return { breakers, providerHealth };
}
