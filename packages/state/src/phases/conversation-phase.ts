/**
 * The conversation: Listening → UserSpeaking → AsrProcessing → Thinking →
 * Speaking → Listening, with the recoveries to Listening when a turn cannot
 * complete (empty transcript or response, adapter timeouts and errors).
 * Pause, handoff and interruption leave from here into the control phase.
 */
import { because, closeWith, machineSetup, to } from '../machine-setup.js';

/** `HANDOFF_REQUEST` from any conversation state. */
const handoff = { HANDOFF_REQUEST: to('HandoffPending') } as const;

/** Listening: waiting for the caller (voice or a text turn). */
export const listeningState = machineSetup.createStateConfig({
  description: 'Waiting for the caller to speak or type.',
  on: {
    VAD_STARTED: to('UserSpeaking'),
    TRANSCRIPT_FINAL: { guard: 'transcriptHasWords', ...to('Thinking') },
    TEXT_INPUT: to('Thinking'),
    PAUSE: to('Paused', { pausedFrom: 'Listening' }),
    ...handoff,
    STATE_TIMEOUT: {
      guard: { type: 'timeoutOf', params: { state: 'Listening' } },
      ...closeWith('idle_timeout'),
    },
  },
});

/** UserSpeaking: the VAD hears the caller. */
export const userSpeakingState = machineSetup.createStateConfig({
  description: 'The caller is talking; audio streams to the ASR.',
  on: {
    VAD_ENDED: to('AsrProcessing'),
    PAUSE: to('Paused', { pausedFrom: 'UserSpeaking' }),
    ...handoff,
    STATE_TIMEOUT: {
      guard: { type: 'timeoutOf', params: { state: 'UserSpeaking' } },
      ...because('AsrProcessing', 'max_utterance'),
    },
  },
});

/** AsrProcessing: speech ended, waiting for the final transcript. */
export const asrProcessingState = machineSetup.createStateConfig({
  description: 'The caller stopped; waiting for the final transcript.',
  on: {
    TRANSCRIPT_FINAL: [
      { guard: 'transcriptHasWords', ...to('Thinking') },
      because('Listening', 'empty_transcript'),
    ],
    VAD_STARTED: to('UserSpeaking'),
    ASR_TIMEOUT: because('Listening', 'asr_timeout'),
    PAUSE: to('Paused', { pausedFrom: 'AsrProcessing' }),
    ...handoff,
    STATE_TIMEOUT: {
      guard: { type: 'timeoutOf', params: { state: 'AsrProcessing' } },
      ...because('Listening', 'asr_timeout'),
    },
  },
});

/** Thinking: the agent runs; no audio has reached the caller yet. */
export const thinkingState = machineSetup.createStateConfig({
  description: 'The agent is running; the first audio is not ready yet.',
  on: {
    AGENT_RESPONSE_START: to('Speaking'),
    AGENT_RESPONSE_EMPTY: because('Listening', 'empty_response'),
    INTERRUPT_DETECTED: [
      {
        guard: 'interruptFromClient',
        ...to('Interrupted', { interruptedFrom: 'Thinking', reason: 'client_interrupt' }),
      },
      to('Interrupted', { interruptedFrom: 'Thinking', reason: 'user_speech' }),
    ],
    AGENT_TIMEOUT: because('Listening', 'agent_timeout'),
    AGENT_ERROR: because('Listening', 'agent_error'),
    TTS_ERROR: because('Listening', 'tts_error'),
    PAUSE: to('Paused', { pausedFrom: 'Thinking' }),
    ...handoff,
    STATE_TIMEOUT: {
      guard: { type: 'timeoutOf', params: { state: 'Thinking' } },
      ...because('Listening', 'thinking_timeout'),
    },
  },
});

/** Speaking: the response is playing to the caller. */
export const speakingState = machineSetup.createStateConfig({
  description: 'The response is playing; the agent may still be streaming.',
  on: {
    PLAYBACK_COMPLETED: to('Listening'),
    INTERRUPT_DETECTED: [
      {
        guard: 'interruptFromClient',
        ...to('Interrupted', { interruptedFrom: 'Speaking', reason: 'client_interrupt' }),
      },
      to('Interrupted', { interruptedFrom: 'Speaking', reason: 'user_speech' }),
    ],
    AGENT_TIMEOUT: because('Listening', 'agent_timeout'),
    AGENT_ERROR: because('Listening', 'agent_error'),
    TTS_ERROR: because('Listening', 'tts_error'),
    PAUSE: to('Paused', { pausedFrom: 'Speaking' }),
    ...handoff,
    STATE_TIMEOUT: {
      guard: { type: 'timeoutOf', params: { state: 'Speaking' } },
      ...because('Listening', 'speaking_timeout'),
    },
  },
});
