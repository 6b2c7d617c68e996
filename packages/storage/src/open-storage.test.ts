import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '@prx-voice/core';
import { SimulatedClock } from '@prx-voice/core/testing';
import { openStorage } from './open-storage.js';

const dir = mkdtempSync(join(tmpdir(), 'prx-open-storage-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('openStorage', () => {
  it('runs on embedded defaults: PGlite and objects under the data directory, in-process coordination', async () => {
    const config = defaultConfig().storage;
    const storage = await openStorage(
      { ...config, data_dir: 'data' },
      { clock: new SimulatedClock(), cwd: dir },
    );
    try {
      expect(storage.database.kind).toBe('pglite');
      expect(storage.coordinator.kind).toBe('memory');
      expect(storage.objectStore.kind).toBe('filesystem');
      // Applied now, or already in the build's template the new cluster was made from.
      expect(storage.migrations?.current).toEqual([
        '0001-initial',
        '0002-idempotency-lease',
        '0003-billing',
        '0004-usage-export',
        '0005-audit-checkpoints',
        '0006-subjects',
        '0007-assistants',
        '0008-assistant-phone-numbers',
        '0009-phone-number-owner',
      ]);
      await storage.objectStore.put('ten_x/notes/a.txt', 'hi');
      expect(existsSync(join(dir, 'data', 'objects', 'ten_x', 'notes', 'a.txt'))).toBe(true);
      expect(existsSync(join(dir, 'data', 'pglite'))).toBe(true);
      await expect(storage.ping()).resolves.toBeUndefined();
    } finally {
      await storage.close();
    }
    // Reopening the same data directory finds the schema in place.
    const again = await openStorage(
      { ...config, data_dir: 'data' },
      { clock: new SimulatedClock(), cwd: dir },
    );
    expect(again.migrations?.applied).toEqual([]);
    await again.close();
  }, 60_000);

  it.runIf(process.platform === 'linux')(
    "storage.embedded_nice puts the embedded database's thread, and only it, at that nice value",
    async () => {
      /** This process's threads' nice values (field 19 of each /proc task's stat). */
      const niceValues = (): number[] =>
        readdirSync('/proc/self/task').map((tid) => {
          const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
        });
      const base = Math.max(...niceValues());
      const storage = await openStorage(
        { ...defaultConfig().storage, data_dir: 'memory', embedded_nice: 19 },
        { clock: new SimulatedClock(), cwd: dir },
      );
      try {
        await expect(storage.ping()).resolves.toBeUndefined();
        const after = niceValues();
        expect(after.filter((n) => n === 19)).toHaveLength(base === 19 ? after.length : 1);
      } finally {
        await storage.close();
      }
    },
    60_000,
  );

  it('refuses an s3 key prefix it cannot honour, and an unreachable Redis', async () => {
    const config = defaultConfig().storage;
    await expect(
      openStorage(
        { ...config, object_store: { ...config.object_store, kind: 's3', bucket: 'b', path: 'p' } },
        { clock: new SimulatedClock(), cwd: dir },
      ),
    ).rejects.toThrow(/not supported for s3/);
    await expect(
      openStorage(
        { ...config, data_dir: 'other', redis_url: 'redis://127.0.0.1:1' },
        { clock: new SimulatedClock(), cwd: dir },
      ),
    ).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  }, 60_000);
});
