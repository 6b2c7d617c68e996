/**
 * A session on simulated time with real mock providers, for scenario tests:
 * it feeds audio frame by frame while advancing the clock, captures every
 * CloudEvent (built and validated by the event package) and every frame sent.
 */
import { createEnergyVad, createMockAgent, createMockAsr, createMockTts } from '@prx-voice/adapter';
import type {
  AgentProvider,
  AsrProvider,
  ProviderOptions,
  TtsProvider,
  VadProvider,
} from '@prx-voice/adapter';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createSessionEmitter } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { generateTone } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId, TurnId } from '@prx-voice/types';
import { createSessionActor } from '../actor.js';
import type {
  SessionActor,
  SessionActorOptions,
  SessionPersistence,
  StepRecord,
} from '../actor-types.js';
import { emitterSink } from '../event-bridge.js';
import type { SessionSettings } from '../model.js';
import type { HandoffPerformer } from '../handoff.js';
import type { ToolRegistry } from '../tools.js';
import { backchannelsFor } from '../turn-taking/backchannel.js';
import type { EndOfTurnModel } from '../turn-taking/completeness.js';

/** Options of {@link createScenario}. */
export interface ScenarioOptions {
  /** Providers replacing the mock ones; made with the scenario's clock. */
  readonly providers?: (clock: SimulatedClock) => {
    readonly asr?: AsrProvider;
    readonly agent?: AgentProvider;
    readonly tts?: TtsProvider;
    readonly vad?: VadProvider;
  };
  readonly providerOptions?: {
    readonly asr?: ProviderOptions;
    readonly agent?: ProviderOptions;
    readonly tts?: ProviderOptions;
  };
  readonly settings?: Partial<Omit<SessionSettings, 'info'>>;
  readonly tools?: ToolRegistry;
  /** The owner's hook for a settings change at a turn boundary (new providers, staged tools). */
  readonly applySettings?: SessionActorOptions['applySettings'];
  readonly toolTimeoutMs?: number;
  /** Carries handoffs out (absent: they fail with NOT_IMPLEMENTED). */
  readonly handoff?: HandoffPerformer;
  readonly inputRate?: SampleRate;
  readonly outputRate?: SampleRate;
  /** Persistence, given the session's ids (create the session row first). */
  readonly persistence?: (
    ids: { tenantId: TenantId; sessionId: SessionId },
    clock: SimulatedClock,
  ) => Promise<SessionPersistence>;
  /** IDs of the tenant and session (default: minted). */
  readonly tenantId?: TenantId;
  /** An end-of-turn model for the actor (set `settings.endpointing.model` too). */
  readonly endOfTurn?: EndOfTurnModel;
  /** Most conversation messages the agent is sent, asked per request. */
  readonly agentContextLimit?: () => number | undefined;
  /**
   * Watches the session's events (e.g. a tracer): made with the scenario's clock and ids,
   * it gives each event's `traceparent` and sees every event after it is emitted.
   */
  readonly watch?: (
    clock: SimulatedClock,
    ids: { tenantId: TenantId; sessionId: SessionId },
  ) => {
    readonly traceparent?: (turnId: TurnId | undefined) => string | undefined;
    readonly observe?: (event: AnyVoiceEvent) => void;
  };
}

/** Settings used by scenarios unless overridden: the configuration defaults, shorter where tests need it. */
export function scenarioSettings(
  overrides: Partial<Omit<SessionSettings, 'info'>> = {},
  outputRate = 24000,
  inputRate = 16000,
): SessionSettings {
  return {
    info: {
      channel: 'websocket',
      direction: 'inbound',
      language: 'en-US',
      providers: { asr: 'mock', agent: 'mock', tts: 'mock', vad: 'energy' },
      audio: {
        input: { encoding: 'pcm16', sample_rate: inputRate, channels: 1 },
        output: { encoding: 'pcm16', sample_rate: outputRate, channels: 1 },
      },
    },
    stateTimeoutsMs: {
      Idle: 60_000,
      Connecting: 10_000,
      Listening: 30_000,
      UserSpeaking: 60_000,
      AsrProcessing: 10_000,
      Thinking: 30_000,
      Speaking: 300_000,
      Interrupted: 5_000,
      Paused: 300_000,
      HandoffPending: 120_000,
    },
    maxDurationMs: 3_600_000,
    maxTurns: 200,
    interruptEnabled: true,
    interruption: {
      minSpeechMs: 200,
      minWords: 0,
      falseInterruptionTimeoutMs: 2000,
      resumeFalseInterruptions: true,
      sustainedSpeechMs: 2000,
      duckGain: 0.3,
      backchannels: backchannelsFor('en-US'),
    },
    endpointing: { minDelayMs: 350, maxDelayMs: 1500, speculative: true },
    maxToolRounds: 5,
    ...overrides,
  };
}

/** A running scenario. */
export interface Scenario {
  readonly clock: SimulatedClock;
  readonly sessionId: string;
  readonly tenantId: string;
  readonly settings: SessionSettings;
  readonly actor: SessionActor;
  /** Every CloudEvent, in emission order. */
  readonly events: AnyVoiceEvent[];
  /** Every processed input with its commands (for replay). */
  readonly steps: StepRecord[];
  /** Audio sent to the caller: totals, and each frame's run with the number of events emitted before it. */
  readonly output: {
    samples: number;
    frames: number;
    clears: number;
    sent: { runId: string; afterEvents: number; samples: number }[];
  };
  /** The event types so far. */
  types(): string[];
  /** The states the session went through. */
  states(): string[];
  /** Lets pending promise chains run (no time passes). */
  settle(): Promise<void>;
  /** Advances simulated time in 10 ms steps, settling after each. */
  advance(ms: number): Promise<void>;
  /** Feeds `ms` of caller speech (a loud tone) in 20 ms frames at real time. */
  speak(ms: number): Promise<void>;
  /** Feeds `ms` of silence in 20 ms frames at real time. */
  silence(ms: number): Promise<void>;
}

/** Starts a session on simulated time. */
export async function createScenario(opts: ScenarioOptions = {}): Promise<Scenario> {
  const clock = new SimulatedClock({ start: Date.UTC(2026, 0, 1) });
  const inputRate = opts.inputRate ?? 16000;
  const outputRate = opts.outputRate ?? 24000;
  const ids = createSequentialIdGenerator(Date.UTC(2026, 0, 1));
  const eventIds = createSequentialIdGenerator(Date.UTC(2026, 0, 2));
  const tenantId = opts.tenantId ?? ids.next('tenant');
  const sessionId = ids.next('session') as SessionId;
  const events: AnyVoiceEvent[] = [];
  const steps: StepRecord[] = [];
  const output: Scenario['output'] = { samples: 0, frames: 0, clears: 0, sent: [] };
  const watcher = opts.watch?.(clock, { tenantId, sessionId });
  const emitter = createSessionEmitter({
    tenantId,
    sessionId,
    instanceId: 'test',
    clock,
    ids: eventIds,
    ...(watcher?.traceparent === undefined ? {} : { traceparent: watcher.traceparent }),
    sink: [(e) => events.push(e), ...(watcher?.observe === undefined ? [] : [watcher.observe])],
  });
  const custom = opts.providers?.(clock) ?? {};
  const persistence = await opts.persistence?.({ tenantId, sessionId }, clock);
  const settings = scenarioSettings(opts.settings, outputRate, inputRate);
  const actor = createSessionActor({
    sessionId,
    tenantId,
    settings,
    clock,
    newId: (kind) => ids.next(kind),
    providers: {
      asr: custom.asr ?? createMockAsr(),
      agent: custom.agent ?? createMockAgent({ clock }),
      tts: custom.tts ?? createMockTts(),
      vad: custom.vad ?? createEnergyVad(),
    },
    ...(opts.providerOptions === undefined ? {} : { providerOptions: opts.providerOptions }),
    audio: { inputRate, outputRate, language: 'en-US' },
    vad: { threshold: 0.5, minSpeechMs: 100, minSilenceMs: 300, minVolume: 0 },
    ...(opts.tools === undefined ? {} : { tools: opts.tools }),
    ...(opts.handoff === undefined ? {} : { handoff: opts.handoff }),
    ...(opts.applySettings === undefined ? {} : { applySettings: opts.applySettings }),
    ...(opts.endOfTurn === undefined ? {} : { endOfTurn: opts.endOfTurn }),
    ...(opts.agentContextLimit === undefined ? {} : { agentContextLimit: opts.agentContextLimit }),
    ...(opts.toolTimeoutMs === undefined ? {} : { toolTimeoutMs: opts.toolTimeoutMs }),
    output: {
      sendAudio(frame, info) {
        output.samples += frame.length;
        output.frames += 1;
        output.sent.push({ runId: info.runId, afterEvents: events.length, samples: frame.length });
      },
      clear() {
        output.clears += 1;
      },
    },
    onEvent: emitterSink(emitter),
    onStep: (r) => steps.push(r),
    ...(persistence === undefined ? {} : { persistence }),
  });
  const settle = async () => {
    for (let i = 0; i < 30; i++) await new Promise<void>((r) => setImmediate(r));
  };
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(Math.min(10, ms - t));
      await settle();
    }
  };
  const frameSamples = (inputRate * 20) / 1000;
  const tone = generateTone({
    sampleRate: inputRate,
    frequencyHz: 300,
    durationMs: 20,
    amplitude: 0.3,
  }).samples;
  const quiet = new Int16Array(frameSamples);
  const feed = async (ms: number, frame: Int16Array) => {
    for (let t = 0; t < ms; t += 20) {
      actor.pushAudio(frame);
      await advance(20);
    }
  };
  actor.start();
  await settle();
  return {
    clock,
    sessionId,
    tenantId,
    settings,
    actor,
    events,
    steps,
    output,
    types: () => events.map((e) => e.type),
    states: () =>
      events
        .filter((e) => e.type === 'prx.voice.session.state_changed')
        .map((e) => (e.data as { to: string }).to),
    settle,
    advance,
    speak: (ms) => feed(ms, tone),
    silence: (ms) => feed(ms, quiet),
  };
}
