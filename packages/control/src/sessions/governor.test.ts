/**
 * The governor meters a provider's usage only once its report is in the durable log:
 * a crash between the two can leave a report the meters lack (the recovery meters what
 * the log holds), never a meter the log lacks.
 */
import { describe, expect, it } from 'vitest';
import type { UsageEvent } from '@prx-voice/billing';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createSessionEmitter } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { TIER_LIMITS } from '@prx-voice/policy';
import type { AdmissionService, AdmissionTenant, UsageKind } from '@prx-voice/policy';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createSessionGovernor } from './governor.js';

const ids = createSequentialIdGenerator(Date.UTC(2026, 0, 1));
const tenant = { id: ids.next('tenant'), plan: 'growth' } as unknown as AdmissionTenant;
const sessionId = ids.next('session') as SessionId;

function setup() {
  const clock = new SimulatedClock();
  const recorded: UsageEvent[] = [];
  const consumed: [UsageKind, number][] = [];
  /** The log's answer for each seq asked about, settled by the test. */
  const waits = new Map<number, (stored: boolean) => void>();
  const admission = {
    consume: (_t: AdmissionTenant, kind: UsageKind, amount: number) => {
      consumed.push([kind, amount]);
      return Promise.resolve({ kind, used: amount, budget: null, exceeded: false });
    },
    liveSessions: () => Promise.resolve(1),
  } as unknown as AdmissionService;
  const late: { observe?: (e: AnyVoiceEvent) => void } = {};
  const emitter = createSessionEmitter({
    tenantId: tenant.id as TenantId,
    sessionId,
    instanceId: 'node-1',
    clock,
    ids: createSequentialIdGenerator(Date.UTC(2026, 0, 1)),
    sink: (e) => late.observe?.(e),
  });
  const governor = createSessionGovernor({
    tenant,
    sessionId,
    limits: TIER_LIMITS.enterprise,
    meters: { record: (e) => recorded.push(e) > 0 },
    stored: (seq) => new Promise<boolean>((resolve) => waits.set(seq, resolve)),
    admission,
    clock,
    emitter,
    end: () => undefined,
  });
  late.observe = (e) => governor.observe(e);
  const report = (key: string, quantity: number): number =>
    emitter.emit('prx.voice.governance.usage_recorded', {
      meter: 'tts_characters',
      quantity,
      unit: 'character',
      provider: 'mock',
      idempotency_key: key,
    }).prxseq;
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { governor, recorded, consumed, waits, report, settle };
}

describe('session governor', () => {
  it('meters a usage report once its event is stored, in the order reported', async () => {
    const g = setup();
    const first = g.report('seg_1:tts_characters', 12);
    const second = g.report('seg_2:tts_characters', 5);
    await g.settle();
    // The budgets count at once; the durable meters wait for the log.
    expect(g.consumed).toEqual([
      ['characters', 12],
      ['characters', 5],
    ]);
    expect(g.recorded).toEqual([]);
    g.waits.get(second)?.(true);
    await g.settle();
    // The second is stored; it is metered after the first, still waiting.
    expect(g.recorded).toEqual([]);
    g.waits.get(first)?.(true);
    await g.settle();
    expect(g.recorded.map((e) => [e.idempotencyKey, e.quantity])).toEqual([
      [`${sessionId}:seg_1:tts_characters`, 12],
      [`${sessionId}:seg_2:tts_characters`, 5],
    ]);
  });

  it('never meters a report its log will not hold, and closes once the log has answered', async () => {
    const g = setup();
    const fenced = g.report('seg_1:tts_characters', 12);
    let closed = false;
    void g.governor.close().then(() => (closed = true));
    await g.settle();
    expect(closed).toBe(false);
    g.waits.get(fenced)?.(false);
    await g.settle();
    expect(closed).toBe(true);
    expect(g.recorded.filter((e) => e.meter === 'tts_characters')).toEqual([]);
  });
});
