/**
 * The degradation controller: five levels, L0 (normal) to L4 (shedding), moved by
 * measured signals — event-loop lag, live sessions against capacity, heap use, provider
 * error rate. It climbs at once to the highest level any signal reaches; it comes down
 * one level at a time, only once every signal is below that level's threshold by the
 * hysteresis margin and the level has lasted the minimum dwell, so a signal hovering
 * at a threshold does not make the level flap.
 */
import type { Clock } from '@prx-voice/core';

/** A degradation level: 0 normal … 4 shedding new sessions. */
export type DegradationLevel = 0 | 1 | 2 | 3 | 4;

/** What the controller is told, once per sample. */
export interface DegradationSignals {
  /** p99 of the event loop's delay over the last sample, ms. */
  readonly eventLoopLagMs: number;
  /** Live sessions over the instance's capacity (`limits.max_sessions_per_instance`), 0…1+. */
  readonly load: number;
  /** Heap used over the heap limit, 0…1. */
  readonly heap: number;
  /** Failed provider requests over all, 0…1, over the last sample (absent: not measured). */
  readonly providerErrorRate?: number;
  /**
   * The fastest error-budget burn confirmed by both windows of an alert tier — e.g.
   * min(burn over 5 m, burn over 1 h) — over the objectives (absent: not measured).
   */
  readonly burnRate?: number;
}

/** A signal's name. */
export type DegradationSignal = keyof DegradationSignals;

/** Per signal, the value at which each of L1…L4 begins. */
export type DegradationThresholds = Readonly<
  Record<DegradationSignal, readonly [number, number, number, number]>
>;

/**
 * Defaults: lag 100/250/500/1000 ms, load 70/85/95/100 %, heap 70/80/90/95 %; provider
 * errors 10/25 % reach L1/L2 and never more (a provider failing — perhaps one tenant's —
 * calls for fallbacks and less work, not for refusing everyone); burn rate 3×/6×/14.4×
 * (the SRE workbook's ticket, slow-page and fast-page tiers) reach L1/L2/L3, never L4.
 */
export const DEFAULT_DEGRADATION_THRESHOLDS: DegradationThresholds = {
  eventLoopLagMs: [100, 250, 500, 1000],
  load: [0.7, 0.85, 0.95, 1],
  heap: [0.7, 0.8, 0.9, 0.95],
  providerErrorRate: [0.1, 0.25, Infinity, Infinity],
  burnRate: [3, 6, 14.4, Infinity],
};

/** What the server does at a level; each level does what the one below does, and more. */
export interface DegradationActions {
  /** Debug-severity telemetry events (partial transcripts, token streams, audio chunks) are not emitted. */
  readonly dropDebugEvents: boolean;
  /** Per-tenant request rates are multiplied by this. */
  readonly tenantRateFactor: number;
  /**
   * New sessions start on the configured economy providers
   * (`observe.degradation.economy_providers`) where the request named none; the
   * configured chain follows as their fallbacks.
   */
  readonly economyProviders: boolean;
  /** Most conversation messages sent to an agent (the system prompt always goes); undefined: all. */
  readonly agentContextMessages: number | undefined;
  /** New sessions of tenants below the enterprise tier are not recorded (live ones go on). */
  readonly recordEnterpriseOnly: boolean;
  /** New sessions are refused with 503 `OVERLOADED`; readiness fails. */
  readonly shedNewSessions: boolean;
}

/** The actions of each level, L0…L4. */
export const DEGRADATION_ACTIONS: Readonly<Record<DegradationLevel, DegradationActions>> = {
  0: {
    dropDebugEvents: false,
    tenantRateFactor: 1,
    economyProviders: false,
    agentContextMessages: undefined,
    recordEnterpriseOnly: false,
    shedNewSessions: false,
  },
  1: {
    dropDebugEvents: true,
    tenantRateFactor: 0.5,
    economyProviders: false,
    agentContextMessages: undefined,
    recordEnterpriseOnly: false,
    shedNewSessions: false,
  },
  2: {
    dropDebugEvents: true,
    tenantRateFactor: 0.5,
    economyProviders: true,
    agentContextMessages: 8,
    recordEnterpriseOnly: false,
    shedNewSessions: false,
  },
  3: {
    dropDebugEvents: true,
    tenantRateFactor: 0.25,
    economyProviders: true,
    agentContextMessages: 4,
    recordEnterpriseOnly: true,
    shedNewSessions: false,
  },
  4: {
    dropDebugEvents: true,
    tenantRateFactor: 0.25,
    economyProviders: true,
    agentContextMessages: 4,
    recordEnterpriseOnly: true,
    shedNewSessions: true,
  },
};

/** A level change. */
export interface DegradationChange {
  readonly from: DegradationLevel;
  readonly to: DegradationLevel;
  /** The signal that set the new level (on the way down: the one still highest), and its value. */
  readonly signal: DegradationSignal | undefined;
  readonly value: number | undefined;
  readonly at: number;
}

/** Options of {@link createDegradationController}. */
export interface DegradationControllerOptions {
  readonly clock: Pick<Clock, 'now'>;
  readonly thresholds?: DegradationThresholds;
  /** How far below a level's threshold every signal must be to come down, as a fraction (default 0.2). */
  readonly hysteresis?: number;
  /** Least time at a level before coming down from it, ms (default 30 s). */
  readonly minDwellMs?: number;
  readonly onChange?: (change: DegradationChange) => void;
}

/** The controller. */
export interface DegradationController {
  /** Takes a sample of the signals; returns the level after it. */
  update(signals: DegradationSignals): DegradationLevel;
  readonly level: DegradationLevel;
  /** Since when the level holds, epoch ms. */
  readonly since: number;
}

const SIGNALS: readonly DegradationSignal[] = [
  'eventLoopLagMs',
  'load',
  'heap',
  'providerErrorRate',
  'burnRate',
];

/** Creates a controller at L0. */
export function createDegradationController(
  options: DegradationControllerOptions,
): DegradationController {
  const thresholds = options.thresholds ?? DEFAULT_DEGRADATION_THRESHOLDS;
  const margin = 1 - (options.hysteresis ?? 0.2);
  const dwellMs = options.minDwellMs ?? 30_000;
  let level: DegradationLevel = 0;
  let since = options.clock.now();

  /** The highest level the signals reach, thresholds scaled by `factor`, with the signal that sets it. */
  const reached = (
    s: DegradationSignals,
    factor: number,
  ): { level: DegradationLevel; signal?: DegradationSignal; value?: number } => {
    let best: { level: DegradationLevel; signal?: DegradationSignal; value?: number } = {
      level: 0,
    };
    for (const signal of SIGNALS) {
      const value = s[signal];
      if (value === undefined || !Number.isFinite(value)) continue;
      const limits = thresholds[signal];
      for (let l = 4; l >= 1; l--) {
        const limit = limits[l - 1];
        if (limit !== undefined && value >= limit * factor) {
          if (l > best.level) best = { level: l as DegradationLevel, signal, value };
          break;
        }
      }
    }
    return best;
  };

  const move = (to: DegradationLevel, signal?: DegradationSignal, value?: number): void => {
    const from = level;
    const at = options.clock.now();
    level = to;
    since = at;
    options.onChange?.({ from, to, signal, value, at });
  };

  return {
    update(signals) {
      const up = reached(signals, 1);
      if (up.level > level) {
        move(up.level, up.signal, up.value);
        return level;
      }
      if (level === 0 || options.clock.now() - since < dwellMs) return level;
      // Down one level once nothing is near the current level's threshold.
      const held = reached(signals, margin);
      if (held.level < level) move((level - 1) as DegradationLevel, held.signal, held.value);
      return level;
    },
    get level() {
      return level;
    },
    get since() {
      return since;
    },
  };
}
