import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { migrateToLatest } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import type { AuditChainInput } from './repositories/audit.js';
import { createRepositories } from './repositories/index.js';
import type { Repositories, TenantRepositories } from './repositories/index.js';

/** Opens the database a contract suite runs on, and how to drop it afterwards. */
export type ContractSetup = () => Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }>;

/** Asserts a promise rejects with a VoiceError of a code. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<VoiceError> {
  try {
    await p;
  } catch (err) {
    expect(VoiceError.is(err), String(err)).toBe(true);
    expect((err as VoiceError).code).toBe(code);
    return err as VoiceError;
  }
  throw new Error(`expected a ${code} rejection`);
}

/** A test audit-chain hash: what the chain links, not how production hashes it. */
export const chainHash = ({ seq, prevHash, record }: AuditChainInput): string =>
  createHash('sha256')
    .update(`${prevHash}|${seq}|${record.action}|${record.resourceId ?? ''}`)
    .digest('hex');

/**
 * The migrated database the database contract's cases share (one per implementation,
 * opened once: opening and migrating PGlite is the slow part of the suite), with a clock
 * the cases move by hand.
 */
export interface ContractDatabase {
  /** The open database; read inside a test, never while the suite is being declared. */
  readonly handle: DatabaseHandle;
  /** The repositories on it, on this fixture's clock and ID source. */
  readonly repos: Repositories;
  /** The simulated time, in epoch milliseconds. */
  readonly now: () => number;
  /** Moves the simulated time forward. */
  readonly advance: (ms: number) => void;
  /** A number no other call of this fixture returns, for unique names. */
  readonly unique: () => number;
  /** Creates a tenant with a unique slug and scopes the repositories to it. */
  readonly newTenant: () => Promise<TenantRepositories>;
  /** Creates an inbound WebSocket session of a tenant. */
  readonly newSession: (
    t: TenantRepositories,
    state?: 'Idle' | 'Listening' | 'Closed',
  ) => ReturnType<TenantRepositories['sessions']['create']>;
}

/**
 * Declares the hooks that open and migrate the database before a suite's cases and drop
 * it after them; call inside the suite's `describe`.
 */
export function useContractDatabase(setup: ContractSetup): ContractDatabase {
  let handle: DatabaseHandle | undefined;
  let cleanup: () => Promise<void> = () => Promise.resolve();
  let repos: Repositories | undefined;
  let now = Date.UTC(2026, 10, 21, 12, 0, 0);
  const clock = { now: () => now };
  const ids = createSequentialIdGenerator(Date.UTC(2026, 10, 21));
  let counter = 0;

  beforeAll(async () => {
    const ready = await setup();
    handle = ready.handle;
    cleanup = () => ready.cleanup();
    await migrateToLatest(handle.db);
    repos = createRepositories({ db: handle.db, clock, ids });
  }, 120_000);
  afterAll(async () => {
    await cleanup();
  });

  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the contract database is not open yet');
    return value;
  };
  const fixture: ContractDatabase = {
    get handle() {
      return opened(handle);
    },
    get repos() {
      return opened(repos);
    },
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    unique: () => ++counter,
    newTenant: async () => {
      const row = await fixture.repos.tenants.create({
        slug: `t-${++counter}`,
        name: `Tenant ${counter}`,
        tier: 'starter',
      });
      return fixture.repos.forTenant(row.id as TenantId);
    },
    newSession: (t, state = 'Idle') =>
      t.sessions.create({
        state,
        channel: 'websocket',
        direction: 'inbound',
        language: 'en-US',
      }),
  };
  return fixture;
}
