/**
 * The session actor's vocabulary: its extended state (the model) and the
 * reducer's step types; the inputs it accepts are in `inputs.ts` and the
 * commands it gives in `commands.ts` (re-exported here). Everything is plain
 * JSON-safe data, so a session can be logged, replayed and inspected.
 */
import type { ConversationMessage, ToolCall } from '@prx-voice/adapter';
import type { MachineState } from '@prx-voice/state';
import type {
  Channel,
  Direction,
  RunId,
  SegmentId,
  SessionOutcome,
  SessionState,
  TurnId,
} from '@prx-voice/types';

import type { SessionCommand } from './commands.js';
import type { DtmfSettings } from './dtmf.js';
import type { HandoffRequest } from './handoff.js';
import type { FlowModel } from './flows/flow-engine.js';
import type { FlowDefinition } from './flows/flow-schema.js';
import type { SettingsUpdate } from './settings-update.js';

export type { RunId, SegmentId, TurnId };
export type { SessionCommand, TurnLatencyModel } from './commands.js';
export type { AudioDropReason, SessionInput, ToolResultInput } from './inputs.js';

/** How a turn ends: exactly one of these, persisted and emitted once. */
export type TurnStatus = 'completed' | 'interrupted' | 'failed' | 'cancelled';

/** The reducer's named timers (one arming of each at a time). */
export type TimerName =
  | 'state_timeout'
  | 'max_duration'
  | 'endpoint'
  | 'interrupt_confirm'
  | 'barge_in_sustain'
  | 'false_interruption'
  | 'tool_filler';

/** Every timer name, for checks. */
export const TIMER_NAMES: readonly TimerName[] = [
  'state_timeout',
  'max_duration',
  'endpoint',
  'interrupt_confirm',
  'barge_in_sustain',
  'false_interruption',
  'tool_filler',
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
  /**
   * Lines to say while a tool runs (`speak_while_waiting`), by tool name: said once per
   * tool round when the round's results are not back within `toolFillerGraceMs`.
   */
  readonly toolFillers?: Readonly<Record<string, string>>;
  /** How long a tool round may take before its filler is said (absent: `TOOL_FILLER_GRACE_MS`). */
  readonly toolFillerGraceMs?: number;
  /** How keypad keys collect into a sequence (absent: `DTMF_DEFAULTS`); the actor's, not the reducer's. */
  readonly dtmf?: DtmfSettings;
  /** System prompt put first in the conversation, if any. */
  readonly systemPrompt?: string;
  /** What the bot says as soon as the session listens (an assistant's first message). */
  readonly firstMessage?: string;
  /** What the bot says when a handoff fails or times out (absent or empty: nothing, it listens). */
  readonly handoffFailureMessage?: string;
  /** A conversation flow, validated (`parseFlow`): its current node decides the agent's messages and tools. */
  readonly flow?: FlowDefinition;
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
  /** Replaced (never changed in place) when a settings update applies at a turn boundary. */
  settings: SessionSettings;
  /** A settings change waiting for the next turn boundary (newer ones merged over it). */
  pendingSettings: SettingsUpdate | null;
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
  /** The handoff in progress (HandoffPending), with the id its result must carry. */
  handoff: HandoffModel | null;
  closing: SessionOutcome | null;
  /** The conversation flow's state (null without `settings.flow`). */
  flow: FlowModel | null;
}

/** A handoff waiting for its outcome. */
export interface HandoffModel {
  readonly id: number;
  readonly request: HandoffRequest;
  readonly requestedAt: number;
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
  /** The bot says this as it is, without the agent (a first message); `text` is then empty. */
  readonly script?: string;
  readonly speechStartAt: number | null;
  readonly speechEndAt: number | null;
  readonly finalAt: number | null;
}

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
