/**
 * Service level objectives with multi-window burn rates, in process. Each objective
 * counts good and bad events (a session that ended without an error, an API request
 * answered without a 5xx, a turn whose stage came within its threshold) in one-minute
 * buckets kept for three days, on the injected clock. The burn rate over a window is
 * the window's error rate over the error budget (1 − objective): 1 spends the budget
 * exactly over the SLO period, 14.4 spends 2 % of a 30-day budget in an hour. Alerts
 * follow the SRE workbook's tiers: both a long and a short window above a factor.
 */
import type { Clock } from '@prx-voice/core';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** An objective. */
export interface SloDefinition {
  readonly name: string;
  /** The share of good events promised, e.g. 0.999. */
  readonly objective: number;
  readonly description: string;
  /** For latency objectives: an event is good when at or under this, ms. */
  readonly thresholdMs?: number;
}

/** The objectives of the original PRX Voice, plus voice-to-voice. */
export const DEFAULT_SLOS: readonly SloDefinition[] = [
  { name: 'availability', objective: 0.999, description: 'sessions that end without an error' },
  {
    name: 'control_plane',
    objective: 0.999,
    description: 'API requests answered without a server error (5xx)',
  },
  {
    name: 'asr_final_latency',
    objective: 0.95,
    thresholdMs: 1200,
    description: 'turns whose final transcript came within 1.2 s of the end of speech',
  },
  {
    name: 'tts_first_audio',
    objective: 0.95,
    thresholdMs: 500,
    description: 'turns whose first synthesized audio came within 500 ms of the first token',
  },
  {
    name: 'voice_to_voice',
    objective: 0.95,
    thresholdMs: 1500,
    description: 'turns answered within 1.5 s of the caller’s last word',
  },
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The windows burn rates are reported over. */
export const BURN_WINDOWS = {
  '5m': 5 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': HOUR,
  '2h': 2 * HOUR,
  '6h': 6 * HOUR,
  '1d': 24 * HOUR,
  '3d': 72 * HOUR,
} as const;
/** A window's name. */
export type BurnWindow = keyof typeof BURN_WINDOWS;

/** The alert tiers: fire when both windows burn above `factor`. */
export const BURN_ALERTS = [
  { severity: 'page', long: '1h', short: '5m', factor: 14.4 },
  { severity: 'page', long: '6h', short: '30m', factor: 6 },
  { severity: 'ticket', long: '1d', short: '2h', factor: 3 },
  { severity: 'ticket', long: '3d', short: '6h', factor: 1 },
] as const satisfies readonly {
  severity: string;
  long: BurnWindow;
  short: BurnWindow;
  factor: number;
}[];

/** One objective's state. */
export interface SloReport {
  readonly name: string;
  readonly objective: number;
  readonly description: string;
  readonly threshold_ms: number | null;
  /** Good and all events over the longest window. */
  readonly good: number;
  readonly total: number;
  /** Burn rate per window (0 without events). */
  readonly burn_rates: Readonly<Record<BurnWindow, number>>;
  /** The alert tiers firing now. */
  readonly alerts: readonly {
    severity: string;
    long: BurnWindow;
    short: BurnWindow;
    factor: number;
  }[];
}

/** The tracker. */
export interface SloTracker {
  /** Counts one event of an objective (unknown names are ignored). */
  record(name: string, good: boolean): void;
  /** Counts a latency against a latency objective's threshold. */
  recordLatency(name: string, ms: number): void;
  burnRate(name: string, window: BurnWindow): number;
  /**
   * The factor of the strongest alert tier firing on any objective (0 if none), a tier
   * counting only once its short window holds `minEvents` events: on an instance that
   * has seen two sessions, one failure is not a 500× burn worth degrading for.
   */
  firingFactor(minEvents?: number): number;
  report(): SloReport[];
}

const SLOTS = BURN_WINDOWS['3d'] / MINUTE;

/** Creates a tracker; with `registry`, `prx_voice_slo_burn_rate{slo,window}` is read at scrape. */
export function createSloTracker(opts: {
  readonly clock: Pick<Clock, 'now'>;
  readonly slos?: readonly SloDefinition[];
  readonly registry?: Registry;
}): SloTracker {
  const slos = opts.slos ?? DEFAULT_SLOS;
  const state = new Map(
    slos.map((d) => [
      d.name,
      {
        def: d,
        minute: new Float64Array(SLOTS).fill(-1),
        good: new Float64Array(SLOTS),
        total: new Float64Array(SLOTS),
      },
    ]),
  );

  const record = (name: string, good: boolean): void => {
    const s = state.get(name);
    if (s === undefined) return;
    const minute = Math.floor(opts.clock.now() / MINUTE);
    const slot = minute % SLOTS;
    if (s.minute[slot] !== minute) {
      s.minute[slot] = minute;
      s.good[slot] = 0;
      s.total[slot] = 0;
    }
    s.total[slot] = (s.total[slot] ?? 0) + 1;
    if (good) s.good[slot] = (s.good[slot] ?? 0) + 1;
  };

  const counts = (name: string, windowMs: number): { good: number; total: number } => {
    const s = state.get(name);
    if (s === undefined) return { good: 0, total: 0 };
    const now = Math.floor(opts.clock.now() / MINUTE);
    const from = now - Math.ceil(windowMs / MINUTE) + 1;
    let good = 0;
    let total = 0;
    for (let slot = 0; slot < SLOTS; slot++) {
      const m = s.minute[slot] ?? -1;
      if (m < from || m > now) continue;
      good += s.good[slot] ?? 0;
      total += s.total[slot] ?? 0;
    }
    return { good, total };
  };

  const burnRate = (name: string, window: BurnWindow): number => {
    const s = state.get(name);
    if (s === undefined) return 0;
    const { good, total } = counts(name, BURN_WINDOWS[window]);
    if (total === 0) return 0;
    return (total - good) / total / (1 - s.def.objective);
  };

  if (opts.registry !== undefined) {
    new Gauge({
      name: 'prx_voice_slo_burn_rate',
      help: 'Error-budget burn rate of each objective over each window (1 = spending it exactly).',
      labelNames: ['slo', 'window'] as const,
      registers: [opts.registry],
      collect() {
        for (const d of slos)
          for (const w of Object.keys(BURN_WINDOWS) as BurnWindow[])
            this.set({ slo: d.name, window: w }, burnRate(d.name, w));
      },
    });
  }

  return {
    record,
    recordLatency(name, ms) {
      const threshold = state.get(name)?.def.thresholdMs;
      if (threshold !== undefined && Number.isFinite(ms)) record(name, ms <= threshold);
    },
    burnRate,
    firingFactor(minEvents = 20) {
      let factor = 0;
      for (const d of slos) {
        for (const a of BURN_ALERTS) {
          if (a.factor <= factor) continue;
          if (counts(d.name, BURN_WINDOWS[a.short]).total < minEvents) continue;
          if (burnRate(d.name, a.long) > a.factor && burnRate(d.name, a.short) > a.factor)
            factor = a.factor;
        }
      }
      return factor;
    },
    report() {
      return slos.map((d) => {
        const rates = Object.fromEntries(
          (Object.keys(BURN_WINDOWS) as BurnWindow[]).map((w) => [w, burnRate(d.name, w)]),
        ) as Record<BurnWindow, number>;
        const { good, total } = counts(d.name, BURN_WINDOWS['3d']);
        return {
          name: d.name,
          objective: d.objective,
          description: d.description,
          threshold_ms: d.thresholdMs ?? null,
          good,
          total,
          burn_rates: rates,
          alerts: BURN_ALERTS.filter((a) => rates[a.long] > a.factor && rates[a.short] > a.factor),
        };
      });
    },
  };
}
