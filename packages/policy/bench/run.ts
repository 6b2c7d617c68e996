/**
 * `pnpm --filter @prx-voice/policy bench`: session admissions per second
 * through the admission service (budget checks + concurrency lease + release),
 * on in-process coordination and, when REDIS_URL is set, on Redis.
 */
import { systemClock } from '@prx-voice/core';
import { createMemoryCoordinator } from '@prx-voice/storage';
import { createRedisCoordinator } from '@prx-voice/storage/redis';
import type { Coordinator } from '@prx-voice/storage';
import { deleteKeysWithPrefix, randomKeyPrefix } from '@prx-voice/storage/testing';
import { createIdGenerator } from '@prx-voice/types';
import { Redis } from 'ioredis';
import { createAdmissionService } from '../src/admission.js';

const DURATION_MS = 3000;
const WORKERS = 32;

async function measure(label: string, coordinator: Coordinator): Promise<void> {
  const admission = createAdmissionService({ coordinator, clock: systemClock });
  const ids = createIdGenerator();
  const tenant = { id: ids.next('tenant'), tier: 'enterprise', status: 'active', limits: {} };
  let admitted = 0;
  let denied = 0;
  const start = performance.now();
  const end = start + DURATION_MS;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const r = await admission.admit({ tenant, sessionId: ids.next('session') });
      if (r.kind === 'denied') {
        denied++;
        continue;
      }
      r.lease.keeper.stop();
      await r.lease.release();
      admitted++;
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  const elapsed = performance.now() - start;
  console.log(
    `session admissions [${label}]: ${Math.round((admitted * 1000) / elapsed).toLocaleString('en-US')} /s ` +
      `(admit + release, ${WORKERS} concurrent, ${(elapsed / 1000).toFixed(1)} s, ${denied} denied)`,
  );
}

const memory = createMemoryCoordinator({ clock: systemClock });
await measure('in-process', memory);
await memory.close();

const url = process.env['REDIS_URL'];
if (url === undefined || url === '') {
  console.log('session admissions [redis]: skipped (REDIS_URL is not set)');
} else {
  const keyPrefix = randomKeyPrefix('bench');
  const redis = createRedisCoordinator({ url, clock: systemClock, keyPrefix });
  await measure('redis', redis);
  await redis.close();
  const admin = new Redis(url);
  await deleteKeysWithPrefix(admin, keyPrefix);
  await admin.quit();
}
