/**
 * Starting one session: providers chosen and their options checked before
 * anything is admitted, admission through policy, the row, the session's
 * events and budget governor, and its actor, registered as live.
 */
import type { SharedTicks } from '@prx-voice/core';
import type { FallbackNotice } from '@prx-voice/adapter';
import type { SampleRate } from '@prx-voice/media';
import { limitsOfTenant } from '@prx-voice/policy';
import {
  createSessionActor,
  emitterSink,
  repositoryPersistence,
  settingsFromConfig,
} from '@prx-voice/session';
import type { EmittedEvent, SessionOutput, SessionStateQueue } from '@prx-voice/session';
import { defaultSeverity } from '@prx-voice/event';
import type { EventType } from '@prx-voice/event';
import type { DegradationActions } from '@prx-voice/observe';
import type { SessionRow } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { transcriptSealer } from '@prx-voice/audit';
import type { ProbedKind } from './provider-health.js';
import { sessionConfigFor } from './session-features.js';
import { redactingSink, redactionOf, textRedactor } from './session-redaction.js';
import { createSessionEvents } from './session-events.js';
import { trackPendingWrites } from './pending-writes.js';
import type { PendingWrites } from './pending-writes.js';
import type {
  CreateSessionRequest,
  LiveSession,
  SessionLogFields,
  SessionManagerDeps,
} from './session-manager-types.js';
import { economyChoice, sessionProviders, validateProviderOptions } from './session-providers.js';
import { recordingOf } from './session-recording.js';
import { settingsApplier } from './session-update.js';
import { sessionTools } from '../agents/session-tools.js';
import { withDemoFlow, withDemoGrammar, withDemoTools } from '../agents/demo-session.js';
import { initialHandoff, requestHandoff } from './handoff.js';
import { applyOverrides, checkFlowTools } from '../agents/assistant-session.js';
import type { BreakerPool } from './session-providers.js';

/** Events the server itself needs whatever the level: usage goes to billing, a pong answers a client. */
const ALWAYS_EMITTED: ReadonlySet<string> = new Set([
  'prx.voice.governance.usage_recorded',
  'prx.voice.session.pong',
]);

/** A session's event sink that leaves out debug telemetry while the degradation level asks it. */
function degradableSink(
  sink: (event: EmittedEvent) => void,
  degradation: (() => DegradationActions) | undefined,
): (event: EmittedEvent) => void {
  if (degradation === undefined) return sink;
  return (event) => {
    if (
      degradation().dropDebugEvents &&
      !ALWAYS_EMITTED.has(event.type) &&
      (event.severity ?? defaultSeverity(event.type as EventType)) === 'debug'
    )
      return;
    sink(event);
  };
}

/** Output of a session no client is attached to. */
export const DISCARD: SessionOutput = { sendAudio: () => undefined, clear: () => undefined };

/** What starting a session works with: the manager's deps and its registries. */
export interface StartContext {
  readonly deps: SessionManagerDeps;
  readonly pick: (kind: ProbedKind, id: string | undefined) => string;
  readonly pickVad: (id: string | undefined) => string;
  readonly breakers: BreakerPool;
  readonly rates: { readonly input: SampleRate; readonly output: SampleRate };
  /** Live sessions of the instance, by id. */
  readonly live: Map<string, LiveSession>;
  /** Ended sessions still metering their last usage and giving their slot back. */
  readonly finishing: Set<Promise<void>>;
  /** The instance's writer of session states. */
  readonly states: SessionStateQueue;
  /** Sessions that ended whose last writes are still being stored, by id. */
  readonly storing: Map<string, PendingWrites>;
  /** The instance's shared ticks of outbound pacing (`session.audio.output_tick_ms`), if on. */
  readonly outputTicks: SharedTicks | undefined;
}

/**
 * Stops a session that was ended on another instance (recovered as lost while this one
 * was frozen or cut off): outcome `error`, its client told; its log and row are fenced.
 */
export function fenceSession(
  session: LiveSession | undefined,
  onError?: (error: unknown, context: string, fields?: SessionLogFields) => void,
): boolean {
  if (session === undefined) return false;
  const detail = 'the session was ended on another instance while this one was unreachable';
  onError?.(new Error(detail), `session ${session.id}: fenced`, session.logFields);
  session.actor.dispatch({ type: 'end', reason: 'error', detail });
  return true;
}

/** Starts a session (see the module's description). */
export async function startSession(
  ctx: StartContext,
  tenantId: TenantId,
  request: CreateSessionRequest,
): Promise<SessionRow> {
  const { deps, pick, pickVad, breakers, rates, live, finishing, states, storing, outputTicks } =
    ctx;
  const repos = deps.repos.forTenant(tenantId);
  const tenant = await deps.repos.tenants.get(tenantId);
  if (tenant === undefined) throw new VoiceError('TENANT_NOT_FOUND');
  const cfg = deps.config;
  const economy = economyChoice(
    deps.degradation?.().economyProviders === true,
    deps.config.observe.degradation.economy_providers,
    request.providers,
  );
  const providers = {
    asr: economy.asr ?? pick('asr', request.providers?.asr),
    agent: economy.agent ?? pick('agent', request.providers?.agent),
    tts: economy.tts ?? pick('tts', request.providers?.tts),
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
    displaced: {
      ...(economy.asr === undefined ? {} : { asr: pick('asr', undefined) }),
      ...(economy.agent === undefined ? {} : { agent: pick('agent', undefined) }),
      ...(economy.tts === undefined ? {} : { tts: pick('tts', undefined) }),
    },
    onFallback: (notice) => fallbacks.emit?.(notice),
  });
  // Options every provider of each chain gets: the configured ones under the request's.
  // The built-in demo on pocketsphinx also gets the grammar derived from its phrases.
  const providerOptions = {
    asr: withDemoGrammar(resolved.chains, {
      ...cfg.adapters.asr.options,
      ...request.providerOptions?.asr,
    }),
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
  // Feature flags decide some settings per tenant (session-features.ts), an assistant others;
  // settings that contradict each other are a client error before anything is admitted.
  const sessionConfig = applyOverrides(
    sessionConfigFor(cfg.session, cfg.features, tenantId),
    request.overrides,
  );
  checkFlowTools(request);
  // The data subject, and the key sealing its data, before anything is admitted.
  const subject = deps.subjects?.subjectOf(tenantId, request.metadata);
  const subjectKey =
    subject === undefined ? undefined : await deps.subjects?.sealingKey(tenantId, subject.ref);
  // The assistant's tools: an MCP server is connected now, before a slot is taken. The
  // built-in demo's tools join them when the demo is among the session's agents.
  const assistantTools =
    (request.tools === undefined || request.tools.length === 0) && request.transfer === undefined
      ? undefined
      : await sessionTools({
          config: cfg,
          clock: deps.clock,
          tenantId,
          sessionId,
          tools: request.tools ?? [],
          transfer: request.transfer,
          requestHandoff: (r) => requestHandoff(live.get(sessionId), r),
          signingSecret: request.toolSigningSecret,
          secrets: deps.assistantSecrets,
          turnId: () => live.get(sessionId)?.actor.model.turn?.id,
          onProblem: (tool, err) =>
            deps.onError?.(err, `session ${sessionId}: tool ${tool} left out`, {
              tenant_id: tenantId,
              session_id: sessionId,
            }),
        });
  const tools = withDemoTools(resolved.chains, assistantTools, deps.clock);
  // The demo's flow when the demo is the agent and the session brought no flow.
  const flow = withDemoFlow(resolved.chains, request.flow);
  const admitted = await deps.admission.admit({
    tenant,
    sessionId,
    onLost: () => live.get(sessionId)?.actor.dispatch({ type: 'end', reason: 'error' }),
  });
  if (admitted.kind === 'denied') {
    await tools?.close();
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
      direction: request.direction ?? 'inbound',
      language,
      providers,
      ...(request.metadata === undefined ? {} : { metadata: request.metadata }),
      ...(subject === undefined ? {} : { subjectRef: subject.ref }),
      ...(request.assistant === undefined ? {} : { assistant: request.assistant }),
      instanceId: deps.instanceId,
    });
  } catch (err) {
    await admitted.lease.release();
    await tools?.close();
    throw err;
  }
  const limits = limitsOfTenant(tenant);
  const redaction = redactionOf(tenant, cfg.audit.redaction);
  const redactText = textRedactor(redaction);
  const settings = settingsFromConfig(
    sessionConfig,
    {
      channel: request.channel,
      direction: request.direction ?? 'inbound',
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
      ...(request.firstMessage === undefined ? {} : { firstMessage: request.firstMessage }),
      ...(flow === undefined ? {} : { flow }),
      ...(tools === undefined
        ? {}
        : { toolFillers: tools.fillers, toolFillerGraceMs: cfg.agents.tools.filler_grace_ms }),
    },
  );
  const {
    emitter,
    governor: sessionGovernor,
    reportFallback,
    trace,
    logFields,
  } = createSessionEvents({
    deps,
    tenant,
    tenantId,
    sessionId,
    limits,
    end: (detail) =>
      live.get(sessionId)?.actor.dispatch({ type: 'end', reason: 'quota_exceeded', detail }),
    traceparent: request.traceparent,
    channel: request.channel,
  });
  fallbacks.emit = reportFallback;
  const recording = recordingOf(deps, {
    tenant,
    tenantId,
    sessionId,
    request,
    rates,
    emitter,
    ...(subject === undefined || subjectKey === undefined
      ? {}
      : { subject: { ref: subject.ref, key: subjectKey } }),
  });
  const persistence = repositoryPersistence(repos, sessionId, {
    clock: deps.clock,
    states,
    onRetry: (err, attempt, inMs) =>
      deps.onError?.(
        err,
        `session ${sessionId}: storing (attempt ${attempt}, again in ${inMs} ms)`,
        logFields,
      ),
    onFenced: () => fenceSession(live.get(sessionId), deps.onError),
    ...(redactText === undefined ? {} : { redactText }),
    ...(subjectKey === undefined ? {} : { sealText: transcriptSealer(subjectKey, sessionId) }),
  });
  const session: LiveSession = {
    id: sessionId,
    tenantId,
    tier: tenant.tier,
    lease: admitted.lease,
    emitter,
    chains: resolved.chains,
    providerOptions,
    target: {
      language,
      providers: { asr: providers.asr, agent: providers.agent, tts: providers.tts },
      providerOptions,
      systemPrompt: request.systemPrompt,
    },
    resolveProviders: (chosen) =>
      sessionProviders({
        config: cfg,
        registry: deps.providers,
        clock: deps.clock,
        breakers,
        chosen: { ...chosen, vad: providers.vad },
        onFallback: reportFallback,
      }),
    tools,
    stagedTools: new Map(),
    output: DISCARD,
    handoff: initialHandoff(request.channel),
    attached: false,
    logFields,
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
      ...(recording === undefined ? {} : { recorder: recording.tap }),
      ...(tools === undefined ? {} : { tools: tools.registry }),
      handoff: { perform: (r, signal) => session.handoff.perform(r, signal) },
      applySettings: (change) =>
        settingsApplier(session, (err) =>
          deps.onError?.(err, `session ${sessionId}: closing replaced tools`, logFields),
        )(change),
      onEvent: degradableSink(redactingSink(emitterSink(emitter), redaction), deps.degradation),
      ...(deps.onPacingLateness === undefined ? {} : { onPacingLateness: deps.onPacingLateness }),
      ...(outputTicks === undefined ? {} : { outputTicks }),
      ...(deps.degradation === undefined
        ? {}
        : {
            agentContextLimit: () => deps.degradation?.().agentContextMessages,
          }),
      persistence,
      onEffectError: (err, kind, ids) =>
        deps.onError?.(err, `session ${sessionId}: ${kind}`, {
          ...logFields,
          ...(ids?.turnId === undefined ? {} : { turn_id: ids.turnId }),
          ...(ids?.runId === undefined ? {} : { run_id: ids.runId }),
        }),
      onClosed: (outcome) => {
        live.delete(sessionId);
        trackPendingWrites(storing, { tenantId, sessionId }, persistence);
        trace?.end();
        // The budgets are updated before the slot is given back.
        // The recording's file is joined and the tools closed meanwhile, not holding the slot.
        const finished = Promise.all([
          sessionGovernor.close().then(() => admitted.lease.release()),
          recording?.stop(),
          session.tools?.close(),
          ...[...session.stagedTools.values()].map((t) => t?.close()),
        ])
          .then(() => undefined)
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
}
