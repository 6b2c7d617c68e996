/** The session manager's contract: what it is given, what it offers, and a live session. */
import type { SubjectKeys } from '@prx-voice/audit';
import type { MeterRecorder } from '@prx-voice/billing';
import type { ProviderOptions, ProviderRegistry } from '@prx-voice/adapter';
import type { Clock, Config, SessionConfig } from '@prx-voice/core';
import type { AnyVoiceEvent, EventBus, EventLog, SessionEmitter } from '@prx-voice/event';
import type { SampleRate } from '@prx-voice/media';
import type { AdmissionLease, AdmissionService } from '@prx-voice/policy';
import type {
  HandoffPerformer,
  FlowDefinition,
  HandoffTarget,
  SessionActor,
  SessionOutput,
} from '@prx-voice/session';
import type { Coordinator, ObjectStore, Repositories, SessionRow } from '@prx-voice/storage';
import type { DegradationActions, DegradationChange, VoiceTracing } from '@prx-voice/observe';
import type {
  Channel,
  Direction,
  IdGenerator,
  RedactionLevel,
  SessionId,
  SessionOutcome,
  TenantId,
} from '@prx-voice/types';
import type { ProviderHealth } from './provider-health.js';
import type { SessionTools } from '../agents/session-tools.js';
import type { AutoProviderChoice, SessionProviders } from './session-providers.js';
import type { SessionSettingsChange } from './session-update.js';
import type { AssistantSecrets } from '../agents/assistant-secrets.js';
import type { SwitchContext } from '@prx-voice/session';

/** What a new session asks for. */
export interface CreateSessionRequest {
  readonly channel: Channel;
  /** `outbound` for a call the server placed (`POST /calls`); default `inbound`. */
  readonly direction?: Direction;
  readonly language?: string;
  readonly providers?: {
    readonly asr?: string | undefined;
    readonly agent?: string | undefined;
    readonly tts?: string | undefined;
    readonly vad?: string | undefined;
  };
  readonly providerOptions?: {
    readonly asr?: Record<string, unknown> | undefined;
    readonly agent?: Record<string, unknown> | undefined;
    readonly tts?: Record<string, unknown> | undefined;
  };
  readonly metadata?: Record<string, unknown>;
  readonly systemPrompt?: string;
  /** Record the conversation (overrides the tenant's `settings.recording` and `audit.recording.enabled`). */
  readonly record?: boolean;
  /** The stored assistant the session runs (see `agents/assistant-session.ts`). */
  readonly assistant?: { readonly id: string; readonly version: number };
  /** What the assistant says as the session starts. */
  readonly firstMessage?: string;
  /** Settings the assistant sets over the server's `session` configuration. */
  readonly overrides?: SessionOverrides;
  /** The assistant's tools (their kind-specific fields are checked when the session starts). */
  readonly tools?: readonly Readonly<Record<string, unknown>>[];
  /** A conversation flow (its functions' `tool`s are checked against `tools` when the session starts). */
  readonly flow?: FlowDefinition;
  /** Signs the HTTP tools' requests: the assistant's secret. */
  readonly toolSigningSecret?: string;
  /** Where the assistant's `transfer_call` tool may transfer the call (the tool is offered with these). */
  readonly transfer?: TransferSettings;
  /** The caller's W3C `traceparent` (validated): the session's trace continues it. */
  readonly traceparent?: string | undefined;
}

/** An assistant's transfer destinations, by the names its agent uses. */
export interface TransferSettings {
  readonly destinations: readonly {
    readonly name: string;
    readonly description?: string | undefined;
    readonly target: HandoffTarget;
  }[];
}

/** Session settings an assistant sets over the server's `session` configuration. */
export interface SessionOverrides {
  readonly interruptEnabled?: boolean;
  readonly interruption?: {
    [K in keyof SessionConfig['interruption']]?: SessionConfig['interruption'][K] | undefined;
  };
  readonly endpointing?: {
    [K in keyof SessionConfig['endpointing']]?: SessionConfig['endpointing'][K] | undefined;
  };
  readonly maxDurationS?: number;
  readonly maxTurns?: number;
}

/** A live session on this instance. */
export interface LiveSession {
  readonly id: SessionId;
  readonly tenantId: TenantId;
  /** The tenant's tier when the session started. */
  readonly tier: string;
  readonly actor: SessionActor;
  readonly lease: AdmissionLease;
  /** The session's event emitter (for events outside the reducer: pong, protocol errors, fallbacks). */
  readonly emitter: SessionEmitter;
  /** The provider ids of each kind's chain in force (for health and breaker reports). */
  chains: SessionProviders['chains'];
  /** The options its providers run with now, per kind (configured ones under the request's). */
  providerOptions: {
    readonly asr: ProviderOptions;
    readonly agent: ProviderOptions;
    readonly tts: ProviderOptions;
  };
  /** What the session was last told (applied or pending at the next turn boundary): changes merge over it. */
  target: SessionTarget;
  /** Builds the failover chains of a choice of providers as at the start (fallbacks reported as the session's). */
  readonly resolveProviders: (chosen: {
    readonly asr: string;
    readonly agent: string;
    readonly tts: string;
  }) => Omit<SessionProviders, 'vad'>;
  /** Its tools now (closed when replaced or when the session ends). */
  tools: SessionTools | undefined;
  /** Tool sets built for a pending assistant switch, by the key its update names. */
  readonly stagedTools: Map<string, SessionTools | null>;
  /** Where outbound audio goes; replaced when a client attaches. */
  output: SessionOutput;
  /** Carries handoffs out; by channel at first, replaced when a carrier's stream starts. */
  handoff: HandoffPerformer;
  attached: boolean;
  /** The ids its log lines carry. */
  readonly logFields: SessionLogFields;
}

/** A live session's settings as last asked for (the base a change is resolved over). */
export interface SessionTarget {
  readonly language: string;
  readonly providers: { readonly asr: string; readonly agent: string; readonly tts: string };
  readonly providerOptions: {
    readonly asr: ProviderOptions;
    readonly agent: ProviderOptions;
    readonly tts: ProviderOptions;
  };
  readonly systemPrompt: string | undefined;
}

/** How a session switches to a stored assistant (see {@link SessionManager.switchAssistant}). */
export interface AssistantSwitchOptions {
  /** What becomes of the conversation: kept, summarised into the new prompt, or reset. */
  readonly context: SwitchContext;
  /** Values of the assistant's `{{placeholders}}` (over its defaults and the session's metadata). */
  readonly variables?: Readonly<Record<string, string>>;
}

/** Commands the API can send to a live session, with the FSM trigger that must be accepted. */
export type SessionCommandName = 'interrupt' | 'pause' | 'resume' | 'end';

/** The ids a session's log lines carry (snake_case, as the log's other fields). */
export interface SessionLogFields {
  readonly tenant_id: string;
  readonly session_id: string;
  /** The session's trace (the trace id of its events' `traceparent`). */
  readonly trace_id?: string;
  readonly turn_id?: string;
  readonly run_id?: string;
}

/** Everything the manager runs with. */
export interface SessionManagerDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly repos: Repositories;
  readonly admission: AdmissionService;
  readonly providers: ProviderRegistry;
  readonly bus: EventBus;
  readonly log: EventLog;
  readonly instanceId: string;
  readonly onSessionEnded?: (outcome: SessionOutcome) => void;
  /**
   * What the instance's degradation level asks now (`DEGRADATION_ACTIONS` of observe):
   * shedding new sessions (creation refused with `OVERLOADED` 503 and Retry-After, live
   * sessions go on), dropping debug telemetry events, trimming agent context.
   */
  readonly degradation?: () => DegradationActions;
  /** Sees every event of every session (the server feeds its metrics from them). */
  readonly onEvent?: (event: AnyVoiceEvent) => void;
  /**
   * Whether sessions' events are checked against their schemas as they are built (default
   * true; the server sets `observe.check_events`, off unless asked: see the emitter's `checkData`).
   */
  readonly checkEvents?: boolean;
  /** Where recordings go (sessions are recorded only with one). */
  readonly objectStore?: ObjectStore | undefined;
  /** Data subjects: which one a session belongs to, and the key sealing its recordings and transcripts. */
  readonly subjects?: SubjectKeys;
  /** Opens the stored secrets of assistants' tools when a call needs them (default: plaintext only). */
  readonly assistantSecrets?: AssistantSecrets;
  /** The durable meters every session's usage goes to (billing's recorder). */
  readonly meters?: MeterRecorder;
  /** How late a session's output pacer woke past its due time, ms (allocation-free metric feed). */
  readonly onPacingLateness?: (lateMs: number) => void;
  /** A session was admitted and started (for the live-sessions gauge). */
  readonly onSessionStarted?: () => void;
  /** How often live sessions' time is metered against their budgets (default 60 s). */
  readonly quotaMeterIntervalMs?: number;
  /**
   * What the provider `auto` stands for, per kind (default `mock`, and
   * `energy` for the VAD): the server picks the local engines it finds
   * installed, and Silero when it runs, at start-up.
   */
  readonly autoProviders?: AutoProviderChoice;
  /**
   * Coordination shared with the other instances: commands for sessions live
   * on another instance are forwarded there (call `start()` to listen).
   */
  readonly coordinator?: Coordinator;
  /** How often the configured providers are probed (default 30 s). */
  readonly healthCheckIntervalMs?: number;
  /**
   * Ends sessions whose instance was lost (see `createSessionRecovery`): a command for
   * one ends it there (`end` then succeeds) instead of waiting for an owner that is gone.
   */
  readonly recovery?: {
    /** Gone for sure (not a heartbeat a Redis restart wiped a moment ago). */
    isLost(instanceId: string): Promise<boolean>;
    recover(tenantId: TenantId, id: SessionId): Promise<boolean>;
  };
  /**
   * Reports a failure that does not stop the server; a session's failures come with
   * its ids (`tenant_id`, `session_id`, `trace_id`, and `turn_id`/`run_id` when known)
   * for the log line.
   */
  readonly onError?: (error: unknown, context: string, fields?: SessionLogFields) => void;
  /** Traces sessions: a span tree per session, its ids in every event's `traceparent`. */
  readonly tracing?: {
    readonly tracing: VoiceTracing;
    /** Transcripts and answers on spans (redacted at `redaction`). */
    readonly includeText: boolean;
    readonly redaction: RedactionLevel;
  };
}

/** The session manager. */
export interface SessionManager {
  /** Listens for commands other instances forward here (when a coordinator is given). */
  start(): Promise<void>;
  create(tenantId: TenantId, request: CreateSessionRequest): Promise<SessionRow>;
  /** The live session, if it runs on this instance. */
  live(tenantId: TenantId, id: SessionId): LiveSession | undefined;
  /**
   * Resolves once a session that ended here has its final state stored (at once when
   * nothing of it is pending here), or after `withinMs` at most: a read of its row after
   * this sees how it ended, never the state it was in before.
   */
  stored(id: SessionId, withinMs?: number): Promise<void>;
  /** {@link stored} for every session of the tenant that ended here (a list of its sessions). */
  storedAll(tenantId: TenantId, withinMs?: number): Promise<void>;
  /** Sends a command; `SESSION_STATE_CONFLICT` when the state machine forbids it now. */
  command(tenantId: TenantId, id: SessionId, command: SessionCommandName): Promise<void>;
  /**
   * Changes a session's language, voice, providers and options, or system prompt
   * (`PATCH /sessions/{id}`), on the instance that runs it; applied at the next turn
   * boundary. `VALIDATION_FAILED` naming the field, provider or option (nothing
   * changes); `SESSION_STATE_CONFLICT` for a session that has ended.
   */
  update(tenantId: TenantId, id: SessionId, change: SessionSettingsChange): Promise<void>;
  /**
   * The same for a session live here, from its WebSocket's `session.update` (errors name
   * `frame.…`); synchronous, so it takes effect before the socket's next frame.
   */
  updateLive(session: LiveSession, change: SessionSettingsChange): { pending: boolean };
  /**
   * Switches a live session, on the instance that runs it, to a stored assistant at the
   * next turn boundary: its system prompt, language, providers and voice, tools (the old
   * ones closed) and first message (said once it applies), the conversation kept,
   * summarised or reset. `NOT_FOUND` for an unknown assistant; otherwise as {@link update}.
   */
  switchAssistant(
    tenantId: TenantId,
    id: SessionId,
    assistantId: string,
    options: AssistantSwitchOptions,
  ): Promise<void>;
  /** A text turn (skips ASR). */
  textTurn(tenantId: TenantId, id: SessionId, text: string): Promise<void>;
  /**
   * Hands the session to a person (`handoff_requested`, trigger `api`), on whichever
   * instance runs it; `SESSION_STATE_CONFLICT` when it cannot hand off now.
   */
  handoff(
    tenantId: TenantId,
    id: SessionId,
    request: { readonly target: HandoffTarget; readonly reason?: string },
  ): Promise<void>;
  /** Attaches a client's output; `SESSION_ALREADY_ATTACHED` for a second one. */
  attach(tenantId: TenantId, id: SessionId, output: SessionOutput): LiveSession;
  detach(session: LiveSession): void;
  readonly liveCount: number;
  /** Live sessions by tenant tier. */
  liveByTier(): ReadonlyMap<string, number>;
  readonly accepting: boolean;
  /** The engine's audio rates (`session.audio`); transports convert to what each client negotiates. */
  readonly engineRates: { readonly input: SampleRate; readonly output: SampleRate };
  /** Health of the configured providers (probes, breakers), for readiness. */
  readonly providerHealth: ProviderHealth;
  /**
   * The session was ended elsewhere (recovered as lost while this instance was frozen or
   * cut off): it stops here with outcome `error`, its client told; nothing more of it is
   * stored. False when it does not run here.
   */
  fence(tenantId: TenantId, id: SessionId): boolean;
  /**
   * Checks every session running here against its row and fences those that ended
   * elsewhere (after this instance's heartbeat had lapsed); how many.
   */
  fenceEndedElsewhere(): Promise<number>;
  /** Tells every live session of the instance (`governance.degradation_changed`). */
  degradationChanged(change: DegradationChange): void;
  /**
   * Stops admitting; waits up to `timeoutMs` for sessions to end, then ends the rest with
   * `shutdown`; waits up to `timeoutMs` more for their rows to be stored, then gives up the
   * writes still retrying (so nothing writes to storage once it is closed).
   */
  drain(timeoutMs: number): Promise<{ ended: number; forced: number }>;
}
