/**
 * Sessions outlive nothing by accident: every instance keeps a heartbeat lease
 * in coordination, and a sweeper on every instance ends the sessions of an
 * instance that has been missing for a lease's lifetime (a `kill -9`, a lost
 * host) — state `Failed`, outcome `error`, reason `instance_lost`, open turns
 * failed, the terminal events in the durable log, the concurrency slot freed —
 * exactly once, whichever instance gets there first (the database row is the
 * arbiter). Sessions this instance owned in an earlier life (same instance id,
 * before a restart) are ended the same way. Coordination loss (a Redis restart)
 * is ridden out: the heartbeat is taken again, and an instance is only declared
 * lost after being missing for the whole grace period.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import { createSessionEmitter, eventToRow, isTraceparent } from '@prx-voice/event';
import type { AnyVoiceEvent, EventBus, EventLog } from '@prx-voice/event';
import { concurrencyKey } from '@prx-voice/policy';
import { createLeaseKeeper } from '@prx-voice/storage';
import type { Coordinator, LeaseKeeper, Repositories, SessionRow } from '@prx-voice/storage';
import type { IdGenerator, SessionId, SessionState, TenantId } from '@prx-voice/types';

/** The coordination key whose holders are the live instances. */
export const INSTANCES_KEY = 'instances';
/**
 * When coordination's current data began (epoch seconds), set by the first instance to
 * ask: a coordination store that lost its data (a Redis restart) starts a new one.
 */
export const COORDINATION_BORN_KEY = 'coordination:born';
/** How a lost instance's sessions end. */
const LOST = { outcome: 'error', closeReason: 'instance_lost' } as const;
/** A sweep running longer than this is given up (it can only be stuck). */
const STUCK_SWEEP_MS = 60_000;
/** Sessions ended per instance and sweep (the next sweep takes the rest). */
const BATCH = 100;

/** What recovery works with. */
export interface SessionRecoveryDeps {
  readonly coordinator: Coordinator;
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly instanceId: string;
  readonly bus: EventBus;
  readonly log: EventLog;
  /** Whether a session runs in this process. */
  readonly isLive: (row: SessionRow) => boolean;
  /** Lifetime of the heartbeat lease and the grace before an instance is declared lost, ms. */
  readonly ttlMs: number;
  /**
   * No other process can use the database (embedded PGlite): every unended session not
   * live here that was created before this process started is from an earlier run,
   * whatever instance id it had (the default id has the pid in it), and is recovered at once.
   */
  readonly soleInstance?: boolean;
  /** How often the sweeper runs, ms. */
  readonly intervalMs: number;
  /**
   * The heartbeat had lapsed and was taken again (this instance was frozen, cut off from
   * Redis, or Redis lost its data): others may have recovered sessions that still run here.
   */
  readonly onHeartbeatRetaken?: () => void;
  /**
   * A session was ended here because its instance was lost; `lastActiveAt` is the time
   * of its last stored event (what it is known to have run until — meter it to there).
   */
  readonly onRecovered?: (row: SessionRow, lastActiveAt: Date) => void;
  readonly onError?: (error: unknown, context: string) => void;
}

/** The heartbeat and the sweeper of one instance. */
export interface SessionRecovery {
  /** Takes the heartbeat lease, sweeps once, and keeps both going. */
  start(): Promise<void>;
  /** Stops sweeping and gives the heartbeat up. */
  stop(): Promise<void>;
  /** Whether `instanceId` holds a heartbeat now. */
  isAlive(instanceId: string): Promise<boolean>;
  /**
   * Whether `instanceId` is gone for sure: no heartbeat, and coordination has held its
   * data for a lease lifetime — every live instance renews within that, so a missing
   * heartbeat is a dead instance, not a Redis restart that wiped it a moment ago. (With
   * in-process coordination, any other instance is an earlier life of this process.)
   */
  isLost(instanceId: string): Promise<boolean>;
  /** Ends a session whose instance is lost; false when it had already ended. */
  recover(tenantId: TenantId, id: SessionId): Promise<boolean>;
  /** One pass: ends the sessions of every instance missing past the grace; how many. */
  sweep(): Promise<number>;
}

/** Creates an instance's recovery (call `start`). */
export function createSessionRecovery(deps: SessionRecoveryDeps): SessionRecovery {
  const { coordinator, repos, clock, instanceId } = deps;
  const startedAt = clock.now();
  // When this sweeper first saw each instance missing (reset when it reappears).
  const missingSince = new Map<string, number>();
  let keeper: LeaseKeeper | undefined;
  let timer: TimerHandle | undefined;
  let running: Promise<number> | undefined;
  let runningSince = 0;
  let stopped = false;
  const report = (err: unknown, context: string): void => deps.onError?.(err, context);

  async function heartbeat(): Promise<void> {
    const acquired = await coordinator.acquireLease({
      key: INSTANCES_KEY,
      holder: instanceId,
      ttlMs: deps.ttlMs,
      limit: 1_000_000,
    });
    if (acquired.kind !== 'acquired') throw new Error('the instance registry is full');
    keeper = createLeaseKeeper({
      coordinator,
      clock,
      key: INSTANCES_KEY,
      holder: instanceId,
      ttlMs: deps.ttlMs,
      expiresAt: acquired.lease.expiresAt,
      // A Redis restart or outage: register again as soon as it answers.
      reestablish: { limit: 1_000_000 },
      onLost: () => report(new Error('the heartbeat lease was lost'), 'heartbeat'),
      onReestablished: () => deps.onHeartbeatRetaken?.(),
      onRenewError: (err) => report(err, 'heartbeat'),
    });
  }

  async function alive(): Promise<Set<string>> {
    const leases = await coordinator.listLeases(INSTANCES_KEY);
    return new Set([instanceId, ...leases.map((l) => l.holder)]);
  }

  async function recover(tenantId: TenantId, id: SessionId): Promise<boolean> {
    const events = repos.forTenant(tenantId).events;
    const lastSeq = await events.lastSeq(id);
    const last = lastSeq > 0 ? (await events.readAfter(id, lastSeq - 1, 1))[0] : undefined;
    // The session span's context, as its first event carries it: the end belongs to the same trace.
    const first = lastSeq > 0 ? (await events.readAfter(id, 0, 1))[0] : undefined;
    const traceparent = first?.event['traceparent'];
    // The end and its events commit together: if the session's own instance wrote to its log
    // meanwhile (it is alive after all), nothing is ended.
    let built: AnyVoiceEvent[] = [];
    const ended = await repos.sessionRecovery.endAbandoned(
      tenantId,
      id,
      LOST,
      (before, stored, endedAt) => {
        built = [];
        const emitter = createSessionEmitter({
          tenantId,
          sessionId: id,
          instanceId,
          clock,
          ids: deps.ids,
          sink: (e) => built.push(e),
          lastSeq: stored,
          ...(typeof traceparent === 'string' && isTraceparent(traceparent) ? { traceparent } : {}),
        });
        const from = before.state as SessionState;
        emitter.emit('prx.voice.session.state_changed', {
          from,
          to: 'Failed',
          trigger: 'instance_lost',
        });
        emitter.emit(
          'prx.voice.session.failed',
          {
            code: 'INTERNAL',
            message: `the instance running the session (${before.instance_id ?? 'unknown'}) stopped`,
            from,
            duration_ms: Math.max(0, endedAt.getTime() - before.created_at.getTime()),
          },
          { severity: 'error' },
        );
        return built.map((e) => eventToRow(e));
      },
    );
    if (ended === undefined) return false;
    const { before, after } = ended;
    const lastActiveAt = last?.time ?? before.updated_at;
    for (const e of built) {
      try {
        deps.bus.publish(e);
      } catch (err) {
        report(err, `session ${id}: recovery event`);
      }
    }
    // Its slot would lapse with the dead instance's lease; free it now.
    await coordinator
      .releaseLease(concurrencyKey(tenantId), id)
      .catch((err: unknown) => report(err, `session ${id}: slot release`));
    deps.onRecovered?.(after, lastActiveAt);
    return true;
  }

  async function sweepOnce(): Promise<number> {
    const live = await alive();
    // After the lookup: a slow one must not shorten the grace of an instance seen missing.
    const now = clock.now();
    let ended = 0;
    for (const { instanceId: owner } of await repos.sessionRecovery.ownersOfUnended()) {
      let rows: SessionRow[];
      if (owner === instanceId || deps.soleInstance === true) {
        // Ours from before a restart: not running here, created before this process.
        rows = (await repos.sessionRecovery.unendedOf(owner, BATCH)).filter(
          (r) => !deps.isLive(r) && r.created_at.getTime() < startedAt,
        );
      } else if (live.has(owner)) {
        missingSince.delete(owner);
        continue;
      } else {
        const since = missingSince.get(owner) ?? now;
        missingSince.set(owner, since);
        if (now - since < deps.ttlMs) continue;
        rows = await repos.sessionRecovery.unendedOf(owner, BATCH);
      }
      for (const row of rows) {
        try {
          if (await recover(row.tenant_id as TenantId, row.id as SessionId)) ended++;
        } catch (err) {
          report(err, `session ${row.id}: recovery`);
        }
      }
    }
    for (const owner of missingSince.keys()) if (live.has(owner)) missingSince.delete(owner);
    if (ended > 0) await deps.log.flush();
    return ended;
  }

  function sweep(): Promise<number> {
    // One pass at a time: a slow database never stacks sweeps. A pass stuck far longer than
    // any should take (a call that never settles) is given up, so recovery never stops.
    if (running !== undefined && clock.now() - runningSince > STUCK_SWEEP_MS) running = undefined;
    if (running === undefined) {
      runningSince = clock.now();
      const pass: Promise<number> = sweepOnce().finally(() => {
        if (running === pass) running = undefined;
      });
      running = pass;
    }
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      sweep()
        .catch((err: unknown) => report(err, 'recovery sweep'))
        .finally(schedule);
    }, deps.intervalMs);
  }

  return {
    async start() {
      await heartbeat();
      await sweep().catch((err: unknown) => report(err, 'recovery sweep'));
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      await running?.catch(() => undefined);
      await keeper?.release().catch((err: unknown) => report(err, 'heartbeat release'));
    },
    async isAlive(other) {
      return (await alive()).has(other);
    },
    async isLost(other) {
      if ((await alive()).has(other)) return false;
      // In-process coordination is this process's own: another instance in it is an earlier life.
      if (coordinator.kind === 'memory') return true;
      const nowS = Math.floor(clock.now() / 1000);
      // Set to now if absent; else left as it is, and its value read back.
      const born = await coordinator.incrementIfWithin(COORDINATION_BORN_KEY, nowS, nowS);
      return nowS - born.value >= Math.ceil(deps.ttlMs / 1000);
    },
    recover,
    sweep,
  };
}
