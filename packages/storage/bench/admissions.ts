/**
 * Admission throughput of the coordinators: how many acquire + release lease
 * pairs per second (limit 1000 per key, as a tenant's concurrency quota) the
 * in-process coordinator and — when `REDIS_URL` is set — Redis sustain with
 * concurrent workers on the real clock.
 */
import { systemClock } from '@prx-voice/core';
import { Redis } from 'ioredis';
import type { Coordinator } from '../src/coordination/coordinator.js';
import { createMemoryCoordinator } from '../src/coordination/memory-coordinator.js';
import { createRedisCoordinator } from '../src/coordination/redis-coordinator.js';
import { deleteKeysWithPrefix, randomKeyPrefix } from '../src/coordination/redis-test-support.js';

/** Options of {@link benchAdmissions}. */
export interface BenchAdmissionsOptions {
  /** Measuring time per backend (default 3000 ms). */
  readonly durationMs?: number;
  /** Concurrent workers (default 32). */
  readonly workers?: number;
}

interface AdmissionStats {
  readonly admissions: number;
  readonly refused: number;
  readonly elapsedMs: number;
}

const LIMIT = 1000;
const TTL_MS = 30_000;

async function measure(
  coordinator: Coordinator,
  durationMs: number,
  workers: number,
): Promise<AdmissionStats> {
  const key = 'bench:tenant:sessions';
  let admissions = 0;
  let refused = 0;
  const start = performance.now();
  const end = start + durationMs;
  const worker = async (id: number): Promise<void> => {
    for (let i = 0; performance.now() < end; i += 1) {
      const holder = `w${id}-${i}`;
      const result = await coordinator.acquireLease({ key, holder, ttlMs: TTL_MS, limit: LIMIT });
      if (result.kind === 'full') {
        refused += 1;
        continue;
      }
      await coordinator.releaseLease(key, holder);
      admissions += 1;
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, id) => worker(id)));
  return { admissions, refused, elapsedMs: performance.now() - start };
}

function report(label: string, stats: AdmissionStats, workers: number): void {
  const perSecond = Math.round((stats.admissions * 1000) / stats.elapsedMs);
  console.log(
    `coordination admissions [${label}]: ${perSecond.toLocaleString('en-US')} /s ` +
      `(acquire+release pairs, limit ${LIMIT}, ${workers} workers, ${(stats.elapsedMs / 1000).toFixed(1)} s, ` +
      `${stats.admissions} admitted, ${stats.refused} refused)`,
  );
}

/**
 * Prints admissions per second for the memory coordinator and, when `REDIS_URL`
 * is set, for Redis (under a random key prefix that is deleted afterwards).
 *
 * @example
 * await benchAdmissions(); // from bench/run.ts
 */
export async function benchAdmissions(options: BenchAdmissionsOptions = {}): Promise<void> {
  const durationMs = options.durationMs ?? 3_000;
  const workers = options.workers ?? 32;

  const memory = createMemoryCoordinator({ clock: systemClock });
  try {
    report('memory', await measure(memory, durationMs, workers), workers);
  } finally {
    await memory.close();
  }

  const url = process.env['REDIS_URL'];
  if (url === undefined || url === '') {
    console.log('coordination admissions [redis]: skipped (REDIS_URL is not set)');
    return;
  }
  const keyPrefix = randomKeyPrefix('bench');
  const redis = createRedisCoordinator({ url, clock: systemClock, keyPrefix });
  try {
    await redis.ping();
    report('redis', await measure(redis, durationMs, workers), workers);
  } finally {
    await redis.close();
    const admin = new Redis(url);
    try {
      await deleteKeysWithPrefix(admin, keyPrefix);
    } finally {
      await admin.quit();
    }
  }
}
