import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import { createDegradationController } from './degradation.js';
import type { DegradationSignals } from './degradation.js';
import { createIncidentTracker } from './incidents.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 60_000);
afterAll(() => db.close());

const calm: DegradationSignals = { eventLoopLagMs: 5, load: 0.1, heap: 0.2 };

describe('incidents from degradation', () => {
  it('opens one on leaving L0, escalates it with a timeline, resolves it back at L0', async () => {
    const clock = new SimulatedClock();
    const errors: unknown[] = [];
    const tracker = createIncidentTracker({
      incidents: db.repos.platformIncidents,
      clock,
      instanceId: 'node-1',
      onError: (e) => errors.push(e),
    });
    const controller = createDegradationController({
      clock,
      minDwellMs: 10_000,
      onChange: (c) => tracker.levelChanged(c),
    });
    controller.update({ ...calm, eventLoopLagMs: 120 }); // L1
    controller.update({ ...calm, load: 1 }); // L4
    await tracker.idle();
    const [open] = (await db.repos.platformIncidents.list({ status: 'open' })).items;
    expect(open).toMatchObject({
      severity: 'critical',
      trigger: 'eventLoopLagMs',
      title: 'degradation L1 on node-1',
      details: { instance_id: 'node-1', sev: 'SEV1' },
    });
    for (let i = 0; i < 4; i++) {
      clock.advance(10_000);
      controller.update(calm);
    }
    expect(controller.level).toBe(0);
    await tracker.idle();
    expect((await db.repos.platformIncidents.list({ status: 'open' })).items).toEqual([]);
    const done = await db.repos.platformIncidents.get(open?.id as never);
    expect(done?.status).toBe('resolved');
    const timeline = (done?.details as { timeline: { level: number; sev: string }[] }).timeline;
    expect(timeline.map((e) => e.level)).toEqual([1, 4, 3, 2, 1, 0]);
    expect(timeline[1]?.sev).toBe('SEV1');
    expect(errors).toEqual([]);
    // A later episode is a new incident.
    controller.update({ ...calm, heap: 0.82 });
    await tracker.idle();
    expect((await db.repos.platformIncidents.list({ status: 'open' })).items).toHaveLength(1);
  });
});
