/**
 * The quota governor of one live session: it meters what the session uses
 * against its tenant's monthly budgets (through the admission service, so the
 * budgets hold across instances), reports each step as
 * `governance.quota_consumed`, and when a budget runs out reports
 * `governance.quota_exceeded` and ends the session with `quota_exceeded`.
 *
 * What is metered: session time (every `intervalMs` while the session lives,
 * the remainder when it ends), agent tokens and TTS characters as the
 * session's `governance.usage_recorded` events report them; and, once at the
 * start, the concurrency slot the session holds.
 *
 * The same usage goes to the durable meters (`meters`, billing's recorder: queued,
 * never awaited here; a provider's usage once its report is in the durable log), each
 * with a key derived from what was measured — session time
 * `{session}:session_seconds:{n}` per interval and `…:final` at the end, provider
 * usage `{session}:{event's key}` — so the budgets' counters can be rebuilt from the
 * database and nothing is recorded twice.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import { budgetOfMeter, usageOfReport } from '@prx-voice/billing';
import type { UsageEvent } from '@prx-voice/billing';
import type { AnyVoiceEvent, SessionEmitter } from '@prx-voice/event';
import type { AdmissionService, AdmissionTenant, UsageKind, UsageState } from '@prx-voice/policy';
import type { TenantLimits } from '@prx-voice/policy';
import type { SessionId, TenantId } from '@prx-voice/types';

/** How often session time is metered while a session lives (default 60 s). */
export const SESSION_TIME_METER_INTERVAL_MS = 60_000;

const UNITS: Readonly<Record<UsageKind, string>> = {
  session_seconds: 'seconds',
  tokens: 'tokens',
  characters: 'characters',
};

/** The governor of one session. */
export interface SessionGovernor {
  /** Emits the concurrency report and starts metering session time. */
  start(): void;
  /** Every event the session emitted, as its emitter's sink sees it. */
  observe(event: AnyVoiceEvent): void;
  /** Meters the session time not yet metered and stops; resolves when the budgets are updated. */
  close(): Promise<void>;
}

/** What a governor needs. */
export interface SessionGovernorDeps {
  readonly tenant: AdmissionTenant;
  readonly sessionId: SessionId;
  /** The session's channel (`websocket`, `twilio`, …): its time is metered under it, as the provider. */
  readonly channel?: string;
  readonly limits: TenantLimits;
  /** The durable meters (billing's recorder); without it only the budgets' counters count. */
  readonly meters?: { record(event: UsageEvent): boolean };
  /**
   * Resolves `true` once the session's event `seq` is in its durable log, `false` if it
   * never will be (the event log's `whenStored`). A usage report is metered only once its
   * event is stored, so a crash can leave a report the meters lack (the recovery meters
   * what the log holds) but never a meter the log lacks. Without it, at once.
   */
  readonly stored?: (seq: number) => Promise<boolean>;
  readonly admission: AdmissionService;
  readonly clock: Clock;
  readonly emitter: SessionEmitter;
  /** Ends the session because a budget ran out (`detail` names it). */
  readonly end: (detail: string) => void;
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** Creates the governor of one session. */
export function createSessionGovernor(deps: SessionGovernorDeps): SessionGovernor {
  const { admission, tenant, clock, emitter } = deps;
  const intervalMs = deps.intervalMs ?? SESSION_TIME_METER_INTERVAL_MS;
  let startedAt = clock.now();
  let meteredMs = 0;
  let timer: TimerHandle | null = null;
  let ended = false; // the session's end was seen: nothing more is emitted
  let exceeded = false;
  let pending: Promise<void> = Promise.resolve();
  /** Usage reports waiting for their event to be stored before they are metered. */
  let storing: Promise<void> = Promise.resolve();
  let ticks = 0;

  const record = (event: Omit<UsageEvent, 'tenantId' | 'sessionId'>): void => {
    try {
      deps.meters?.record({ tenantId: tenant.id as TenantId, sessionId: deps.sessionId, ...event });
    } catch (err) {
      deps.onError?.(err);
    }
  };

  // Budget updates run one after another, so the reports come in the order of use.
  const enqueue = (work: () => Promise<void>): void => {
    pending = pending.then(work).catch((err: unknown) => deps.onError?.(err));
  };

  const report = (state: UsageState, consumed: number): void => {
    if (ended) return;
    const quota = {
      quota: state.kind,
      used: state.used,
      limit: state.budget,
      unit: UNITS[state.kind],
      window: 'month',
    };
    emitter.emit('prx.voice.governance.quota_consumed', { ...quota, consumed });
    if (state.exceeded && !exceeded) {
      exceeded = true;
      emitter.emit(
        'prx.voice.governance.quota_exceeded',
        { ...quota, action: 'end_session' },
        { severity: 'warn' },
      );
      deps.end(`the monthly ${state.kind} budget (${String(state.budget)}) is used up`);
    }
  };

  const consume = (kind: UsageKind, amount: number, emit = true): void => {
    if (amount <= 0) return;
    // When it happened, not when the update runs (updates wait for one another).
    const occurredAt = clock.now();
    enqueue(async () => {
      const state = await admission.consume(tenant, kind, amount, occurredAt);
      if (emit) report(state, amount);
    });
  };

  const recordTime = (seconds: number, key: string): void => {
    if (seconds > 0)
      record({
        meter: 'session_seconds',
        quantity: seconds,
        ...(deps.channel === undefined ? {} : { provider: deps.channel }),
        idempotencyKey: `${deps.sessionId}:session_seconds:${key}`,
        occurredAt: clock.now(),
      });
  };

  // Whole seconds of session time since the last meter reading; the fraction carries over.
  const meterTime = (emit: boolean): void => {
    const elapsed = clock.now() - startedAt - meteredMs;
    const seconds = Math.floor(elapsed / 1000);
    meteredMs += seconds * 1000;
    consume('session_seconds', seconds, emit);
    recordTime(seconds, String(++ticks));
  };

  const tick = (): void => {
    timer = null;
    if (ended) return;
    meterTime(true);
    timer = clock.setTimeout(tick, intervalMs);
  };

  return {
    start() {
      startedAt = clock.now();
      timer = clock.setTimeout(tick, intervalMs);
      enqueue(async () => {
        const live = await admission.liveSessions(tenant.id as TenantId);
        if (ended) return;
        emitter.emit('prx.voice.governance.quota_consumed', {
          quota: 'concurrent_sessions',
          used: live,
          limit: deps.limits.concurrentSessions,
          unit: 'sessions',
          window: 'instant',
          consumed: 1,
        });
      });
    },
    observe(event) {
      if (event.type === 'prx.voice.session.closed' || event.type === 'prx.voice.session.failed') {
        ended = true;
        return;
      }
      if (event.type !== 'prx.voice.governance.usage_recorded') return;
      const usage = usageOfReport(
        tenant.id as TenantId,
        deps.sessionId,
        event.data,
        Date.parse(event.time),
      );
      if (usage !== undefined) {
        if (deps.stored === undefined) record(usage);
        else {
          const stored = deps.stored(event.prxseq);
          storing = storing
            .then(() => stored)
            .then((ok) => {
              if (ok) record(usage);
            })
            .catch((err: unknown) => deps.onError?.(err));
        }
      }
      const kind = budgetOfMeter(event.data.meter);
      if (kind !== undefined) consume(kind, event.data.quantity);
    },
    async close() {
      ended = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      // A started second counts: a session of 1.2 s is metered as 2 s.
      const rest = clock.now() - startedAt - meteredMs;
      if (rest > 0) consume('session_seconds', Math.ceil(rest / 1000), false);
      recordTime(Math.ceil(Math.max(0, rest) / 1000), 'final');
      await Promise.all([pending, storing]);
    },
  };
}
