/**
 * `pnpm --filter @prx-voice/state bench`: what the pure `transition` costs per
 * trigger, per turn (seven triggers) and per barge-in, on this machine.
 */
import { initialMachineState, transition } from '../src/index.js';
import type { MachineState, SessionTrigger } from '../src/index.js';

const ITERATIONS = 20_000;

const TURN: SessionTrigger[] = [
  { type: 'VAD_STARTED' },
  { type: 'VAD_ENDED' },
  { type: 'TRANSCRIPT_FINAL', empty: false },
  { type: 'AGENT_RESPONSE_START' },
  { type: 'PLAYBACK_COMPLETED' },
  { type: 'STATE_TIMEOUT', state: 'Speaking' }, // stale: ignored
  { type: 'PLAYBACK_COMPLETED' }, // not accepted in Listening: ignored
];

const BARGE_IN: SessionTrigger[] = [
  { type: 'TEXT_INPUT' },
  { type: 'AGENT_RESPONSE_START' },
  { type: 'INTERRUPT_DETECTED' },
  { type: 'INTERRUPT_RESOLVED', outcome: 'barge_in', userSpeaking: true },
  { type: 'VAD_ENDED' },
  { type: 'TRANSCRIPT_FINAL', empty: true },
];

function listening(): MachineState {
  let state = initialMachineState();
  for (const trigger of [{ type: 'SESSION_CREATE' }, { type: 'ADAPTERS_READY' }] as const) {
    state = transition(state, trigger).state;
  }
  return state;
}

function measure(label: string, triggers: SessionTrigger[]): void {
  const start = listening();
  let state = start;
  for (let i = 0; i < 1_000; i++) for (const t of triggers) state = transition(state, t).state;
  const began = performance.now();
  for (let i = 0; i < ITERATIONS; i++) {
    state = start;
    for (const t of triggers) state = transition(state, t).state;
  }
  const elapsedMs = performance.now() - began;
  const perSequence = (elapsedMs * 1000) / ITERATIONS;
  console.log(
    `state ${label}: ${perSequence.toFixed(1)} µs per sequence, ` +
      `${(perSequence / triggers.length).toFixed(2)} µs per trigger (${triggers.length} triggers, ${ITERATIONS.toLocaleString('en-US')} runs)`,
  );
}

measure('turn', TURN);
measure('barge-in', BARGE_IN);
