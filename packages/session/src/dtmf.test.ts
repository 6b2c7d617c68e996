import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createDtmfCollector, dtmfText } from './dtmf.js';
import type { DtmfSequence, DtmfSettings } from './dtmf.js';

function setup(settings: Partial<DtmfSettings> = {}) {
  const clock = new SimulatedClock();
  const keys: string[] = [];
  const done: DtmfSequence[] = [];
  const dtmf = createDtmfCollector({
    clock,
    settings,
    onKey: (digit) => keys.push(digit),
    onComplete: (s) => done.push(s),
  });
  return { clock, keys, done, dtmf };
}

describe('DTMF collector', () => {
  it('completes on the terminator, which is a key but not part of the sequence', () => {
    const { dtmf, keys, done, clock } = setup();
    dtmf.press('12', 'websocket');
    expect(dtmf.pending).toBe('12');
    dtmf.press('3#', 'websocket');
    expect(keys).toEqual(['1', '2', '3', '#']);
    expect(done).toEqual([{ digits: '123', source: 'websocket', reason: 'terminator' }]);
    expect(dtmf.pending).toBe('');
    expect(clock.pendingCount).toBe(0);
  });

  it('completes after the inter-digit timeout, restarted by each key', () => {
    const { dtmf, done, clock } = setup();
    dtmf.press('4', 'twilio');
    clock.advance(2999);
    dtmf.press('5', 'twilio');
    clock.advance(2999);
    expect(done).toEqual([]);
    clock.advance(1);
    expect(done).toEqual([{ digits: '45', source: 'twilio', reason: 'timeout' }]);
  });

  it('completes at the maximum length', () => {
    const { dtmf, done, clock } = setup({ maxDigits: 3 });
    dtmf.press('12345', 'websocket');
    expect(done).toEqual([{ digits: '123', source: 'websocket', reason: 'max_digits' }]);
    expect(dtmf.pending).toBe('45');
    clock.advance(3000);
    expect(done.at(-1)).toEqual({ digits: '45', source: 'websocket', reason: 'timeout' });
  });

  it('a terminator alone completes nothing; another terminator or none can be configured', () => {
    const hash = setup();
    hash.dtmf.press('#', 'websocket');
    expect(hash.keys).toEqual(['#']);
    expect(hash.done).toEqual([]);

    const star = setup({ terminator: '*', interDigitTimeoutMs: 500 });
    star.dtmf.press('1#*', 'websocket');
    expect(star.done).toEqual([{ digits: '1#', source: 'websocket', reason: 'terminator' }]);

    const none = setup({ terminator: null, interDigitTimeoutMs: 500 });
    none.dtmf.press('9#', 'websocket');
    none.clock.advance(500);
    expect(none.done).toEqual([{ digits: '9#', source: 'websocket', reason: 'timeout' }]);
  });

  it('upper-cases letters and skips what is not a key', () => {
    const { dtmf, keys } = setup();
    dtmf.press('a b?D', 'carrier');
    expect(keys).toEqual(['A', 'B', 'D']);
    expect(dtmf.pending).toBe('ABD');
  });

  it('close drops what is pending, clears the timer and ignores later keys', () => {
    const { dtmf, keys, done, clock } = setup();
    dtmf.press('7', 'websocket');
    dtmf.close();
    expect(clock.pendingCount).toBe(0);
    dtmf.press('8#', 'websocket');
    clock.advance(10_000);
    expect(keys).toEqual(['7']);
    expect(done).toEqual([]);
  });

  it('a sequence becomes the user text "DTMF: …"', () => {
    expect(dtmfText('1234')).toBe('DTMF: 1234');
  });
});
