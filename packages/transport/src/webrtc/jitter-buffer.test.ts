import { describe, expect, it } from 'vitest';
import { createJitterBuffer } from './jitter-buffer.js';

function harness(depth = 3) {
  const out: (number | null)[] = [];
  const jitter = createJitterBuffer({
    depth,
    release: (payload) => out.push(payload === undefined ? null : (payload[0] ?? -1)),
  });
  const push = (seq: number, tag = seq & 0xff) => jitter.push(seq, Uint8Array.of(tag));
  return { jitter, out, push };
}

describe('createJitterBuffer', () => {
  it('releases in-order packets at once', () => {
    const { out, push, jitter } = harness();
    for (const s of [10, 11, 12]) push(s);
    expect(out).toEqual([10, 11, 12]);
    expect(jitter.stats).toEqual({ received: 3, lost: 0, late: 0, duplicate: 0 });
  });

  it('reorders a packet that arrives late within the depth', () => {
    const { out, push } = harness();
    push(1);
    push(3);
    push(4);
    expect(out).toEqual([1]);
    push(2);
    expect(out).toEqual([1, 2, 3, 4]);
  });

  it('gives up a missing packet once depth later packets arrived, and drops it when it comes', () => {
    const { out, push, jitter } = harness(2);
    push(1);
    push(3);
    expect(out).toEqual([1]);
    push(4);
    expect(out).toEqual([1, null, 3, 4]);
    push(2);
    expect(out).toEqual([1, null, 3, 4]);
    expect(jitter.stats).toMatchObject({ received: 3, lost: 1, late: 1 });
  });

  it('counts a gap longer than the ring as losses', () => {
    const { out, push, jitter } = harness(3);
    push(100);
    push(120);
    push(121);
    push(122);
    expect(out.filter((x) => x === null)).toHaveLength(19);
    expect(out.slice(-3)).toEqual([120, 121, 122]);
    expect(jitter.stats.lost).toBe(19);
  });

  it('wraps at 2^16 and drops duplicates', () => {
    const { out, push, jitter } = harness();
    push(65534, 1);
    push(65535, 2);
    push(1, 4);
    push(1, 4);
    push(0, 3);
    push(0, 3);
    expect(out).toEqual([1, 2, 3, 4]);
    expect(jitter.stats).toMatchObject({ duplicate: 1, late: 1 });
  });

  it('restarts on a large jump', () => {
    const { out, push } = harness();
    push(5);
    push(40_000, 9);
    push(40_001, 10);
    expect(out).toEqual([5, 9, 10]);
  });
});
