import { describe, expect, it } from 'vitest';
import { assembleKernel, kernelModuleSource } from '../test/kernel-assembly.js';
import { polyphaseFilter } from './resampler-filter.js';
import { runKernel } from './resampler-kernel.js';
import { RESAMPLER_KERNEL_BASE64 } from './resampler-kernel-wasm.js';
import { readFileSync } from 'node:fs';

describe('resampler kernel', () => {
  it('the embedded bytes are exactly what resampler-kernel.wat assembles to', async () => {
    const bytes = await assembleKernel();
    expect(Buffer.from(RESAMPLER_KERNEL_BASE64, 'base64').equals(Buffer.from(bytes))).toBe(true);
    const committed = readFileSync(new URL('./resampler-kernel-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(kernelModuleSource(bytes));
  });

  it('computes the same dot products as a plain double-precision loop, within float32 rounding', () => {
    const filter = polyphaseFilter(44100, 16000, 'medium');
    const history = new Float32Array(filter.taps + 600);
    for (let i = 0; i < history.length; i++)
      history[i] = Math.round(20000 * Math.sin(i * 0.37) + 5000 * Math.cos(i * 1.9));
    const count = 200;
    const output = new Int16Array(count + 3);
    runKernel({
      filter,
      history,
      historyLength: history.length,
      start: 0,
      phase: 0,
      count,
      output,
      outputAt: 3,
    });
    let start = 0;
    let phase = 0;
    for (let k = 0; k < count; k++) {
      let sum = 0;
      for (let i = 0; i < filter.taps; i++)
        sum += filter.coefficients[phase * filter.taps + i]! * history[start + i]!;
      expect(
        Math.abs(output[3 + k]! - Math.max(-32768, Math.min(32767, Math.round(sum)))),
      ).toBeLessThanOrEqual(1);
      phase += filter.down;
      start += Math.floor(phase / filter.up);
      phase %= filter.up;
    }
    expect(output[0]).toBe(0);
  });
});
