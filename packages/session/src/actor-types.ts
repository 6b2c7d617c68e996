/** The shapes a session actor is built from and exposes. */
import type { EndOfTurnModel } from './turn-taking/completeness.js';
import type {
  AgentProvider,
  AsrProvider,
  ProviderOptions,
  TtsProvider,
  VadOptions,
  VadProvider,
} from '@prx-voice/adapter';
import type { Clock, SharedTicks } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import type { SessionOutcome, SessionState } from '@prx-voice/types';
import type {
  AudioDropReason,
  SessionCommand,
  SessionInput,
  SessionModel,
  SessionSettings,
  StepContext,
} from './model.js';
import type { DtmfSource } from './dtmf.js';
import type { HandoffPerformer } from './handoff.js';
import type { ToolRegistry } from './tools.js';
import type { ApplySettings } from './settings-update.js';

/** Where a session's audio goes and how the far end is told to drop what it buffered. */
export interface SessionOutput {
  /** A frame of PCM16 mono at the output rate; valid only during the call (copy to keep). */
  sendAudio(frame: Int16Array, info: { readonly runId: string; readonly segmentId: string }): void;
  /** Barge-in: the far end should drop audio it has buffered (Twilio `clear`, …). */
  clear(): void;
  /**
   * Optional: all of a segment's audio has been sent. Returning true promises a
   * `playbackPosition` at the segment's end once the far end has played it (Twilio
   * echoes the mark sent after it); until then, or a timeout, the session counts
   * neither the rest of the segment nor anything after it as heard.
   */
  segmentSent?(info: { readonly runId: string; readonly segmentId: string }): boolean;
}

/** Receives a session's audio as the transport exchanges it (must not throw; must not keep the arrays). */
export interface SessionAudioTap {
  /** Inbound PCM16 mono at the input rate, just received. */
  caller(samples: Int16Array): void;
  /** Outbound PCM16 mono at the output rate, being sent. */
  bot(frame: Int16Array): void;
}

/** An emitted event as the actor hands it to its sink (the event package stamps the envelope). */
export interface EmittedEvent {
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly turnId?: string;
  readonly runId?: string;
  readonly severity?: 'debug' | 'info' | 'warn' | 'error' | 'critical';
}

/** Persistence of session state and turns (the runner calls it; failures are reported, never fatal). */
export interface SessionPersistence {
  sessionState(c: Extract<SessionCommand, { type: 'persist_session' }>): Promise<void>;
  turnStarted(c: Extract<SessionCommand, { type: 'persist_turn_started' }>): Promise<void>;
  turnCompleted(c: Extract<SessionCommand, { type: 'persist_turn_completed' }>): Promise<void>;
  /** The session's language, providers (and assistant) changed at a turn boundary. */
  settingsChanged?(c: Extract<SessionCommand, { type: 'persist_settings' }>): Promise<void>;
}

/** What the owner of a session gives for a settings change the reducer applied (see {@link SessionActorOptions.applySettings}). */
export interface AppliedSettings {
  /** The providers (with their failover chains) of the kinds whose provider changed. */
  readonly providers?: {
    readonly asr?: AsrProvider;
    readonly agent?: AgentProvider;
    readonly tts?: TtsProvider;
  };
  /** The tools from now on (null: none), when the change replaced them. */
  readonly tools?: ToolRegistry | null;
}

/** Everything a session actor runs with. */
export interface SessionActorOptions {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly settings: SessionSettings;
  readonly clock: Clock;
  /** Mints turn, run and segment IDs (injected: tests and replays use deterministic ones). */
  readonly newId: StepContext['newId'];
  readonly providers: {
    readonly asr: AsrProvider;
    readonly agent: AgentProvider;
    readonly tts: TtsProvider;
    readonly vad: VadProvider;
  };
  readonly providerOptions?: {
    readonly asr?: ProviderOptions;
    readonly agent?: ProviderOptions;
    readonly tts?: ProviderOptions;
  };
  readonly audio: {
    readonly inputRate: SampleRate;
    readonly outputRate: SampleRate;
    readonly language: string;
  };
  readonly vad: Omit<VadOptions, 'sampleRate'>;
  /**
   * An end-of-turn model to consult when the caller falls silent; set
   * `settings.endpointing.model` too, so the reducer asks it.
   */
  readonly endOfTurn?: EndOfTurnModel;
  readonly tools?: ToolRegistry;
  /**
   * A settings change reached a turn boundary (`apply_settings`): returns the providers of
   * the kinds whose provider changed and the staged tools of its `toolset`. Language and
   * options the actor applies itself; without this hook providers and tools stay.
   */
  readonly applySettings?: (change: ApplySettings) => AppliedSettings;
  readonly toolTimeoutMs?: number;
  /**
   * Carries handoffs out on the session's transport (see {@link HandoffPerformer});
   * without one a handoff fails with `NOT_IMPLEMENTED` and the conversation carries on.
   */
  readonly handoff?: HandoffPerformer;
  /**
   * Most conversation messages sent to the agent, asked at each request (the server
   * trims context under load); the system prompt always goes. Undefined: all.
   */
  readonly agentContextLimit?: () => number | undefined;
  readonly output: SessionOutput;
  /**
   * Where the conversation is recorded: every inbound frame as `pushAudio` gets it
   * (paused or not) and every outbound frame as it is sent (see `createStereoRecorder`).
   */
  readonly recorder?: SessionAudioTap;
  /** How far ahead of the listener audio may be sent, ms (default 200). */
  readonly outputLeadMs?: number;
  /**
   * The instance's shared ticks for the output pacer's timer (many sessions' frames sent
   * from one wake; frames timed `slotMs` sooner, so never later nor further ahead); default:
   * a timer of `clock` per session.
   */
  readonly outputTicks?: SharedTicks;
  /** How late the output pacer woke past its due time, ms, at each wake (a metric's feed; must not throw). */
  readonly onPacingLateness?: (lateMs: number) => void;
  readonly onEvent: (event: EmittedEvent) => void;
  readonly persistence?: SessionPersistence;
  /** Every input the reducer processed, with its time and the IDs it minted (for replay). */
  readonly onStep?: (record: StepRecord) => void;
  /** Called once when the session has closed. */
  readonly onClosed?: (outcome: SessionOutcome) => void;
  /** Failures of effects that do not change the session (persistence, event sinks). */
  readonly onEffectError?: (
    error: unknown,
    command: SessionCommand['type'],
    ids?: { readonly turnId?: string; readonly runId?: string },
  ) => void;
}

/** One processed input, as replay needs it. */
export interface StepRecord {
  readonly at: number;
  readonly input: SessionInput;
  readonly ids: readonly string[];
  readonly commands: readonly SessionCommand[];
  /** The FSM state after the step. */
  readonly state: SessionState;
}

/** A running session. */
export interface SessionActor {
  /** Starts the session (opens adapters). */
  start(): void;
  /** Feeds a control input (client command, text turn). */
  dispatch(input: SessionInput): void;
  /** Feeds inbound audio (PCM16 mono at the input rate); never touches the reducer. */
  pushAudio(samples: Int16Array): void;
  /**
   * Counts audio a transport discarded (`samples` at the input rate for
   * inbound, the output rate for outbound); reported as `media.audio_dropped`
   * once per report window, never per frame.
   */
  audioDropped(direction: 'inbound' | 'outbound', reason: AudioDropReason, samples: number): void;
  /**
   * Keypad keys (`0-9`, `*`, `#`, `A-D`): each emits `media.dtmf` (`complete: false`); a
   * sequence completed by the terminator, the inter-digit timeout or the maximum length
   * (`settings.dtmf`) emits `media.dtmf` (`complete: true`) and is dispatched as the text
   * turn `DTMF: <digits>`. Keys never reach the reducer one by one.
   */
  dtmf(digits: string, source: DtmfSource): void;
  /** Corrects the heard position from an external report (Twilio mark, client `playback.position`). */
  playbackPosition(segmentId: string, playedMs: number): void;
  /**
   * Sends output frames of `frameMs` from the next one on (default 20; longer frames are
   * fewer messages, the lead is the same). `VALIDATION_FAILED` past the 200 ms lead.
   */
  setOutputFrameMs(frameMs: number): void;
  /** The current model (read-only view). */
  readonly model: SessionModel;
  /** Resolves when the session has closed. */
  readonly closed: Promise<SessionOutcome>;
}
