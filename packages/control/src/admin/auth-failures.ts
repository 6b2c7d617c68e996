/**
 * Refused credentials, counted and audited without flooding the log: every refusal is
 * counted in `prx_voice_auth_failures_total{reason}`; a refusal whose owner is known
 * (a revoked or expired API key whose secret matched, a token of a suspended tenant) is
 * recorded in that tenant's audit log — the first of each credential and reason at once,
 * the ones after it within `windowMs` as one record with their count, written when the
 * next window starts or at shutdown. Refusals of unknown credentials name no tenant, so
 * they are counted only (the audit log is per tenant).
 */
import type { AuditLog } from '@prx-voice/audit';
import type { Clock, Logger } from '@prx-voice/core';
import type { AuthFailure } from '../auth/authenticator.js';

/** Most credentials whose refusals are being aggregated at once; the oldest are written out beyond. */
const MAX_TRACKED = 10_000;

/** Counts and audits refused credentials; see the module note. */
export interface AuthFailureRecorder {
  failed(failure: AuthFailure): void;
  /** Writes the counts still aggregated and waits for every write. */
  flush(): Promise<void>;
}

interface Window {
  readonly tenantId: string;
  readonly failure: AuthFailure;
  readonly startedAt: number;
  suppressed: number;
  lastAt: number;
}

/** Creates the recorder. */
export function createAuthFailureRecorder(o: {
  /** Where refusals of known owners are recorded; without one, refusals are only counted. */
  readonly audit?: Pick<AuditLog, 'record'>;
  readonly clock: Pick<Clock, 'now'>;
  readonly log: Logger;
  /** Counts a refusal by reason (the metric). */
  readonly count?: (reason: string) => void;
  readonly windowMs?: number;
}): AuthFailureRecorder {
  const windowMs = o.windowMs ?? 60_000;
  const windows = new Map<string, Window>();
  const pending = new Set<Promise<void>>();

  const { audit } = o;
  const write = (w: Window, count: number, from: number, to: number): void => {
    if (audit === undefined) return;
    const done = audit
      .record(w.tenantId as never, {
        actorType: w.failure.kind ?? 'unknown',
        actorId: w.failure.subject ?? null,
        action: 'auth.failed',
        resourceType: 'credential',
        resourceId: w.failure.subject ?? null,
        outcome: 'denied',
        details: {
          reason: w.failure.reason,
          count,
          first_at: new Date(from).toISOString(),
          last_at: new Date(to).toISOString(),
        },
      })
      .then(
        () => undefined,
        (err: unknown) =>
          o.log.warn(
            { error: err instanceof Error ? err.message : String(err), tenant_id: w.tenantId },
            'audit: a refused credential was not recorded',
          ),
      )
      .finally(() => pending.delete(done));
    pending.add(done);
  };

  const close = (key: string, w: Window): void => {
    windows.delete(key);
    if (w.suppressed > 0) write(w, w.suppressed, w.startedAt, w.lastAt);
  };

  return {
    failed(failure) {
      o.count?.(failure.reason);
      if (failure.tenantId === undefined || audit === undefined) return;
      const now = o.clock.now();
      const key = `${failure.tenantId}|${failure.kind ?? ''}|${failure.subject ?? ''}|${failure.reason}`;
      const open = windows.get(key);
      if (open !== undefined && now - open.startedAt < windowMs) {
        open.suppressed++;
        open.lastAt = now;
        return;
      }
      if (open !== undefined) close(key, open);
      if (windows.size >= MAX_TRACKED) {
        const oldest = windows.entries().next();
        if (oldest.done !== true) close(oldest.value[0], oldest.value[1]);
      }
      const w: Window = {
        tenantId: failure.tenantId,
        failure,
        startedAt: now,
        suppressed: 0,
        lastAt: now,
      };
      windows.set(key, w);
      write(w, 1, now, now);
    },
    async flush() {
      for (const [key, w] of [...windows]) close(key, w);
      await Promise.all([...pending]);
    },
  };
}
