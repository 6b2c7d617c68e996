import type { Clock } from '@prx-voice/core';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createLeaseKeeper } from '@prx-voice/storage';
import type { Coordinator, LeaseKeeper, LeaseLoss } from '@prx-voice/storage';
import { limitsOfTenant } from './tiers.js';
import type { TenantLimits } from './tiers.js';

/** What admission needs to know of a tenant (a stored tenant row fits). */
export interface AdmissionTenant {
  readonly id: string;
  readonly tier: string;
  readonly status: string;
  readonly limits: unknown;
}

/** The usage budgets, metered per calendar month (UTC). */
export const USAGE_KINDS = ['session_seconds', 'tokens', 'characters'] as const;
/** A usage budget kind. */
export type UsageKind = (typeof USAGE_KINDS)[number];

/** Why a session was not admitted. */
export type DenialReason = 'tenant_suspended' | 'concurrency' | UsageKind;

/** A live session's hold on one of its tenant's concurrency slots, kept alive by heartbeats. */
export interface AdmissionLease {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  readonly keeper: LeaseKeeper;
  /** Gives the slot back; safe to call twice. */
  release(): Promise<void>;
}

/** The outcome of an admission. */
export type AdmissionResult =
  | { readonly kind: 'admitted'; readonly lease: AdmissionLease; readonly limits: TenantLimits }
  | {
      readonly kind: 'denied';
      readonly reason: DenialReason;
      readonly message: string;
      /** When trying again may succeed, in ms; null when it will not without a change. */
      readonly retryAfterMs: number | null;
    };

/** A budget's state after usage was reported. */
export interface UsageState {
  readonly kind: UsageKind;
  readonly used: number;
  /** null when unlimited. */
  readonly budget: number | null;
  readonly exceeded: boolean;
}

/** Session admission and usage budgets, shared by every server instance through coordination. */
export interface AdmissionService {
  admit(req: {
    readonly tenant: AdmissionTenant;
    readonly sessionId: SessionId;
    /**
     * Called once if the slot is lost for good: the session should end. Coordination loss
     * (a Redis restart without its data, an outage) is ridden out: the slot is taken again
     * when the coordinator answers, and the session goes on.
     */
    readonly onLost?: (loss: LeaseLoss) => void;
  }): Promise<AdmissionResult>;
  /** Records usage as it is reported; usage already spent is never refused, only flagged. */
  consume(
    tenant: AdmissionTenant,
    kind: UsageKind,
    amount: number,
    /**
     * When the usage happened (epoch ms; default now). Usage from before the counter was
     * last topped up from the database is in that top-up already and is not added again.
     */
    occurredAt?: number,
  ): Promise<UsageState>;
  /** This month's usage of every budget. */
  usage(tenant: AdmissionTenant): Promise<UsageState[]>;
  /** Sessions holding a slot of the tenant now. */
  liveSessions(tenantId: TenantId): Promise<number>;
}

/** The limit under which an admitted session's slot is taken again after coordination loss. */
const REESTABLISH_LIMIT = 1_000_000;

/** The coordination key of a tenant's concurrency slots. */
export function concurrencyKey(tenantId: string): string {
  return `tenant:${tenantId}:sessions`;
}

/** How far behind a usage event may be stored after it happened (the recorder's flush). */
const TOP_UP_LAG_MS = 1_000;
/** How long after a failed add a counter waits before it is topped up. */
const SETTLE_MS = 5_000;

function usageKey(tenantId: string, kind: UsageKind, at: Date): string {
  return `tenant:${tenantId}:usage:${monthOf(at)}:${kind}`;
}

function monthOf(at: Date): string {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

function msToNextMonth(at: Date): number {
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1) - at.getTime();
}

function budgetOf(limits: TenantLimits, kind: UsageKind): number | null {
  switch (kind) {
    case 'session_seconds':
      return limits.monthlySessionMinutes === null ? null : limits.monthlySessionMinutes * 60;
    case 'tokens':
      return limits.monthlyTokens;
    case 'characters':
      return limits.monthlyCharacters;
  }
}

/**
 * Creates the admission service. A slot is a lease on the tenant's key in
 * coordination, renewed every `leaseTtlMs / 3`; a crashed instance stops
 * renewing and its slots free themselves when their leases expire.
 *
 * @example
 * const admission = createAdmissionService({ coordinator, clock });
 * const result = await admission.admit({ tenant, sessionId });
 * if (result.kind === 'denied') throw quotaError(result);
 */
export function createAdmissionService(opts: {
  readonly coordinator: Coordinator;
  readonly clock: Clock;
  readonly leaseTtlMs?: number;
  /**
   * A tenant's usage of a budget in the month holding `at`, from durable storage. With
   * it, the coordination counters are the fast path and the database the truth: a
   * month's counter that coordination does not hold (a restart of the embedded server,
   * Redis restarted without its data) is topped up to it once, by whichever instance
   * gets there first; so is a counter this instance failed to add to (Redis frozen or
   * unreachable). Topping up never lowers a counter, so usage is never counted twice;
   * what is reported but not yet stored when a counter is topped up may be missing from
   * it until the next top-up (seconds of it).
   */
  readonly durableUsage?: (tenantId: TenantId, kind: UsageKind, at: Date) => Promise<number>;
}): AdmissionService {
  const { coordinator, clock, durableUsage } = opts;
  const ttlMs = opts.leaseTtlMs ?? 30_000;

  /**
   * Counters this instance failed to add to, and when: topped up from the database at a use
   * once the failure is `SETTLE_MS` old (an add that timed out may still land late, as
   * when Redis was frozen, and must not be counted on top of the database total).
   */
  const behind = new Map<string, number>();
  /** When each counter was last topped up here: older usage is in the database total read then. */
  const toppedUpAt = new Map<string, number>();
  /** When each counter was seeded from the database (by whichever instance), as read back. */
  const seededAt = new Map<string, number>();

  /** The month's counter key of a budget, topped up from durable usage when it fell behind. */
  const counterKey = async (tenantId: string, kind: UsageKind): Promise<string> => {
    const at = new Date(clock.now());
    const key = usageKey(tenantId, kind, at);
    if (durableUsage === undefined) return key;
    // One instance wins the marker of a counter coordination lost (it holds the time of the
    // top-up, in seconds, for every instance to read back); the rest go on.
    const nowS = Math.floor(clock.now() / 1000);
    const marker = await coordinator.incrementIfWithin(`${key}:seeded`, nowS, nowS);
    // Usage from before the seeding is in the database total it read: every instance skips it.
    if (!marker.ok) seededAt.set(key, marker.value * 1000 - TOP_UP_LAG_MS);
    const failedAt = behind.get(key);
    if (!marker.ok && (failedAt === undefined || clock.now() - failedAt < SETTLE_MS)) return key;
    try {
      // Usage stored up to a moment ago is in the total (the recorder writes within ~0.2 s).
      toppedUpAt.set(key, clock.now() - TOP_UP_LAG_MS);
      const durable = await durableUsage(tenantId as TenantId, kind, at);
      // Raised to `durable` only if nobody moved it meanwhile (two top-ups never both add);
      // when another instance added to it in between, read it again.
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await coordinator.getCounter(key);
        if (durable <= current) break;
        if ((await coordinator.incrementIfWithin(key, durable - current, durable)).ok) break;
      }
      behind.delete(key);
    } catch {
      // The database is out: count on, and top up at a later call.
      behind.set(key, failedAt ?? clock.now());
      if (marker.ok) await coordinator.increment(`${key}:seeded`, -nowS).catch(() => undefined);
    }
    return key;
  };

  const usageState = async (
    tenant: AdmissionTenant,
    limits: TenantLimits,
    kind: UsageKind,
  ): Promise<UsageState> => {
    const used = await coordinator.getCounter(await counterKey(tenant.id, kind));
    const budget = budgetOf(limits, kind);
    return { kind, used, budget, exceeded: budget !== null && used >= budget };
  };

  return {
    async admit({ tenant, sessionId, onLost }) {
      const limits = limitsOfTenant(tenant);
      if (tenant.status !== 'active') {
        return {
          kind: 'denied',
          reason: 'tenant_suspended',
          message: `tenant is ${tenant.status}`,
          retryAfterMs: null,
        };
      }
      for (const kind of USAGE_KINDS) {
        const state = await usageState(tenant, limits, kind);
        if (state.exceeded) {
          return {
            kind: 'denied',
            reason: kind,
            message: `the monthly ${kind.replace('_', ' ')} budget (${state.budget ?? 0}) is used up`,
            retryAfterMs: msToNextMonth(new Date(clock.now())),
          };
        }
      }
      const key = concurrencyKey(tenant.id);
      const result = await coordinator.acquireLease({
        key,
        holder: sessionId,
        ttlMs,
        limit: limits.concurrentSessions,
      });
      if (result.kind === 'full') {
        return {
          kind: 'denied',
          reason: 'concurrency',
          message: `the tenant already has ${result.active} of ${limits.concurrentSessions} concurrent sessions`,
          retryAfterMs: Math.max(1000, Math.min(result.retryAfterMs, ttlMs)),
        };
      }
      const keeper = createLeaseKeeper({
        coordinator,
        clock,
        key,
        holder: sessionId,
        ttlMs,
        expiresAt: result.lease.expiresAt,
        // An admitted session takes its slot back whatever the count, so a restart of
        // coordination never ends it (the tenant may briefly hold more than its limit).
        reestablish: { limit: REESTABLISH_LIMIT },
        onLost: (loss) => onLost?.(loss),
      });
      let released = false;
      return {
        kind: 'admitted',
        limits,
        lease: {
          tenantId: tenant.id as TenantId,
          sessionId,
          keeper,
          async release() {
            if (released) return;
            released = true;
            await keeper.release();
          },
        },
      };
    },
    async consume(tenant, kind, amount, occurredAt) {
      const limits = limitsOfTenant(tenant);
      // Keyed by month, so a new month starts from zero. No expiry: a coordination
      // window cannot outlast ~24.8 days, shorter than a month.
      let used: number;
      try {
        const key = await counterKey(tenant.id, kind);
        const since = Math.max(toppedUpAt.get(key) ?? 0, seededAt.get(key) ?? 0);
        // Already in the database total the counter was topped up with: not added twice.
        used =
          occurredAt !== undefined && occurredAt < since
            ? await coordinator.getCounter(key)
            : await coordinator.increment(key, amount);
      } catch (err) {
        // Not counted here, but stored durably: the counter is topped up at its next use.
        behind.set(usageKey(tenant.id, kind, new Date(clock.now())), clock.now());
        throw err;
      }
      const budget = budgetOf(limits, kind);
      return { kind, used, budget, exceeded: budget !== null && used >= budget };
    },
    async usage(tenant) {
      const limits = limitsOfTenant(tenant);
      return Promise.all(USAGE_KINDS.map((kind) => usageState(tenant, limits, kind)));
    },
    async liveSessions(tenantId) {
      return (await coordinator.listLeases(concurrencyKey(tenantId))).length;
    },
  };
}
