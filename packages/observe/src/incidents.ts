/**
 * Incidents from degradation: a level above L0 opens a platform incident (one per
 * instance), stored with a timeline of every level change; a higher level escalates
 * it (L1 → SEV4 … L4 → SEV1); back at L0 — which the controller reaches only after
 * the trigger has cleared for its dwell at each level — it is resolved. Writes run one
 * after another off the caller's path; a failed write is reported, never thrown.
 */
import type { Clock } from '@prx-voice/core';
import type { IncidentRepository, IncidentRow } from '@prx-voice/storage';
import type { Id, Severity } from '@prx-voice/types';
import type { DegradationChange, DegradationLevel } from './degradation.js';

/** The SEV label of a level (L1 → SEV4 … L4 → SEV1). */
export function sevOfLevel(level: DegradationLevel): string {
  return level === 0 ? 'none' : `SEV${String(5 - level)}`;
}

const SEVERITY: Readonly<Record<DegradationLevel, Severity>> = {
  0: 'info',
  1: 'info',
  2: 'warn',
  3: 'error',
  4: 'critical',
};

/** One entry of an incident's timeline. */
export interface IncidentTimelineEntry {
  readonly at: string;
  readonly level: DegradationLevel;
  readonly sev: string;
  readonly signal?: string;
  readonly value?: number;
}

/** The tracker. */
export interface IncidentTracker {
  /** Feed every level change of the controller. */
  levelChanged(change: DegradationChange): void;
  /** Resolves when every write so far is done. */
  idle(): Promise<void>;
}

/** Creates a tracker writing to the platform's incidents. */
export function createIncidentTracker(opts: {
  readonly incidents: IncidentRepository;
  readonly clock: Pick<Clock, 'now'>;
  readonly instanceId: string;
  readonly onError?: (error: unknown) => void;
  readonly onOpened?: (incident: IncidentRow) => void;
}): IncidentTracker {
  let chain: Promise<void> = Promise.resolve();
  let open:
    { id: Id<'incident'>; timeline: IncidentTimelineEntry[]; worst: DegradationLevel } | undefined;

  const entry = (c: DegradationChange): IncidentTimelineEntry => ({
    at: new Date(c.at).toISOString(),
    level: c.to,
    sev: sevOfLevel(c.to),
    ...(c.signal === undefined ? {} : { signal: c.signal }),
    ...(c.value === undefined ? {} : { value: c.value }),
  });

  const details = (timeline: IncidentTimelineEntry[], worst: DegradationLevel) => ({
    instance_id: opts.instanceId,
    sev: sevOfLevel(worst),
    timeline,
  });

  const apply = async (c: DegradationChange): Promise<void> => {
    if (open === undefined) {
      if (c.to === 0) return;
      const timeline = [entry(c)];
      const row = await opts.incidents.open({
        severity: SEVERITY[c.to],
        title: `degradation L${String(c.to)} on ${opts.instanceId}`,
        trigger: c.signal ?? 'degradation',
        details: details(timeline, c.to),
      });
      open = { id: row.id as Id<'incident'>, timeline, worst: c.to };
      opts.onOpened?.(row);
      return;
    }
    open.timeline.push(entry(c));
    open.worst = Math.max(open.worst, c.to) as DegradationLevel;
    await opts.incidents.update(open.id, {
      severity: SEVERITY[open.worst],
      details: details(open.timeline, open.worst),
    });
    if (c.to === 0) {
      await opts.incidents.resolve(open.id);
      open = undefined;
    }
  };

  return {
    levelChanged(change) {
      chain = chain.then(() => apply(change)).catch((err: unknown) => opts.onError?.(err));
    },
    idle: () => chain,
  };
}
