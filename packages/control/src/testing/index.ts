/**
 * `@prx-voice/control/testing` — the control app over in-memory storage on a
 * simulated clock, for route tests here and in apps.
 *
 * @example
 * const h = await createControlHarness();
 * const res = await h.request('GET', '/api/v1/tenants', { key: h.adminKey });
 */
export { createControlHarness } from './control-harness.js';
export type { ControlHarness, ControlHarnessOptions, HarnessRequest } from './control-harness.js';
