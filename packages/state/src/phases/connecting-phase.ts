/**
 * Set-up: Idle (created, nobody attached yet) and Connecting (adapters
 * initialising). Leaving set-up goes to Listening, Failed or Closed.
 */
import { closeWith, failWith, machineSetup, to } from '../machine-setup.js';

/** Idle: the session exists; `SESSION_CREATE` starts it. */
export const idleState = machineSetup.createStateConfig({
  description: 'Created; nobody attached and no adapter opened yet.',
  on: {
    SESSION_CREATE: to('Connecting'),
    STATE_TIMEOUT: {
      guard: { type: 'timeoutOf', params: { state: 'Idle' } },
      ...closeWith('idle_timeout'),
    },
  },
});

/** Connecting: adapters are being initialised. */
export const connectingState = machineSetup.createStateConfig({
  description: 'Opening the ASR, agent, TTS and VAD adapters.',
  on: {
    ADAPTERS_READY: to('Listening'),
    ADAPTER_INIT_FAILED: failWith('adapter_init_failed'),
    ADAPTER_INIT_TIMEOUT: failWith('adapter_init_timeout'),
    STATE_TIMEOUT: {
      guard: { type: 'timeoutOf', params: { state: 'Connecting' } },
      ...failWith('adapter_init_timeout'),
    },
  },
});
