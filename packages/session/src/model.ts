/**
 * The session actor's vocabulary: its extended state (the model), the inputs
 * the reducer accepts, and the commands it asks the effects runner to carry
 * out. Everything here is plain JSON-safe data, so a session can be logged,
 * replayed and inspected.
 */
import type { AgentEvent, ConversationMessage, ToolCall } from '@prx-voice/adapter';
import type { MachineState } from '@prx-voice/state';
import type {
  Channel,
  Direction,
  RunId,
  SegmentId,
  SessionOutcome,
  SessionState,
  Severity,
  TurnId,
} from '@prx-voice/types';

export type { RunId, SegmentId, TurnId };

/** How a turn ends: exactly one of these, persisted and emitted once. */
export type TurnStatus = 'completed' | 'interrupted' | 'failed' | 'cancelled';

/** The reducer's named timers (one arming of each at a time). */
export type TimerName =
  | 'state_timeout'
  | 'max_duration'
  | 'endpoint'
  | 'interrupt_confirm'
  | 'barge_in_sustain'
  | 'false_interruption';

/** Every timer name, for checks. */
export const TIMER_NAMES: readonly TimerName[] = [
  'state_timeout',
  'max_duration',
  'endpoint',
  'interrupt_confirm',
  'barge_in_sustain',
  'false_interruption',
];

/** What a session is, as its events describe it. */
export interface SessionInfo {
  readonly channel: Channel;
  readonly direction: Direction;
  readonly language: string;
  readonly providers: {
    readonly asr: string;
    readonly agent: string;
    readonly tts: string;
    readonly vad: string;
  };
  readonly audio: {
    readonly input: {
      readonly encoding: string;
      readonly sample_rate: number;
      readonly channels: number;
    };
    readonly output: {
      readonly encoding: string;
      readonly sample_rate: number;
      readonly channels: number;
    };
  };
}

/** Settings the reducer needs, resolved from configuration and tenant limits. */
export interface SessionSettings {
  readonly info: SessionInfo;
  /** Per-state timeouts in ms, by state (absent: no timeout). */
  readonly stateTimeoutsMs: Readonly<Partial<Record<SessionState, number>>>;
  readonly maxDurationMs: number;
  readonly maxTurns: number;
  readonly interruptEnabled: boolean;
  /** Barge-in policy. */
  readonly interruption: {
    /** Voiced time (from the VAD's speech start) before caller speech over the bot can interrupt it. */
    readonly minSpeechMs: number;
    /** Words (not acknowledgements) needed to interrupt; 0 or 1: one word suffices. */
    readonly minWords: number;
    /** After overlapping speech ends, the longest wait for its final transcript before it counts as noise. */
    readonly falseInterruptionTimeoutMs: number;
    /** Whether overlapping speech without words leaves the bot talking (else it interrupts). */
    readonly resumeFalseInterruptions: boolean;
    /** Voiced time after which overlapping speech interrupts even without a word (0: never). */
    readonly sustainedSpeechMs: number;
    /** Output gain while overlapping speech is being judged (1: no ducking). */
    readonly duckGain: number;
    /** Acknowledgements that keep the floor with the bot (already for the session's language). */
    readonly backchannels: readonly string[];
  };
  /** Endpointing: how long the caller's silence must last before the turn is over. */
  readonly endpointing: {
    /** Silence after an utterance that sounds finished (raised by the caller's own pauses, up to max). */
    readonly minDelayMs: number;
    /** Silence after one that sounds unfinished (trailing "and", "to the", a number being dictated). */
    readonly maxDelayMs: number;
    /** Start the agent when the caller falls silent, and speak only once the turn is judged over. */
    readonly speculative: boolean;
    /**
     * An end-of-turn model is consulted (the actor has one): its probability at or
     * above `threshold` means finished (`minDelayMs`), below it unfinished (`maxDelayMs`);
     * until it answers, the transcript heuristic decides.
     */
    readonly model?: { readonly threshold: number };
  };
  readonly maxToolRounds: number;
  /** System prompt put first in the conversation, if any. */
  readonly systemPrompt?: string;
}

/** One synthesized segment (a sentence chunk) of a run's answer. */
export interface SegmentModel {
  readonly id: SegmentId;
  readonly text: string;
  /** ms of audio synthesized so far; final once `synthesized`. */
  durationMs: number;
  synthesized: boolean;
  /** ms the caller has heard. */
  playedMs: number;
  played: boolean;
  /** Word timings reported by the TTS, relative to the segment's start. */
  words: { text: string; startMs: number; endMs: number }[];
  /** The tool round of the run that produced it. */
  readonly round: number;
}

/** The agent run answering the current turn (tool rounds continue the same run). */
export interface RunModel {
  readonly id: RunId;
  readonly turnId: TurnId;
  /** The caller's words it answers. */
  readonly userText: string;
  /** Started before the end of turn was decided: its audio is held, its tools wait. */
  speculative: boolean;
  /** Tool calls of a speculative run, run once the turn is committed. */
  toolsHeld: boolean;
  /** Text generated so far in this agent round (reset when tools continue the run). */
  roundText: string;
  /** Every word generated in the run, heard or not. */
  generated: string;
  toolRound: number;
  pendingToolCalls: ToolCall[];
  awaitingTools: boolean;
  agentDone: boolean;
  segments: SegmentModel[];
  firstTokenAt: number | null;
  firstAudioAt: number | null;
  firstAudioSentAt: number | null;
  /** Tokens the provider reported over the run's rounds. */
  usage: { input_tokens: number; output_tokens: number };
  finishReason: 'stop' | 'length' | 'max_tool_rounds' | null;
}

/** The turn in progress. */
export interface TurnModel {
  readonly id: TurnId;
  readonly seq: number;
  readonly input: 'voice' | 'text';
  userText: string;
  speechStartAt: number | null;
  speechEndAt: number | null;
  finalAt: number | null;
}

/** Caller speech over the bot (thinking or speaking), being judged, or a decided interruption. */
export interface InterruptionModel {
  readonly runId: RunId;
  readonly from: 'Speaking' | 'Thinking';
  readonly startedAt: number;
  /** Voiced time has reached `minSpeechMs`. */
  speechConfirmed: boolean;
  speechEnded: boolean;
  /** Output is ducked while this is judged. */
  ducked: boolean;
  /** Decided: the run is cancelled for it and its flush report will resolve it. */
  decided: 'barge_in' | 'client' | null;
}

/** Everything the reducer knows: the FSM state plus the session's extended state. */
export interface SessionModel {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly settings: SessionSettings;
  machine: MachineState;
  startedAt: number | null;
  turnCount: number;
  conversation: ConversationMessage[];
  turn: TurnModel | null;
  run: RunModel | null;
  /** Runs cancelled whose flush report is still expected, with the turn each one ends. */
  cancelling: CancellingRun[];
  /** A turn waiting for the cancelled runs' turns to complete (their heard text comes first). */
  pendingTurn: PendingTurn | null;
  /**
   * A committed turn reopened because the caller went on before hearing its
   * answer: its run was dropped, and the rest of the speech joins its words.
   */
  reopened: { readonly turn: TurnModel; readonly run: RunModel } | null;
  interruption: InterruptionModel | null;
  /** Caller speech as VAD and ASR see it. */
  speech: {
    active: boolean;
    /** Final transcript pieces of the current utterance. */
    finals: string[];
    partial: string;
    /** When the last speech ended (endpoint timer running). */
    endedAt: number | null;
    /** Waiting for the final after asking the ASR to finalize. */
    finalizing: boolean;
    /** Speech was detected since the ASR last finalized (so there is audio to finalize). */
    heard: boolean;
    /** The next final belongs to speech already judged (noise over the bot): drop it. */
    discardNext?: boolean;
    /** When the current utterance's speech started (clock). */
    startAt?: number;
    /** Where it starts and ends on the input audio's timeline (ms of audio). */
    startMs: number;
    endMs: number | null;
    /** When (clock) the caller's silence began: the VAD's silence start, not when it was reported. */
    silenceAt: number | null;
    /** Smoothed length of the caller's pauses inside an utterance (input audio ms). */
    pauseEstimateMs: number;
    /** When (clock) the final of the utterance so far arrived. */
    finalAt: number | null;
    /** End the turn as soon as the final comes (the utterance hit its maximum length). */
    commitOnFinal: boolean;
    /** The end-of-turn model's answer for the words so far (null: not asked or not answered). */
    endOfTurn: { readonly text: string; readonly probability: number | null } | null;
  };
  /** Armed timers by name, with the token that identifies the current arming. */
  timers: Partial<Record<TimerName, number>>;
  nextToken: number;
  /** When the session was paused, while it is. */
  pausedAt: number | null;
  closing: SessionOutcome | null;
}

/** Inputs: everything that can happen to a session, at control rate. */
export type SessionInput =
  | { readonly type: 'start' }
  | { readonly type: 'adapters_ready' }
  | { readonly type: 'adapters_failed'; readonly message: string }
  | {
      readonly type: 'vad_start';
      /** Where speech began on the input audio's timeline. */
      readonly atMs: number;
      readonly probability?: number;
      /** Input audio position when the VAD reported it (absent: at `atMs`). */
      readonly detectedAtMs?: number;
    }
  | {
      readonly type: 'vad_end';
      /** Where the silence began on the input audio's timeline. */
      readonly atMs: number;
      readonly speechMs: number;
      /** Input audio position when the VAD reported it (absent: at `atMs`). */
      readonly detectedAtMs?: number;
    }
  | { readonly type: 'asr_partial'; readonly text: string }
  | { readonly type: 'asr_final'; readonly text: string }
  | { readonly type: 'asr_error'; readonly code: string; readonly message: string }
  | { readonly type: 'text_input'; readonly text: string }
  | { readonly type: 'agent'; readonly runId: string; readonly event: AgentEvent }
  | { readonly type: 'agent_chunk'; readonly runId: string; readonly text: string }
  | {
      readonly type: 'agent_error';
      readonly runId: string;
      readonly code: string;
      readonly message: string;
    }
  | {
      readonly type: 'tool_results';
      readonly runId: string;
      readonly results: readonly ToolResultInput[];
    }
  | {
      readonly type: 'tts_audio';
      readonly runId: string;
      readonly segmentId: string;
      readonly durationMs: number;
    }
  | {
      readonly type: 'tts_word';
      readonly runId: string;
      readonly segmentId: string;
      readonly text: string;
      readonly startMs: number;
      readonly endMs: number;
    }
  | { readonly type: 'tts_done'; readonly runId: string; readonly segmentId: string }
  | {
      readonly type: 'tts_error';
      readonly runId: string;
      readonly segmentId: string;
      readonly code: string;
      readonly message: string;
    }
  | { readonly type: 'playback_started'; readonly runId: string; readonly segmentId: string }
  | {
      readonly type: 'playback_progress';
      readonly runId: string;
      readonly segmentId: string;
      readonly playedMs: number;
      readonly segmentDone: boolean;
    }
  | {
      readonly type: 'output_flushed';
      readonly runId: string;
      readonly discardedMs: number;
      readonly heard: readonly { readonly segmentId: string; readonly playedMs: number }[];
    }
  | { readonly type: 'timer'; readonly name: TimerName; readonly token: number }
  | { readonly type: 'interrupt' }
  /** Transfer to a human or another system was requested (tool, API). */
  | { readonly type: 'handoff_request'; readonly target: string }
  | { readonly type: 'handoff_result'; readonly ok: boolean }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | {
      readonly type: 'end';
      readonly reason?: SessionOutcome;
      /** Why, when it says more than the outcome (e.g. which quota ran out). */
      readonly detail?: string;
    }
  | { readonly type: 'transport_closed' }
  /** The end-of-turn model's probability that the caller has finished saying `text`. */
  | { readonly type: 'end_of_turn'; readonly text: string; readonly probability: number }
  /** Audio discarded outside the reducer, totalled over a report window by the actor. */
  | {
      readonly type: 'audio_dropped';
      readonly direction: 'inbound' | 'outbound';
      readonly reason: AudioDropReason;
      readonly frames: number;
      readonly durationMs: number;
    }
  /** Usage an ASR or TTS provider reported (agent usage comes with its run's events). */
  | {
      readonly type: 'provider_usage';
      readonly kind: 'asr' | 'tts';
      /** asr: audio ms; tts: characters. */
      readonly quantity: number;
      /** A key unique within the session, for idempotent metering. */
      readonly key: string;
    };

/** Why audio was discarded (as `media.audio_dropped` names it). */
export type AudioDropReason = 'backpressure' | 'invalid_audio' | 'paused' | 'late';

/** A tool call's outcome as the reducer records it. */
export interface ToolResultInput {
  readonly callId: string;
  readonly name: string;
  readonly ok: boolean;
  /** The JSON result, when ok. */
  readonly result?: unknown;
  /** What goes into the conversation's tool message. */
  readonly content: string;
  readonly durationMs: number;
  readonly error?: { readonly code: string; readonly message: string };
}

/** A run cancelled whose output flush has not been reported yet. */
export interface CancellingRun {
  readonly run: RunModel;
  /** The committed turn it answered (null for a speculative run: no turn was started). */
  readonly turn: TurnModel | null;
  readonly status: TurnStatus;
}

/** A turn to start once no cancelled run's turn is still open. */
export interface PendingTurn {
  readonly input: 'voice' | 'text';
  readonly text: string;
  readonly speechStartAt: number | null;
  readonly speechEndAt: number | null;
  readonly finalAt: number | null;
}

/** Latency breakdown of a turn, ms; null where unknown. */
export interface TurnLatencyModel {
  readonly asr_ms: number | null;
  readonly agent_first_token_ms: number | null;
  readonly tts_first_audio_ms: number | null;
  readonly first_audio_sent_ms: number | null;
  readonly voice_to_voice_ms: number | null;
}

/** Commands: what the effects runner does for the reducer. */
export type SessionCommand =
  | { readonly type: 'open_adapters' }
  | { readonly type: 'close_adapters' }
  | { readonly type: 'asr_finalize' }
  | {
      readonly type: 'start_agent';
      readonly runId: string;
      readonly conversation: readonly ConversationMessage[];
    }
  | { readonly type: 'cancel_run'; readonly runId: string; readonly keepTools: boolean }
  | { readonly type: 'run_tools'; readonly runId: string; readonly calls: readonly ToolCall[] }
  | {
      readonly type: 'synthesize';
      readonly runId: string;
      readonly segmentId: string;
      readonly text: string;
    }
  | { readonly type: 'pause_output' }
  | { readonly type: 'resume_output' }
  /** Output gain: below 1 while overlapping caller speech is judged, 1 again after. */
  | { readonly type: 'duck_output'; readonly gain: number }
  /** Discard queued audio of a run and tell the far end to drop what it buffered. */
  | { readonly type: 'flush_output'; readonly runId: string }
  | {
      readonly type: 'arm_timer';
      readonly name: TimerName;
      readonly ms: number;
      readonly token: number;
    }
  | { readonly type: 'cancel_timer'; readonly name: TimerName }
  | {
      readonly type: 'emit';
      readonly event: string;
      readonly data: Readonly<Record<string, unknown>>;
      readonly turnId?: string;
      readonly runId?: string;
      readonly severity?: Severity;
    }
  | {
      readonly type: 'persist_session';
      readonly state: SessionState;
      readonly outcome?: SessionOutcome;
      readonly closeReason?: string;
    }
  | {
      readonly type: 'persist_turn_started';
      readonly turnId: string;
      readonly seq: number;
      readonly input: 'voice' | 'text';
      readonly userText: string;
    }
  | {
      readonly type: 'persist_turn_completed';
      readonly turnId: string;
      readonly status: TurnStatus;
      readonly userText: string;
      readonly assistantText: string;
      readonly assistantTextGenerated: string;
      readonly interrupted: boolean;
      readonly latency: TurnLatencyModel;
    }
  /** Ask the end-of-turn model about the caller's words (its answer comes back as `end_of_turn`). */
  | {
      readonly type: 'predict_end_of_turn';
      readonly text: string;
      readonly context: readonly ConversationMessage[];
    }
  | { readonly type: 'close'; readonly outcome: SessionOutcome };

/** What the reducer gets besides the model and the input. */
export interface StepContext {
  /** The clock's time when the input is processed. */
  readonly now: number;
  /** Mints an ID (injected, so replay can supply the same ones). */
  readonly newId: (kind: 'turn' | 'run' | 'segment') => string;
}

/** The reducer's answer. */
export interface StepResult {
  readonly model: SessionModel;
  readonly commands: SessionCommand[];
}
