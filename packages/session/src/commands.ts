/**
 * The commands the session reducer asks the effects runner to carry out, and
 * the latency breakdown a completed turn records.
 */
import type { ConversationMessage, ToolCall, ToolDefinition } from '@prx-voice/adapter';
import type { SessionOutcome, SessionState, Severity } from '@prx-voice/types';
import type { HandoffRequest } from './handoff.js';
import type { TimerName, TurnStatus } from './model.js';
import type { ApplySettings } from './settings-update.js';

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
      /** Say this instead of asking the agent (a first message). */
      readonly script?: string;
      /** The tools the agent is offered (absent: every tool of the session's registry). */
      readonly tools?: readonly ToolDefinition[];
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
  /** Carry a handoff out on the transport; its outcome comes back as `handoff_result`. */
  | {
      readonly type: 'perform_handoff';
      readonly handoffId: number;
      readonly request: HandoffRequest;
    }
  /** Give up on the handoff in progress (timed out or the session ends): abort its work. */
  | { readonly type: 'cancel_handoff'; readonly handoffId: number }
  /** A settings change at a turn boundary: providers swapped, the recognition stream reopened. */
  | ApplySettings
  /** The session's row follows its language, providers and assistant. */
  | {
      readonly type: 'persist_settings';
      readonly language: string;
      readonly providers: Readonly<Record<string, string>>;
      readonly assistant?: { readonly id: string; readonly version: number };
    }
  | { readonly type: 'close'; readonly outcome: SessionOutcome };
