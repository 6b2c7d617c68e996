/**
 * The inputs the session reducer accepts: everything that can happen to a
 * session at control rate (adapter output, client commands, fired timers).
 */
import type { AgentEvent } from '@prx-voice/adapter';
import type { SessionOutcome } from '@prx-voice/types';
import type { HandoffTarget, HandoffTrigger } from './handoff.js';
import type { TimerName } from './model.js';
import type { SettingsUpdate } from './settings-update.js';

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
  /** The bot says `text` as it is (an assistant's first message): a turn without user words. */
  | { readonly type: 'say'; readonly text: string }
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
  /** Transfer to a person was requested (the `transfer_call` tool, a flow action, the API). */
  | {
      readonly type: 'handoff_request';
      readonly target: HandoffTarget;
      readonly reason?: string;
      readonly trigger: HandoffTrigger;
      /**
       * The result of the tool call that asked for it (trigger `tool`): reported
       * (`agent.tool_result`) and put in the conversation before the run is cancelled.
       */
      readonly result?: ToolResultInput;
    }
  /** The outcome of `perform_handoff` `handoffId` (a stale one is ignored). */
  | {
      readonly type: 'handoff_result';
      readonly handoffId: number;
      readonly ok: boolean;
      readonly error?: { readonly code: string; readonly message: string };
    }
  /** Language, providers, prompt or tools change: pending until the next turn boundary. */
  | { readonly type: 'settings_update'; readonly update: SettingsUpdate }
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
      readonly kind: 'asr' | 'tts' | 'tts_audio';
      /** asr: audio ms; tts: characters; tts_audio: synthesized audio ms. */
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
