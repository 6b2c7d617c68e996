/**
 * Provider health for one server instance: the configured chain of each kind
 * (`adapters.<kind>.provider` then its `fallbacks`) probed every `intervalMs`
 * with each provider's active health check, joined with its circuit breaker.
 * Readiness holds while every kind has a usable provider; a probe whose
 * result changes is reported to the live sessions that use the provider.
 */
import type { BreakerState, HealthCheck, HealthReport, ProviderRegistry } from '@prx-voice/adapter';
import type { Clock, Config, TimerHandle } from '@prx-voice/core';
import type { CallStats } from './breaker-stats.js';
import type { BreakerPool } from './session-providers.js';

/** The provider kinds behind a breaker and a health probe. */
export type ProbedKind = 'asr' | 'agent' | 'tts';

const KINDS: readonly ProbedKind[] = ['asr', 'agent', 'tts'];

/** How often providers are probed (default 30 s). */
export const HEALTH_CHECK_INTERVAL_MS = 30_000;
/** The longest a probe may take before it counts as unhealthy (default 5 s). */
export const HEALTH_CHECK_TIMEOUT_MS = 5_000;

/** The last probe of a provider. */
export interface ProviderCheck {
  readonly kind: ProbedKind;
  readonly provider: string;
  readonly healthy: boolean;
  /** Round trip of the probe; null when it did not answer in time. */
  readonly latencyMs: number | null;
  readonly detail?: string;
}

/** One provider as the instance knows it: its place in the configured chain, breaker and probe. */
export interface ProviderStatus {
  readonly kind: ProbedKind;
  readonly provider: string;
  /** Its index in `adapters.<kind>` (0: the primary); null when only a session chose it. */
  readonly position: number | null;
  readonly breaker: BreakerState;
  /** Its recent calls through the breaker. */
  readonly calls: CallStats;
  /** The last active probe; null when it has none or was not probed yet. */
  readonly probe: ProviderCheck | null;
}

/** The providers' health. */
export interface ProviderHealth {
  /** Probes every configured provider that has a health check, now. */
  probe(): Promise<readonly ProviderCheck[]>;
  /** Starts probing every interval (the first at once). */
  start(): void;
  stop(): void;
  /**
   * For readiness: resolves with a summary when every kind has a provider
   * whose last probe passed (or that has no probe) and whose breaker is not
   * open; rejects naming the kinds that have none.
   */
  ready(): Promise<string>;
  /** The last probe of each provider. */
  readonly checks: readonly ProviderCheck[];
  /**
   * Every provider of each kind: the configured chain in order, then those only
   * sessions chose, with breaker state, recent calls and last probe.
   */
  status(): readonly ProviderStatus[];
}

/** Where `id` stands in `chain` (those outside it last). */
const rank = (chain: readonly string[], id: string): number => {
  const i = chain.indexOf(id);
  return i < 0 ? chain.length : i;
};

/** Creates the health monitor of the configured providers. */
export function createProviderHealth(opts: {
  readonly config: Config;
  readonly registry: ProviderRegistry;
  readonly clock: Clock;
  readonly breakers: BreakerPool;
  /** A probe's result differs from the previous one (or is the first). */
  readonly onCheck?: (check: ProviderCheck) => void;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
}): ProviderHealth {
  const { config, registry, clock } = opts;
  const intervalMs = opts.intervalMs ?? HEALTH_CHECK_INTERVAL_MS;
  const timeoutMs = opts.timeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
  const last = new Map<string, ProviderCheck>();
  let timer: TimerHandle | null = null;
  let stopped = false;

  const chain = (kind: ProbedKind): string[] => {
    const section = config.adapters[kind];
    return [section.provider, ...section.fallbacks.filter((f) => f !== section.provider)];
  };

  const lookup = (kind: ProbedKind, id: string) =>
    kind === 'asr' ? registry.asr(id) : kind === 'agent' ? registry.agent(id) : registry.tts(id);

  /** Keeps a probe's result; a changed one is reported. */
  const record = (result: ProviderCheck): ProviderCheck => {
    const key = `${result.kind}:${result.provider}`;
    const before = last.get(key);
    last.set(key, result);
    if (before?.healthy !== result.healthy || before.detail !== result.detail)
      opts.onCheck?.(result);
    return result;
  };

  const probeOne = async (kind: ProbedKind, id: string): Promise<ProviderCheck | undefined> => {
    let check: HealthCheck | undefined;
    try {
      check = lookup(kind, id).healthCheck;
    } catch (err) {
      // Not a provider of this build: sessions cannot use it either.
      const message = err instanceof Error ? err.message : String(err);
      return record({ kind, provider: id, healthy: false, latencyMs: null, detail: message });
    }
    if (check === undefined) return undefined;
    const controller = new AbortController();
    const started = clock.now();
    const report = await new Promise<HealthReport | null>((resolve) => {
      const t = clock.setTimeout(() => {
        controller.abort();
        resolve(null);
      }, timeoutMs);
      check({ options: config.adapters[kind].options, signal: controller.signal }).then(
        (r) => {
          clock.clearTimeout(t);
          resolve(r);
        },
        (err: unknown) => {
          clock.clearTimeout(t);
          resolve({ healthy: false, detail: err instanceof Error ? err.message : String(err) });
        },
      );
    });
    const result: ProviderCheck =
      report === null
        ? {
            kind,
            provider: id,
            healthy: false,
            latencyMs: null,
            detail: `no answer within ${String(timeoutMs)} ms`,
          }
        : {
            kind,
            provider: id,
            healthy: report.healthy,
            latencyMs: clock.now() - started,
            ...(report.detail === undefined ? {} : { detail: report.detail }),
          };
    return record(result);
  };

  const probe = async (): Promise<readonly ProviderCheck[]> => {
    const all = KINDS.flatMap((kind) => chain(kind).map((id) => probeOne(kind, id)));
    return (await Promise.all(all)).filter((c): c is ProviderCheck => c !== undefined);
  };

  const loop = (): void => {
    timer = null;
    if (stopped) return;
    void probe().finally(() => {
      if (!stopped) timer = clock.setTimeout(loop, intervalMs);
    });
  };

  const usable = (kind: ProbedKind, id: string): boolean => {
    const state: BreakerState = opts.breakers.get(kind, id).state;
    return state !== 'open' && last.get(`${kind}:${id}`)?.healthy !== false;
  };

  return {
    probe,
    start() {
      stopped = false;
      if (timer === null) loop();
    },
    stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
    ready() {
      const failing: string[] = [];
      const using: string[] = [];
      for (const kind of KINDS) {
        const ok = chain(kind).find((id) => usable(kind, id));
        if (ok === undefined) failing.push(`${kind} (${chain(kind).join(', ')})`);
        else using.push(`${kind}: ${ok}`);
      }
      return failing.length === 0
        ? Promise.resolve(using.join(', '))
        : Promise.reject(new Error(`no usable provider for ${failing.join('; ')}`));
    },
    get checks() {
      return [...last.values()];
    },
    status() {
      const out: ProviderStatus[] = [];
      for (const kind of KINDS) {
        const configured = chain(kind);
        // Breakers of the configured chain exist from here on, as readiness makes them.
        for (const id of configured) opts.breakers.get(kind, id);
        const pooled = opts.breakers.list().filter((b) => b.kind === kind);
        pooled.sort(
          (a, b) =>
            rank(configured, a.provider) - rank(configured, b.provider) ||
            a.provider.localeCompare(b.provider),
        );
        for (const b of pooled) {
          const position = configured.indexOf(b.provider);
          out.push({
            kind,
            provider: b.provider,
            position: position < 0 ? null : position,
            breaker: b.breaker.state,
            calls: b.breaker.stats(),
            probe: last.get(`${kind}:${b.provider}`) ?? null,
          });
        }
      }
      return out;
    },
  };
}
