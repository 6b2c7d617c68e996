/**
 * Metering what a session whose instance died used and had not metered: the usage its
 * durable log reports (meter events still queued in the dead process; keys recorded
 * already are skipped) and its time up to its last stored event, under the key its own
 * end would have used (`…:session_seconds:final`, written even when nothing is left, as
 * the mark that the session's metering is complete). The recovering instance does it at
 * once; {@link LostSessionMetering.reconcile} (every 5 minutes once started) does it again
 * for lost sessions without that mark — the recovering instance died too before its meters
 * were written.
 */
import { loggedUsage, unmeteredSessionSeconds } from '@prx-voice/billing';
import type { MeterRecorder } from '@prx-voice/billing';
import type { Clock, Logger, TimerHandle } from '@prx-voice/core';
import type { AdmissionService } from '@prx-voice/policy';
import type { Repositories, SessionRow } from '@prx-voice/storage';
import type { SessionId, TenantId } from '@prx-voice/types';

/** The close reason of a session ended because its instance was lost. */
const INSTANCE_LOST = 'instance_lost';
/** The key suffix of a session's final time meter. */
const FINAL = 'session_seconds:final';
/** How far back reconciliation looks, and how long it leaves the recovering instance to finish. */
const LOOKBACK_MS = 7 * 86_400_000;
const SETTLE_MS = 60_000;
/** How often {@link LostSessionMetering.reconcile} runs once started, ms. */
const RECONCILE_INTERVAL_MS = 5 * 60_000;

/** Metering of lost sessions. */
export interface LostSessionMetering {
  /** Meters a session just ended as lost; `lastActiveAt`: its last stored event's time. */
  meter(row: SessionRow, lastActiveAt: Date): Promise<void>;
  /** Meters again the lost sessions whose metering did not finish; returns how many. */
  reconcile(): Promise<number>;
  /** Reconciles every 5 minutes. */
  start(): void;
  stop(): void;
}

/** Creates the metering of lost sessions. */
export function createLostSessionMetering(deps: {
  readonly repos: Repositories;
  readonly meters: MeterRecorder;
  readonly admission: AdmissionService;
  readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  readonly logger: Logger;
}): LostSessionMetering {
  const { repos, meters, admission, clock, logger } = deps;
  let timer: TimerHandle | undefined;
  let running = false;

  const meter = async (row: SessionRow, lastActiveAt: Date): Promise<void> => {
    const tenantId = row.tenant_id as TenantId;
    const sessionId = row.id as SessionId;
    for (const usage of await loggedUsage(repos, tenantId, sessionId)) meters.record(usage);
    const seconds = await unmeteredSessionSeconds(
      repos,
      tenantId,
      sessionId,
      row.created_at,
      lastActiveAt,
    );
    // Recorded after the logged usage (the recorder writes in order): once it is stored,
    // everything of this session is.
    meters.record({
      tenantId,
      sessionId,
      meter: 'session_seconds',
      quantity: seconds,
      provider: row.channel,
      idempotencyKey: `${sessionId}:${FINAL}`,
      occurredAt: lastActiveAt.getTime(),
    });
    if (seconds === 0) return;
    const tenant = await repos.tenants.get(tenantId);
    if (tenant !== undefined) await admission.consume(tenant, 'session_seconds', seconds);
  };

  /** The time of a lost session's last event before the recovery's own two. */
  const lastActiveOf = async (row: SessionRow): Promise<Date> => {
    const events = repos.forTenant(row.tenant_id as TenantId).events;
    const sessionId = row.id as SessionId;
    const last = await events.lastSeq(sessionId);
    const tail = await events.readAfter(sessionId, Math.max(0, last - 4), 4);
    const own = tail.filter((e) => {
      if (e.type === 'prx.voice.session.failed') return false;
      const data = (e.event as { data?: { trigger?: unknown } }).data;
      return !(e.type === 'prx.voice.session.state_changed' && data?.trigger === INSTANCE_LOST);
    });
    return own.at(-1)?.time ?? row.created_at;
  };

  async function reconcile(): Promise<number> {
    const now = clock.now();
    const rows = await repos.sessionRecovery.endedUnmetered(
      INSTANCE_LOST,
      FINAL,
      new Date(now - LOOKBACK_MS),
      200,
    );
    let done = 0;
    for (const row of rows) {
      if ((row.ended_at?.getTime() ?? now) > now - SETTLE_MS) continue;
      await meter(row, await lastActiveOf(row));
      done++;
    }
    return done;
  }

  const tick = (): void => {
    timer = undefined;
    void reconcile()
      .then((n) => {
        if (n > 0)
          logger.info({ sessions: n }, 'metered lost sessions whose metering had not finished');
      })
      .catch((err: unknown) =>
        logger.warn(
          { error: err instanceof Error ? err.message : String(err) },
          'lost session metering',
        ),
      )
      .finally(() => {
        if (running && timer === undefined) timer = clock.setTimeout(tick, RECONCILE_INTERVAL_MS);
      });
  };

  return {
    meter,
    reconcile,
    start() {
      if (running) return;
      running = true;
      timer = clock.setTimeout(tick, RECONCILE_INTERVAL_MS);
    },
    stop() {
      running = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
