/**
 * The session manager of one server instance: admission through policy, the
 * registry of live sessions (each a session actor), routing of REST and
 * WebSocket commands to them, and the drain at shutdown.
 */
import { AUTO_PROVIDER, createSharedTicks } from '@prx-voice/core';
import { createSessionStateQueue } from '@prx-voice/session';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createCommandRouter } from './command-router.js';
import type { CommandRouter, RoutedCommand } from './command-router.js';
import { createProviderMonitoring } from './provider-events.js';
import type { ProbedKind } from './provider-health.js';
import { switchToAssistant } from './assistant-switch.js';
import type { SwitchContext } from './assistant-switch.js';
import { runCommand } from './session-commands.js';
import { resolveSettingsChange, submitChange } from './session-update.js';
import { DISCARD, fenceSession, startSession } from './start-session.js';
import type { LiveSession, SessionManager, SessionManagerDeps } from './session-manager-types.js';
import type { PendingWrites } from './pending-writes.js';
import { resolveAutoProviders } from './session-providers.js';

/**
 * How long a session's state change within a turn may wait to share a statement with
 * other sessions' (the row's state may trail the session by that much; GET /sessions/{id}
 * reads a live session's own state, and a session's end is written at once).
 */
export const STATE_WRITE_HOLD_MS = 100;

export type {
  CreateSessionRequest,
  LiveSession,
  SessionCommandName,
  SessionManager,
  SessionLogFields,
  SessionManagerDeps,
} from './session-manager-types.js';

/** How long a read of an ended session's row waits for its last writes, at most. */
const STORED_WAIT_MS = 5_000;

/** Whether a forwarded command failed because its owner did not answer (not because it refused). */
function unreachable(err: unknown): boolean {
  if (!VoiceError.is(err)) return false;
  return (
    err.code === 'TIMEOUT' ||
    (err.code === 'SESSION_STATE_CONFLICT' && err.details['instance_id'] !== undefined)
  );
}

/** Creates the session manager. */
export function createSessionManager(managerDeps: SessionManagerDeps): SessionManager {
  const deps: SessionManagerDeps = {
    ...managerDeps,
    config: resolveAutoProviders(managerDeps.config, managerDeps.autoProviders),
  };
  const pick = (kind: ProbedKind, id: string | undefined): string => {
    const chosen = id ?? deps.config.adapters[kind].provider;
    return chosen === AUTO_PROVIDER ? deps.config.adapters[kind].provider : chosen;
  };
  const pickVad = (id: string | undefined): string =>
    id === undefined || id === AUTO_PROVIDER ? deps.config.adapters.vad.provider : id;
  const live = new Map<string, LiveSession>();
  // Ended sessions still metering their last usage and giving their slot back.
  const finishing = new Set<Promise<void>>();
  // Ended sessions whose last rows are still being written.
  const storing = new Map<string, PendingWrites>();
  // Every session's outbound frames paced on one grid (one wake for all that are due).
  const tickMs = deps.config.session.audio.output_tick_ms;
  const outputTicks = tickMs > 0 ? createSharedTicks(deps.clock, tickMs) : undefined;
  // Every session's state changes, written together: one statement per STATE_WRITE_HOLD_MS
  // for the changes within turns, a session's end at once.
  const states = createSessionStateQueue({
    writer: deps.repos.sessionStateWriter,
    holdMs: STATE_WRITE_HOLD_MS,
    clock: deps.clock,
  });
  const { breakers, providerHealth } = createProviderMonitoring({
    config: deps.config,
    registry: deps.providers,
    clock: deps.clock,
    sessions: () => live.values(),
    ...(deps.healthCheckIntervalMs === undefined ? {} : { intervalMs: deps.healthCheckIntervalMs }),
  });
  let accepting = true;
  const startedAt = deps.clock.now();
  // Validated by the config schema to rates the engine supports.
  const rates = {
    input: deps.config.session.audio.input_rate as SampleRate,
    output: deps.config.session.audio.output_rate as SampleRate,
  };

  /** `work`, or nothing after `ms`. */
  function within(work: Promise<unknown>, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = deps.clock.setTimeout(resolve, ms);
      const done = (): void => {
        deps.clock.clearTimeout(timer);
        resolve();
      };
      work.then(done, done);
    });
  }

  function find(tenantId: TenantId, id: SessionId): LiveSession | undefined {
    const s = live.get(id);
    return s !== undefined && s.tenantId === tenantId ? s : undefined;
  }

  /**
   * The live session here; or, for a session live on another instance, the
   * id of that instance (to forward to); else the error that says why not.
   */
  async function locate(
    tenantId: TenantId,
    id: SessionId,
  ): Promise<LiveSession | { readonly owner: string; readonly lost: boolean }> {
    const s = find(tenantId, id);
    if (s !== undefined) return s;
    const row = await deps.repos.forTenant(tenantId).sessions.get(id);
    if (row === undefined)
      throw new VoiceError('SESSION_NOT_FOUND', { details: { session_id: id } });
    const ended = row.state === 'Closed' || row.state === 'Failed';
    // Ours from before a restart: its process is gone.
    if (
      !ended &&
      deps.recovery !== undefined &&
      row.instance_id === deps.instanceId &&
      row.created_at.getTime() < startedAt
    )
      return { owner: row.instance_id, lost: true };
    if (
      !ended &&
      router !== undefined &&
      row.instance_id !== null &&
      row.instance_id !== deps.instanceId
    )
      return { owner: row.instance_id, lost: false };
    throw new VoiceError('SESSION_STATE_CONFLICT', {
      message:
        row.state === 'Closed' || row.state === 'Failed'
          ? 'the session has ended'
          : 'the session is not live on this instance',
      details: { session_id: id, state: row.state },
    });
  }

  async function route(tenantId: TenantId, id: SessionId, command: RoutedCommand): Promise<void> {
    const found = await locate(tenantId, id);
    if ('owner' in found) {
      const recovery = deps.recovery;
      if (!found.lost) {
        try {
          await router?.forward(found.owner, tenantId, id, command);
          return;
        } catch (err) {
          if (recovery === undefined || !unreachable(err)) throw err;
          // The owner did not take it: only when it is gone for sure does the session end here.
          if (!(await recovery.isLost(found.owner))) {
            throw new VoiceError('NOT_READY', {
              message:
                'the instance running the session does not answer now (coordination may be recovering); try again',
              details: { session_id: id, instance_id: found.owner, retry_after_ms: 2_000 },
            });
          }
        }
      }
      // Its instance is gone: the session ends here (failed, instance_lost); `end` succeeds.
      await recovery?.recover(tenantId, id);
      if (command.kind === 'command' && command.command === 'end') return;
      throw new VoiceError('SESSION_STATE_CONFLICT', {
        message: 'the session has ended: the instance running it was lost',
        details: { session_id: id, state: 'Failed' },
      });
    }
    await execute(found, command);
  }

  const switching: SwitchContext = {
    config: deps.config,
    registry: deps.providers,
    repos: deps.repos,
    clock: deps.clock,
    newKey: () => deps.ids.next('request'),
    secrets: deps.assistantSecrets,
    onProblem: (s, tool, err) =>
      deps.onError?.(err, `session ${s.id}: tool ${tool} left out`, s.logFields),
  };

  /** Runs a command on a session live here (forwarded ones arrive through this too). */
  async function execute(s: LiveSession, command: RoutedCommand): Promise<void> {
    switch (command.kind) {
      case 'update': {
        const resolved = resolveSettingsChange(switching, s, command.change, 'body');
        if (resolved !== undefined) submitChange(s, resolved);
        return;
      }
      case 'assistant':
        await switchToAssistant(switching, s, command.assistantId, command.options);
        return;
      default:
        runCommand(s, command);
    }
  }

  const router: CommandRouter | undefined =
    deps.coordinator === undefined
      ? undefined
      : createCommandRouter({
          coordinator: deps.coordinator,
          instanceId: deps.instanceId,
          clock: deps.clock,
          newId: () => deps.ids.next('request'),
          // Only sessions live here: a forwarded command is never forwarded again.
          execute: (tenantId, id, command) => {
            const s = find(tenantId, id);
            if (s === undefined) {
              return Promise.reject(
                new VoiceError('SESSION_STATE_CONFLICT', {
                  message: 'the session is no longer live on its instance',
                  details: { session_id: id },
                }),
              );
            }
            return execute(s, command);
          },
          onError: (err) => deps.onError?.(err, 'command routing'),
        });

  // Sessions being created now: they count against the instance's capacity.
  let creating = 0;

  return {
    engineRates: rates,
    async start() {
      await router?.start();
    },
    stored: (id, withinMs = STORED_WAIT_MS) => {
      const pending = storing.get(id);
      return pending === undefined ? Promise.resolve() : within(pending.done, withinMs);
    },
    storedAll: (tenantId, withinMs = STORED_WAIT_MS) => {
      const waits = [...storing.values()].filter((p) => p.tenantId === tenantId).map((p) => p.done);
      return waits.length === 0 ? Promise.resolve() : within(Promise.all(waits), withinMs);
    },
    get liveCount() {
      return live.size;
    },
    liveByTier() {
      const byTier = new Map<string, number>();
      for (const s of live.values()) byTier.set(s.tier, (byTier.get(s.tier) ?? 0) + 1);
      return byTier;
    },
    get accepting() {
      return accepting;
    },
    providerHealth,
    async create(tenantId, request) {
      if (!accepting) throw new VoiceError('NOT_READY', { message: 'the server is draining' });
      if (deps.degradation?.().shedNewSessions === true) {
        throw new VoiceError('OVERLOADED', {
          message: 'this instance is overloaded (degradation level 4) and takes no new sessions',
          details: { degradation_level: 4, retry_after_ms: 10_000 },
        });
      }
      // This instance runs at most this many sessions; another instance (or a retry) takes more.
      const capacity = deps.config.limits.max_sessions_per_instance;
      if (live.size + creating >= capacity) {
        throw new VoiceError('OVERLOADED', {
          message: `this instance runs its maximum of ${capacity} sessions (limits.max_sessions_per_instance)`,
          details: { max_sessions_per_instance: capacity, retry_after_ms: 5_000 },
        });
      }
      creating++;
      try {
        return await startSession(
          { deps, pick, pickVad, breakers, rates, live, finishing, states, storing, outputTicks },
          tenantId,
          request,
        );
      } finally {
        creating--;
      }
    },
    live: find,
    update: (tenantId, id, change) => route(tenantId, id, { kind: 'update', change }),
    updateLive(session, change) {
      const resolved = resolveSettingsChange(switching, session, change, 'frame');
      return resolved === undefined ? { pending: false } : submitChange(session, resolved);
    },
    switchAssistant: (tenantId, id, assistantId, options) =>
      route(tenantId, id, { kind: 'assistant', assistantId, options }),
    command: (tenantId, id, command) => route(tenantId, id, { kind: 'command', command }),
    textTurn: (tenantId, id, text) => route(tenantId, id, { kind: 'text', text }),
    handoff: (tenantId, id, request) =>
      route(tenantId, id, {
        kind: 'handoff',
        target: request.target,
        ...(request.reason === undefined ? {} : { reason: request.reason }),
      }),
    attach(tenantId, id, output) {
      const s = find(tenantId, id);
      if (s === undefined)
        throw new VoiceError('SESSION_NOT_FOUND', { details: { session_id: id } });
      if (s.attached)
        throw new VoiceError('SESSION_ALREADY_ATTACHED', { details: { session_id: id } });
      s.attached = true;
      s.output = output;
      return s;
    },
    fence: (tenantId, id) => fenceSession(find(tenantId, id), deps.onError),
    async fenceEndedElsewhere() {
      let fenced = 0;
      for (const s of [...live.values()]) {
        const row = await deps.repos.forTenant(s.tenantId).sessions.get(s.id);
        if (row !== undefined && row.ended_at === null && row.instance_id === deps.instanceId)
          continue;
        if (fenceSession(live.get(s.id), deps.onError)) fenced++;
      }
      return fenced;
    },
    degradationChanged(change) {
      for (const s of live.values()) {
        try {
          s.emitter.emit('prx.voice.governance.degradation_changed', {
            from: change.from,
            to: change.to,
            ...(change.signal === undefined ? {} : { signal: change.signal }),
            ...(change.value === undefined || !Number.isFinite(change.value)
              ? {}
              : { value: change.value }),
          });
        } catch (err) {
          deps.onError?.(err, `session ${s.id}: degradation event`, s.logFields);
        }
      }
    },
    detach(session) {
      session.attached = false;
      session.output = DISCARD;
    },
    async drain(timeoutMs) {
      accepting = false;
      providerHealth.stop();
      const before = live.size;
      if (before > 0) {
        await within(
          Promise.all([...live.values()].map((s) => s.actor.closed)).then(() => undefined),
          timeoutMs,
        );
      }
      const remaining = [...live.values()];
      for (const s of remaining) s.actor.dispatch({ type: 'end', reason: 'shutdown' });
      await Promise.all(remaining.map((s) => s.actor.closed));
      // Their last rows, while storage is still open; what still retries after that is given up.
      await within(
        Promise.all([...storing.values()].map((w) => w.done)).then(() => undefined),
        timeoutMs,
      );
      for (const w of storing.values()) w.stop();
      await Promise.all(finishing);
      await router?.stop();
      await deps.log.flush();
      return { ended: before - remaining.length, forced: remaining.length };
    },
  };
}
