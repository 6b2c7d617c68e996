/**
 * The event plumbing of one new session: its emitter (to the bus and the
 * durable log), the quota governor that watches what it emits, and the
 * `adapter.fallback` reports of its failover chains.
 */
import type { FallbackNotice } from '@prx-voice/adapter';
import { createSessionEmitter } from '@prx-voice/event';
import type { SessionEmitter } from '@prx-voice/event';
import type { AdmissionTenant, TenantLimits } from '@prx-voice/policy';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createSessionGovernor } from './governor.js';
import type { SessionGovernor } from './governor.js';
import type { SessionLogFields, SessionManagerDeps } from './session-manager.js';
import { createSessionTrace } from './session-trace.js';
import type { SessionTrace } from './session-trace.js';

/** A session's emitter, governor and fallback reporter. */
export interface SessionEvents {
  readonly emitter: SessionEmitter;
  readonly governor: SessionGovernor;
  readonly reportFallback: (notice: FallbackNotice) => void;
  /** Its trace, when the server traces: ended with the session. */
  readonly trace: SessionTrace | undefined;
  /** The ids its log lines carry. */
  readonly logFields: SessionLogFields;
}

/** Creates the event plumbing of a session. */
export function createSessionEvents(opts: {
  readonly deps: SessionManagerDeps;
  readonly tenant: AdmissionTenant;
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  readonly limits: TenantLimits;
  /** Ends the session because a budget ran out. */
  readonly end: (detail: string) => void;
  /** The session's channel (its time is metered under it). */
  readonly channel?: string;
  /** The caller's W3C `traceparent`, parent of the session's span. */
  readonly traceparent?: string | undefined;
}): SessionEvents {
  const { deps, sessionId } = opts;
  const trace =
    deps.tracing === undefined
      ? undefined
      : createSessionTrace({
          tracing: deps.tracing.tracing,
          clock: deps.clock,
          sessionId,
          tenantId: opts.tenantId,
          parent: opts.traceparent,
          includeText: deps.tracing.includeText,
          redaction: deps.tracing.redaction,
        });
  const logFields: SessionLogFields = {
    tenant_id: opts.tenantId,
    session_id: sessionId,
    // traceparent: version-traceid-spanid-flags.
    ...(trace === undefined ? {} : { trace_id: trace.traceparent.split('-')[1] ?? '' }),
  };
  // Set right after the emitter exists; it sees every event the session emits.
  const late: { governor?: SessionGovernor } = {};
  const emitter = createSessionEmitter({
    tenantId: opts.tenantId,
    sessionId,
    instanceId: deps.instanceId,
    clock: deps.clock,
    ids: deps.ids,
    ...(trace === undefined ? {} : { traceparent: trace.traceparentOf }),
    checkData: deps.checkEvents ?? true,
    sink: [
      deps.bus.publish,
      deps.log.append,
      (event) => late.governor?.observe(event),
      ...(trace === undefined ? [] : [trace.observe]),
      ...(deps.onEvent === undefined ? [] : [deps.onEvent]),
    ],
    onSinkError: (err, event) =>
      deps.onError?.(err, `session ${sessionId}: event sink (${event.type})`, {
        ...logFields,
        ...(event.prxturnid === undefined ? {} : { turn_id: event.prxturnid }),
        ...(event.prxrunid === undefined ? {} : { run_id: event.prxrunid }),
      }),
  });
  const governor = createSessionGovernor({
    tenant: opts.tenant,
    sessionId,
    ...(opts.channel === undefined ? {} : { channel: opts.channel }),
    limits: opts.limits,
    ...(deps.meters === undefined ? {} : { meters: deps.meters }),
    stored: (seq) => deps.log.whenStored(opts.tenantId, sessionId, seq),
    admission: deps.admission,
    clock: deps.clock,
    emitter,
    end: opts.end,
    ...(deps.quotaMeterIntervalMs === undefined ? {} : { intervalMs: deps.quotaMeterIntervalMs }),
    onError: (err) => deps.onError?.(err, `session ${sessionId}: quota`, logFields),
  });
  late.governor = governor;
  return {
    emitter,
    governor,
    trace,
    logFields,
    reportFallback: (notice) => {
      emitter.emit('prx.voice.adapter.fallback', {
        kind: notice.kind,
        from: notice.from,
        to: notice.to,
        reason: notice.reason,
        ...(notice.code === undefined ? {} : { code: notice.code }),
      });
    },
  };
}
