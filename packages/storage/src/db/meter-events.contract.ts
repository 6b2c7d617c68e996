/**
 * The billing contract's meter events: usage recorded once by key (one at a time or many in
 * one statement) and summed by meter, provider and unit, by when it happened or was recorded.
 * Cases of `describeBillingContract`'s suite, on its database.
 */
import { describe, expect, it } from 'vitest';
import type { SessionId } from '@prx-voice/types';
import { MAX_METER_EVENTS_PER_WRITE } from './repositories/billing.js';
import type { TenantRepositories } from './repositories/index.js';

/** What the meter-event cases use of the billing suite. */
export interface MeterEventCasesContext {
  readonly newTenant: () => Promise<TenantRepositories>;
  /** A day of the suite's month (UTC). */
  readonly day: (d: number) => Date;
  /** Sets what the repositories write as now (`recorded_at`); `undefined` puts it back. */
  readonly setNow: (ms: number | undefined) => void;
}

/** The meter-event cases of the billing storage contract. */
export function describeMeterEventCases({ newTenant, day, setNow }: MeterEventCasesContext): void {
  /** A mock provider's TTS characters that occurred on day `occurredOn`, recorded under `key`. */
  const ttsCharacters = (key: string, quantity: number, occurredOn: number) => ({
    meter: 'tts_characters',
    quantity,
    unit: 'character',
    provider: 'mock',
    sessionId: null,
    idempotencyKey: key,
    occurredAt: day(occurredOn),
  });

  describe('usage totals', () => {
    it('sums by meter, provider and unit, with filters and a half-open range', async () => {
      const t = await newTenant();
      const sid = 'sess_01m9500000e000000000000001' as SessionId;
      let n = 0;
      const use = (
        meter: string,
        quantity: number,
        opts: { provider?: string; unit?: string; sessionId?: SessionId; at?: Date } = {},
      ) =>
        t.billing.recordUsage({
          meter,
          quantity,
          unit: opts.unit ?? 'ms',
          provider: opts.provider ?? null,
          sessionId: opts.sessionId ?? null,
          idempotencyKey: `u${++n}`,
          occurredAt: opts.at ?? day(5),
        });
      await use('asr_audio_ms', 1_000, { provider: 'deepgram', sessionId: sid });
      await use('asr_audio_ms', 4_000_000_000, { provider: 'deepgram' });
      await use('asr_audio_ms', 500, { provider: 'azure', sessionId: sid });
      await use('asr_audio_ms', 7);
      await use('session_seconds', 60, { unit: 's', sessionId: sid });
      await use('tts_characters', 300, { provider: 'eleven', unit: 'character' });
      await use('tts_characters', 10, { provider: 'eleven', unit: 'character', at: day(30) });
      await use('tts_characters', 99, { provider: 'eleven', unit: 'character', at: day(1) });

      const range = { from: day(1), to: day(30) };
      const totals = await t.billing.usageTotals(range);
      expect(totals).toEqual([
        { meter: 'asr_audio_ms', provider: null, unit: 'ms', quantity: 7, events: 1 },
        { meter: 'asr_audio_ms', provider: 'azure', unit: 'ms', quantity: 500, events: 1 },
        {
          meter: 'asr_audio_ms',
          provider: 'deepgram',
          unit: 'ms',
          quantity: 4_000_001_000,
          events: 2,
        },
        { meter: 'session_seconds', provider: null, unit: 's', quantity: 60, events: 1 },
        {
          meter: 'tts_characters',
          provider: 'eleven',
          unit: 'character',
          quantity: 399,
          events: 2,
        },
      ]);
      expect(await t.billing.usageTotals(range, { sessionId: sid })).toEqual([
        { meter: 'asr_audio_ms', provider: 'azure', unit: 'ms', quantity: 500, events: 1 },
        { meter: 'asr_audio_ms', provider: 'deepgram', unit: 'ms', quantity: 1_000, events: 1 },
        { meter: 'session_seconds', provider: null, unit: 's', quantity: 60, events: 1 },
      ]);
      expect(
        (await t.billing.usageTotals(range, { meter: 'asr_audio_ms' })).map((r) => r.provider),
      ).toEqual([null, 'azure', 'deepgram']);
      expect(await t.billing.usageTotals(range, { provider: 'eleven' })).toEqual([
        {
          meter: 'tts_characters',
          provider: 'eleven',
          unit: 'character',
          quantity: 399,
          events: 2,
        },
      ]);
      expect(
        await t.billing.usageTotals(range, { meter: 'asr_audio_ms', provider: 'eleven' }),
      ).toEqual([]);
      expect(await (await newTenant()).billing.usageTotals(range)).toEqual([]);
    });

    it('tells usage by when it was recorded: [recordedFrom, recordedBefore)', async () => {
      const t = await newTenant();
      const recordAt = async (at: Date, key: string, quantity: number) => {
        setNow(at.getTime());
        await t.billing.recordUsage(ttsCharacters(key, quantity, 3));
      };
      try {
        await recordAt(day(3), 'on-time', 1);
        await recordAt(day(20), 'late', 10);
        await recordAt(day(25), 'later', 100);
      } finally {
        setNow(undefined);
      }
      const range = { from: day(1), to: day(30) };
      const sum = async (o: { recordedFrom?: Date; recordedBefore?: Date }) =>
        (await t.billing.usageTotals(range, o))[0]?.quantity ?? 0;
      expect(await sum({})).toBe(111);
      expect(await sum({ recordedBefore: day(20) })).toBe(1);
      expect(await sum({ recordedFrom: day(20) })).toBe(110);
      expect(await sum({ recordedFrom: day(20), recordedBefore: day(25) })).toBe(10);
      expect(await sum({ recordedFrom: day(26) })).toBe(0);
    });
  });

  describe('meter events in one statement', () => {
    it('stores many once by key, skips keys stored or repeated, and refuses a bad row whole', async () => {
      const t = await newTenant();
      const event = (key: string, quantity: number) => ttsCharacters(key, quantity, 4);
      await t.billing.recordUsage(event('m1', 1));
      expect(
        await t.billing.recordUsageMany([
          event('m1', 1),
          event('m2', 10),
          event('m3', 100),
          event('m2', 10),
        ]),
      ).toEqual({ created: 2, duplicates: 2 });
      expect(await t.billing.recordUsageMany([])).toEqual({ created: 0, duplicates: 0 });
      const range = { from: day(1), to: day(30) };
      expect(await t.billing.sumUsage('tts_characters', range)).toBe(111);
      await expect(
        t.billing.recordUsageMany([event('m4', 1000), event('m5', -1)]),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      const many = Array.from({ length: MAX_METER_EVENTS_PER_WRITE + 1 }, (_, i) =>
        event(`big${i}`, 1),
      );
      await expect(t.billing.recordUsageMany(many)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      expect(await t.billing.sumUsage('tts_characters', range)).toBe(111);
      // Another tenant's same key is its own.
      const other = await newTenant();
      expect(await other.billing.recordUsageMany([event('m1', 5)])).toEqual({
        created: 1,
        duplicates: 0,
      });
    });
  });
}
