import { describe, expect, it } from 'vitest';
import { sustainedLag } from './degradation-sampler.js';

describe('sustainedLag', () => {
  it('counts the first sample as 0: start-up stalls do not climb', () => {
    expect(sustainedLag()(1_200)).toBe(0);
  });

  it('counts lag that lasts two samples, at the lower of the two', () => {
    const lagOf = sustainedLag();
    expect([5, 300, 20, 250, 400, 400, 30].map(lagOf)).toEqual([0, 5, 20, 20, 250, 400, 30]);
  });
});
