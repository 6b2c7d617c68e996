/**
 * Shared pieces of the coordinator contract suite: the setup shape each backend
 * provides, a per-test harness, and an inbox to await asynchronous deliveries
 * without sleeping.
 */
import { afterEach, beforeEach } from 'vitest';
import type { SimulatedClock } from '@prx-voice/core/testing';
import type { Coordinator } from './coordinator.js';

/** What a backend's setup provides to each contract test. */
export interface CoordinatorContractContext {
  /** The coordinator under test. */
  readonly coordinator: Coordinator;
  /** The simulated clock it reads. */
  readonly clock: SimulatedClock;
  /** Opens a second instance on the same backend and clock (a second server); the suite closes it. */
  readonly other?: () => Promise<Coordinator>;
  /** Closes the coordinator and removes what the test stored. */
  cleanup(): Promise<void>;
}

/** Creates a fresh context for one test. */
export type CoordinatorContractSetup = () => Promise<CoordinatorContractContext>;

/** The per-test view the contract parts use. */
export interface ContractHarness {
  /** The coordinator under test. */
  readonly coordinator: Coordinator;
  /** Its simulated clock. */
  readonly clock: SimulatedClock;
  /** A second instance on the same backend (the same one when the backend offers none). */
  second(): Promise<Coordinator>;
}

/** Registers setup/cleanup hooks and returns an accessor for the current test's harness. */
export function useContractHarness(setup: CoordinatorContractSetup): () => ContractHarness {
  let context: CoordinatorContractContext | undefined;
  let extra: Coordinator[] = [];
  beforeEach(async () => {
    context = await setup();
    extra = [];
  });
  afterEach(async () => {
    const closing = extra.map((coordinator) => coordinator.close());
    extra = [];
    await Promise.all(closing);
    await context?.cleanup();
    context = undefined;
  });
  return () => {
    const current = context;
    if (current === undefined) throw new Error('The contract harness is used outside a test');
    return {
      coordinator: current.coordinator,
      clock: current.clock,
      second: async () => {
        if (current.other === undefined) return current.coordinator;
        const coordinator = await current.other();
        extra.push(coordinator);
        return coordinator;
      },
    };
  };
}

/** Collects values pushed asynchronously and lets a test await the n-th. */
export class Inbox<T> {
  /** Everything received so far, in order. */
  readonly items: T[] = [];
  readonly #waiters: { count: number; resolve: (items: T[]) => void }[] = [];

  /** Records a value (usable directly as a callback). */
  readonly push = (item: T): void => {
    this.items.push(item);
    for (const waiter of [...this.#waiters]) {
      if (this.items.length >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve([...this.items]);
      }
    }
  };

  /** Resolves with all items once at least `count` have arrived. */
  until(count: number): Promise<T[]> {
    if (this.items.length >= count) return Promise.resolve([...this.items]);
    return new Promise((resolve) => {
      this.#waiters.push({ count, resolve });
    });
  }
}
