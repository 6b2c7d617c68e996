/**
 * The session manager of one server instance: admission through policy, the
 * registry of live sessions (each a session actor), routing of REST and
 * WebSocket commands to them, and the drain at shutdown.
 */
import type { FallbackNotice } from '@prx-voice/adapter';
import { AUTO_PROVIDER } from '@prx-voice/core';
import { limitsOfTenant } from '@prx-voice/policy';
import {
  createSessionActor,
  emitterSink,
  repositoryPersistence,
  settingsFromConfig,
} from '@prx-voice/session';
import type { SampleRate } from '@prx-voice/media';
import type { SessionOutput } from '@prx-voice/session';
import type { SessionRow } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createCommandRouter } from './command-router.js';
import type { CommandRouter, RoutedCommand } from './command-router.js';
import { createProviderMonitoring } from './provider-events.js';
import type { ProbedKind } from './provider-health.js';
import { runCommand } from './session-commands.js';
import { createSessionEvents } from './session-events.js';
import type { LiveSession, SessionManager, SessionManagerDeps } from './session-manager-types.js';
import {
  resolveAutoProviders,
  sessionProviders,
  validateProviderOptions,
} from './session-providers.js';

export type {
  CreateSessionRequest,
  LiveSession,
  SessionCommandName,
  SessionManager,
  SessionManagerDeps,
} from './session-manager-types.js';

const DISCARD: SessionOutput = { sendAudio: () => undefined, clear: () => undefined };

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
      if (recovery !== undefined && (found.lost || !(await recovery.isAlive(found.owner)))) {
        // Its instance is gone: the session ends here (failed, instance_lost); `end` succeeds.
        await recovery.recover(tenantId, id);
        if (command.kind === 'command' && command.command === 'end') return;
        throw new VoiceError('SESSION_STATE_CONFLICT', {
          message: 'the session has ended: the instance running it was lost',
          details: { session_id: id, state: 'Failed' },
        });
      }
      await router?.forward(found.owner, tenantId, id, command);
      return;
    }
    runCommand(found, command);
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
            try {
              runCommand(s, command);
              return Promise.resolve();
            } catch (err) {
              return Promise.reject(err instanceof Error ? err : new Error(String(err)));
            }
          },
          onError: (err) => deps.onError?.(err, 'command routing'),
        });

  return {
    engineRates: rates,
    async start() {
      await router?.start();
    },
    get liveCount() {
      return live.size;
    },
    get accepting() {
      return accepting;
    },
    providerHealth,
    async create(tenantId, request) {
      if (!accepting) throw new VoiceError('NOT_READY', { message: 'the server is draining' });
      const repos = deps.repos.forTenant(tenantId);
      const tenant = await deps.repos.tenants.get(tenantId);
      if (tenant === undefined) throw new VoiceError('TENANT_NOT_FOUND');
      const cfg = deps.config;
      const providers = {
        asr: pick('asr', request.providers?.asr),
        agent: pick('agent', request.providers?.agent),
        tts: pick('tts', request.providers?.tts),
        vad: pickVad(request.providers?.vad),
      };
      const sessionId = deps.ids.next('session');
      // Fallbacks are reported through the session's emitter, which exists only after admission.
      const fallbacks: { emit?: (notice: FallbackNotice) => void } = {};
      // Unknown providers are a client error before anything is admitted.
      const resolved = sessionProviders({
        config: cfg,
        registry: deps.providers,
        clock: deps.clock,
        breakers,
        chosen: providers,
        onFallback: (notice) => fallbacks.emit?.(notice),
      });
      // Options every provider of each chain gets: the configured ones under the request's.
      const providerOptions = {
        asr: { ...cfg.adapters.asr.options, ...request.providerOptions?.asr },
        agent: { ...cfg.adapters.agent.options, ...request.providerOptions?.agent },
        tts: { ...cfg.adapters.tts.options, ...request.providerOptions?.tts },
      };
      // Invalid options are a client error before anything is admitted, not a session that fails.
      validateProviderOptions({
        registry: deps.providers,
        chains: resolved.chains,
        options: providerOptions,
        origin: (kind) =>
          request.providerOptions?.[kind] === undefined
            ? { location: 'config', path: `adapters.${kind}.options` }
            : { location: 'body', path: `provider_options.${kind}` },
      });
      const admitted = await deps.admission.admit({
        tenant,
        sessionId,
        onLost: () => live.get(sessionId)?.actor.dispatch({ type: 'end', reason: 'error' }),
      });
      if (admitted.kind === 'denied') {
        throw new VoiceError('QUOTA_EXCEEDED', {
          message: admitted.message,
          details: {
            reason: admitted.reason,
            ...(admitted.retryAfterMs === null ? {} : { retry_after_ms: admitted.retryAfterMs }),
          },
        });
      }
      const language = request.language ?? cfg.session.default_language;
      let row: SessionRow;
      try {
        row = await repos.sessions.create({
          id: sessionId,
          state: 'Idle',
          channel: request.channel,
          direction: 'inbound',
          language,
          providers,
          ...(request.metadata === undefined ? {} : { metadata: request.metadata }),
          instanceId: deps.instanceId,
        });
      } catch (err) {
        await admitted.lease.release();
        throw err;
      }
      const limits = limitsOfTenant(tenant);
      const settings = settingsFromConfig(
        cfg.session,
        {
          channel: request.channel,
          direction: 'inbound',
          language,
          providers,
          audio: {
            input: { encoding: 'pcm16', sample_rate: rates.input, channels: 1 },
            output: { encoding: 'pcm16', sample_rate: rates.output, channels: 1 },
          },
        },
        {
          maxSessionDurationS: limits.maxSessionDurationS,
          ...(request.systemPrompt === undefined ? {} : { systemPrompt: request.systemPrompt }),
        },
      );
      const {
        emitter,
        governor: sessionGovernor,
        reportFallback,
      } = createSessionEvents({
        deps,
        tenant,
        tenantId,
        sessionId,
        limits,
        end: (detail) =>
          live.get(sessionId)?.actor.dispatch({ type: 'end', reason: 'quota_exceeded', detail }),
      });
      fallbacks.emit = reportFallback;
      const session: LiveSession = {
        id: sessionId,
        tenantId,
        lease: admitted.lease,
        emitter,
        chains: resolved.chains,
        providerOptions,
        output: DISCARD,
        attached: false,
        actor: createSessionActor({
          sessionId,
          tenantId,
          settings,
          clock: deps.clock,
          newId: (kind) => deps.ids.next(kind),
          providers: resolved,
          providerOptions,
          audio: { inputRate: rates.input, outputRate: rates.output, language },
          vad: {
            threshold: cfg.adapters.vad.threshold,
            minSpeechMs: cfg.adapters.vad.min_speech_ms,
            minSilenceMs: cfg.adapters.vad.min_silence_ms,
            maxDipMs: cfg.adapters.vad.max_dip_ms,
            minVolume: cfg.adapters.vad.min_volume,
          },
          output: {
            sendAudio: (frame, info) => session.output.sendAudio(frame, info),
            clear: () => session.output.clear(),
            segmentSent: (info) => session.output.segmentSent?.(info) ?? false,
          },
          onEvent: emitterSink(emitter),
          persistence: repositoryPersistence(repos, sessionId, deps.clock),
          onEffectError: (err, kind) => deps.onError?.(err, `session ${sessionId}: ${kind}`),
          onClosed: (outcome) => {
            live.delete(sessionId);
            // The budgets are updated before the slot is given back.
            const finished = sessionGovernor
              .close()
              .then(() => admitted.lease.release())
              .catch((err: unknown) => deps.onError?.(err, 'lease release'))
              .finally(() => finishing.delete(finished));
            finishing.add(finished);
            deps.onSessionEnded?.(outcome);
          },
        }),
      };
      live.set(sessionId, session);
      session.actor.start();
      sessionGovernor.start();
      deps.onSessionStarted?.();
      return row;
    },
    live: find,
    validateUpdate(session, providers) {
      const kinds = ['asr', 'agent', 'tts'] as const;
      const unknown = Object.keys(providers).find((k) => !(kinds as readonly string[]).includes(k));
      if (unknown !== undefined) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `Invalid providers.${unknown}: expected options of asr, agent or tts`,
          details: {
            location: 'frame',
            issues: [{ path: `providers.${unknown}`, message: 'unknown kind' }],
          },
        });
      }
      const merged: Record<string, unknown> = {};
      for (const kind of kinds) {
        const update = providers[kind];
        if (update === undefined) continue;
        // Options a session.update gives are added to the session's, as the session would apply them.
        merged[kind] =
          typeof update === 'object' && update !== null && !Array.isArray(update)
            ? { ...session.providerOptions[kind], ...update }
            : update;
      }
      validateProviderOptions({
        registry: deps.providers,
        chains: session.chains,
        options: merged,
        origin: (kind) => ({ location: 'frame', path: `providers.${kind}` }),
      });
    },
    command: (tenantId, id, command) => route(tenantId, id, { kind: 'command', command }),
    textTurn: (tenantId, id, text) => route(tenantId, id, { kind: 'text', text }),
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
    detach(session) {
      session.attached = false;
      session.output = DISCARD;
    },
    async drain(timeoutMs) {
      accepting = false;
      providerHealth.stop();
      const before = live.size;
      if (before > 0) {
        await new Promise<void>((resolve) => {
          const timer = deps.clock.setTimeout(resolve, timeoutMs);
          void Promise.all([...live.values()].map((s) => s.actor.closed)).then(() => {
            deps.clock.clearTimeout(timer);
            resolve();
          });
        });
      }
      const remaining = [...live.values()];
      for (const s of remaining) s.actor.dispatch({ type: 'end', reason: 'shutdown' });
      await Promise.all(remaining.map((s) => s.actor.closed));
      await Promise.all(finishing);
      await router?.stop();
      await deps.log.flush();
      return { ended: before - remaining.length, forced: remaining.length };
    },
  };
}
