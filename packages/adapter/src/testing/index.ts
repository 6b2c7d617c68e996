/**
 * `@prx-voice/adapter/testing` — scriptable providers for tests, all timed on
 * an injected clock: an ASR with timed transcripts, an agent with timed tokens
 * and tool calls, a TTS with a set first-byte delay, a VAD with scripted
 * events, each with injected failures and a record of what it received; and
 * helpers that drive async code on a SimulatedClock.
 *
 * @example
 * import { createFakeAgent, drainOnClock, fakeAnswer } from '@prx-voice/adapter/testing';
 * import { SimulatedClock } from '@prx-voice/core/testing';
 *
 * const clock = new SimulatedClock();
 * const agent = createFakeAgent({ clock, runs: [fakeAnswer('Hi there.', 20)] });
 * const events = await drainOnClock(
 *   agent.run({ conversation: [{ role: 'user', content: 'hello' }], tools: [], signal: new AbortController().signal }),
 *   clock,
 * );
 * // tokens 'Hi ' at +20 ms and 'there.' at +40 ms, then usage and done
 */
export { createFakeAgent, fakeAnswer, fakeTokens } from './fake-agent.js';
export type {
  FakeAgent,
  FakeAgentOptions,
  FakeAgentRun,
  FakeAgentStep,
  RecordedAgentRequest,
} from './fake-agent.js';
export { createFakeAsr } from './fake-asr.js';
export type {
  FakeAsr,
  FakeAsrAction,
  FakeAsrOptions,
  FakeAsrStep,
  FakeAsrStreamRecord,
  FakeAsrTrigger,
} from './fake-asr.js';
export { createFakeTts } from './fake-tts.js';
export type { FakeTts, FakeTtsOptions, FakeTtsSynthesis } from './fake-tts.js';
export { createFakeVad } from './fake-vad.js';
export type { FakeVad, FakeVadOptions, FakeVadStep, FakeVadStreamRecord } from './fake-vad.js';
export { drainOnClock, settle } from './drive.js';
export type { DrainOnClockOptions } from './drive.js';
