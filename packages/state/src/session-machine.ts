/**
 * The session state machine (xstate v5): twelve flat states, the triggers of
 * `triggers.ts`, no delays and no invoked actors — it is only ever evaluated
 * with xstate's pure transition functions (see `transition.ts`).
 */
import { INITIAL_CONTEXT } from './machine-context.js';
import { machineSetup } from './machine-setup.js';
import { connectingState, idleState } from './phases/connecting-phase.js';
import { handoffPendingState, interruptedState, pausedState } from './phases/control-phase.js';
import {
  asrProcessingState,
  listeningState,
  speakingState,
  thinkingState,
  userSpeakingState,
} from './phases/conversation-phase.js';
import { closedState, failedState, terminationTransitions } from './phases/termination-phase.js';

/**
 * The PRX Voice session machine.
 *
 * Every accepted transition, `from | trigger | to | reason` (a `-` reason:
 * none). Any cell not listed is not accepted: the trigger is ignored and the
 * state stays. `STATE_TIMEOUT` means `STATE_TIMEOUT { state: <the from state> }`;
 * one naming another state is stale and ignored.
 *
 * | from | trigger | to | reason |
 * |---|---|---|---|
 * | any live state | `CLOSE { forced, reason? }` | Closed | `reason`, else `shutdown` if forced, else `completed` |
 * | any live state | `TRANSPORT_DISCONNECT` | Closed | `caller_hangup` |
 * | any live state | `RESOURCE_EXHAUSTED` | Failed | `resource_exhausted` |
 * | any live state | `UNRECOVERABLE_ERROR` | Failed | `unrecoverable_error` |
 * | Idle | `SESSION_CREATE` | Connecting | - |
 * | Idle | `STATE_TIMEOUT` (idle_s) | Closed | `idle_timeout` |
 * | Connecting | `ADAPTERS_READY` | Listening | - |
 * | Connecting | `ADAPTER_INIT_FAILED` | Failed | `adapter_init_failed` |
 * | Connecting | `ADAPTER_INIT_TIMEOUT` | Failed | `adapter_init_timeout` |
 * | Connecting | `STATE_TIMEOUT` (connecting_s) | Failed | `adapter_init_timeout` |
 * | Listening | `VAD_STARTED` | UserSpeaking | - |
 * | Listening | `TRANSCRIPT_FINAL { empty: false }` | Thinking | - |
 * | Listening | `TEXT_INPUT` | Thinking | - |
 * | Listening | `STATE_TIMEOUT` (listening_s) | Closed | `idle_timeout` |
 * | UserSpeaking | `VAD_ENDED` | AsrProcessing | - |
 * | UserSpeaking | `STATE_TIMEOUT` (max_utterance_s) | AsrProcessing | `max_utterance` |
 * | AsrProcessing | `TRANSCRIPT_FINAL { empty: false }` | Thinking | - |
 * | AsrProcessing | `TRANSCRIPT_FINAL { empty: true }` | Listening | `empty_transcript` |
 * | AsrProcessing | `VAD_STARTED` | UserSpeaking | - |
 * | AsrProcessing | `ASR_TIMEOUT` | Listening | `asr_timeout` |
 * | AsrProcessing | `STATE_TIMEOUT` (asr_s) | Listening | `asr_timeout` |
 * | Thinking | `AGENT_RESPONSE_START` | Speaking | - |
 * | Thinking | `AGENT_RESPONSE_EMPTY` | Listening | `empty_response` |
 * | Thinking | `AGENT_TIMEOUT` | Listening | `agent_timeout` |
 * | Thinking | `AGENT_ERROR` | Listening | `agent_error` |
 * | Thinking | `TTS_ERROR` | Listening | `tts_error` |
 * | Thinking | `STATE_TIMEOUT` (thinking_s) | Listening | `thinking_timeout` |
 * | Speaking | `PLAYBACK_COMPLETED` | Listening | - |
 * | Speaking | `AGENT_TIMEOUT` | Listening | `agent_timeout` |
 * | Speaking | `AGENT_ERROR` | Listening | `agent_error` |
 * | Speaking | `TTS_ERROR` | Listening | `tts_error` |
 * | Speaking | `STATE_TIMEOUT` (speaking_s) | Listening | `speaking_timeout` |
 * | Thinking, Speaking | `INTERRUPT_DETECTED { source? }` | Interrupted (remembers from) | `user_speech`, or `client_interrupt` for source `client` |
 * | Interrupted | `INTERRUPT_RESOLVED { barge_in, userSpeaking: true }` | UserSpeaking | `barge_in` |
 * | Interrupted | `INTERRUPT_RESOLVED { barge_in, userSpeaking: false }` | Listening | `barge_in` |
 * | Interrupted | `INTERRUPT_RESOLVED { false_interruption }` | the interrupted state (Speaking or Thinking) | `false_interruption` |
 * | Interrupted | `STATE_TIMEOUT` (interrupted_s) | Listening | `interrupted_timeout` |
 * | Listening, UserSpeaking, AsrProcessing, Thinking, Speaking, Interrupted | `PAUSE` | Paused (remembers from) | - |
 * | Paused | `RESUME` | Thinking or Speaking if paused from there; Listening otherwise | - |
 * | Paused | `STATE_TIMEOUT` (paused_s) | Closed | `idle_timeout` |
 * | Listening, UserSpeaking, AsrProcessing, Thinking, Speaking, Interrupted | `HANDOFF_REQUEST` | HandoffPending | - |
 * | HandoffPending | `HANDOFF_CONFIRMED` | Closed | `handoff` |
 * | HandoffPending | `HANDOFF_TIMEOUT` | Listening | `handoff_timeout` |
 * | HandoffPending | `HANDOFF_FAILED` | Listening | `handoff_failed` |
 * | HandoffPending | `STATE_TIMEOUT` (handoff_s) | Listening | `handoff_timeout` |
 * | Closed, Failed | anything | — (terminal) | |
 *
 * Decisions behind the cells that are not obvious:
 * - Idle's timeout closes with `idle_timeout` rather than failing: nobody
 *   attaching is an abandoned session, not an engine failure. Connecting's
 *   timeout is the adapter-init timeout and fails.
 * - `VAD_STARTED` in Thinking or Speaking is not accepted: speech there is a
 *   possible barge-in that the reducer weighs against the interruption policy
 *   and reports as `INTERRUPT_DETECTED`. In AsrProcessing it is accepted (the
 *   caller went on talking before the transcript came): back to UserSpeaking.
 * - `TRANSCRIPT_FINAL` with words is accepted in Listening too: the ASR heard
 *   words the VAD missed, or the transcript of a barge-in resolved with
 *   `userSpeaking: false` arrives. In UserSpeaking a final (of one segment) does
 *   not end the turn; endpointing is the reducer's, reported as `VAD_ENDED`.
 * - `TEXT_INPUT` is accepted in Listening only. A text turn while the bot
 *   thinks or speaks is first an interruption (`INTERRUPT_DETECTED { source:
 *   'client' }`, then `INTERRUPT_RESOLVED { barge_in, userSpeaking: false }`);
 *   during a voice turn, a pause or a handoff it is refused (HTTP 409).
 * - `AGENT_TIMEOUT`, `AGENT_ERROR` and `TTS_ERROR` recover to Listening from
 *   Thinking and Speaking alike: the first audio may fail to synthesise while
 *   still Thinking, and the agent may fail mid-stream while Speaking.
 * - `ASR_TIMEOUT` is accepted only in AsrProcessing, the one state that waits
 *   on the ASR.
 * - `PAUSE` is refused in Idle, Connecting (nothing to pause), Paused (already)
 *   and HandoffPending: the transfer goes on outside the session, and its
 *   confirmation must not be lost to a pause.
 * - `RESUME` returns to Thinking or Speaking as they were; UserSpeaking,
 *   AsrProcessing and Interrupted are transient (their speech, transcript or
 *   interruption did not survive the pause), so they resume to Listening.
 * - `HANDOFF_REQUEST` is accepted in every conversation state including
 *   Interrupted, not in Paused (resume first) nor in set-up.
 * - `TRANSPORT_DISCONNECT` always reads as `caller_hangup`; a transport whose
 *   stream ends because a transfer completed reports `HANDOFF_CONFIRMED` first.
 * - Paused's timeout closes with `idle_timeout`, the closest session outcome.
 *
 * @example
 * import { sessionMachine } from '@prx-voice/state';
 * const snapshot = sessionMachine.resolveState({ value: 'Listening', context });
 */
export const sessionMachine = machineSetup.createMachine({
  id: 'session',
  initial: 'Idle',
  context: INITIAL_CONTEXT,
  on: terminationTransitions,
  states: {
    Idle: idleState,
    Connecting: connectingState,
    Listening: listeningState,
    UserSpeaking: userSpeakingState,
    AsrProcessing: asrProcessingState,
    Thinking: thinkingState,
    Speaking: speakingState,
    Interrupted: interruptedState,
    Paused: pausedState,
    HandoffPending: handoffPendingState,
    Closed: closedState,
    Failed: failedState,
  },
});

/** The type of {@link sessionMachine}. */
export type SessionMachine = typeof sessionMachine;
