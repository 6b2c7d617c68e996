/**
 * `@prx-voice/session/testing` — a session on simulated time with the mock
 * providers, for scenario tests here and in the packages above.
 *
 * @example
 * const s = await createScenario();
 * await s.speak(600); await s.silence(2000);
 * expect(s.types()).toContain('prx.voice.turn.completed');
 */
export { createScenario, scenarioSettings } from './scenario.js';
export type { Scenario, ScenarioOptions } from './scenario.js';
export {
  BOOKING_LINE,
  bookingFlow,
  bookingFlowInput,
  bookingTools,
  callStep,
  createFlowScenario,
  parsedFlow,
} from './flow-fixtures.js';
export type { FlowScenarioOptions } from './flow-fixtures.js';
