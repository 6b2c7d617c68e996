/**
 * The one contract suite every `Coordinator` implementation passes. Each backend's
 * test file calls {@link describeCoordinatorContract} with a setup that builds a
 * fresh coordinator on a `SimulatedClock` (and, where it can, a second instance
 * on the same backend), so both backends are held to identical, deterministic
 * behaviour: time moves only when a test advances the clock.
 */
import { describe } from 'vitest';
import { useContractHarness } from './coordinator-harness.contract.js';
import type { CoordinatorContractSetup } from './coordinator-harness.contract.js';
import { describeLeaseContract } from './coordinator-leases.contract.js';
import { describeLimitsContract } from './coordinator-limits.contract.js';
import { describePubSubContract } from './coordinator-pubsub.contract.js';
import { describeStreamContract } from './coordinator-streams.contract.js';
import { describeKeeperContract } from './lease-keeper.contract.js';

export type {
  CoordinatorContractContext,
  CoordinatorContractSetup,
} from './coordinator-harness.contract.js';

/**
 * Registers the coordinator contract tests under `name`.
 *
 * @example
 * describeCoordinatorContract('memory coordinator', async () => {
 *   const clock = new SimulatedClock();
 *   const hub = new MemoryCoordinationHub();
 *   const coordinator = createMemoryCoordinator({ clock, hub });
 *   return { coordinator, clock, other: async () => createMemoryCoordinator({ clock, hub }), cleanup: () => coordinator.close() };
 * });
 */
export function describeCoordinatorContract(name: string, setup: CoordinatorContractSetup): void {
  describe(name, () => {
    const harness = useContractHarness(setup);
    describeLeaseContract(harness);
    describeLimitsContract(harness);
    describePubSubContract(harness);
    describeStreamContract(harness);
    describeKeeperContract(harness);
  });
}
