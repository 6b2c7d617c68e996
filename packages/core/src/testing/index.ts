/**
 * `@prx-voice/core/testing` — test helpers: a simulated `Clock`, and a timer-lag sampler for benchmarks.
 *
 * @example
 * import { SimulatedClock } from '@prx-voice/core/testing';
 * const clock = new SimulatedClock();
 * clock.advance(30_000); // fires the timers due in the next 30 s, in order
 */
export { DEFAULT_SIMULATED_START, SimulatedClock } from './simulated-clock.js';
export type { RunAllOptions, SimulatedClockOptions } from './simulated-clock.js';
export { sampleTimerLag } from './timer-lag.js';
export type { TimerLag } from './timer-lag.js';
