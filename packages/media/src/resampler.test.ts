import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { concat, pcmSine, powerDbFs, seededRandom, sineSnrDb } from '../test/signal.js';
import { createResampler } from './resampler.js';
import type { Resampler } from './resampler.js';
import { SAMPLE_RATES } from './sample-rate.js';
import type { SampleRate } from './sample-rate.js';

/** Resamples a whole signal in one call plus flush (copying: both return views of one buffer). */
function oneShot(resampler: Resampler, input: Int16Array): Int16Array {
  const head = Int16Array.from(resampler.process(input));
  return concat([head, resampler.flush()]);
}

/** Resamples a signal cut into chunks of the given sizes, plus flush. */
function chunked(resampler: Resampler, input: Int16Array, sizes: () => number): Int16Array {
  const parts: Int16Array[] = [];
  for (let offset = 0; offset < input.length;) {
    const size = Math.min(sizes(), input.length - offset);
    parts.push(Int16Array.from(resampler.process(input.subarray(offset, offset + size))));
    offset += size;
  }
  parts.push(Int16Array.from(resampler.flush()));
  return concat(parts);
}

function noise(length: number, seed: number): Int16Array {
  const random = seededRandom(seed);
  return Int16Array.from({ length }, () => Math.round((random() - 0.5) * 40000));
}

const PAIRS: [SampleRate, SampleRate][] = SAMPLE_RATES.flatMap((from) =>
  SAMPLE_RATES.filter((to) => to !== from).map((to): [SampleRate, SampleRate] => [from, to]),
);

describe('resampler accuracy', () => {
  it('covers all 30 ordered pairs', () => {
    expect(PAIRS).toHaveLength(30);
  });

  for (const [from, to] of PAIRS) {
    it(`${from} → ${to}: a 1 kHz sine has SNR >= 70 dB against the exact sine at ${to} Hz`, () => {
      const resampler = createResampler({ from, to });
      const out = oneShot(resampler, pcmSine(from, 1000, from / 2, 0.5));
      const snr = sineSnrDb(out, to, 1000, 0.5, 2 * resampler.delaySamples);
      expect(snr).toBeGreaterThanOrEqual(70);
    });
  }

  it('a wrong time alignment would be caught: a one-sample shift drops the SNR far below 70 dB', () => {
    const resampler = createResampler({ from: 16000, to: 24000 });
    const out = oneShot(resampler, pcmSine(16000, 1000, 8000, 0.5));
    expect(sineSnrDb(out.subarray(1), 24000, 1000, 0.5, 2 * resampler.delaySamples)).toBeLessThan(
      20,
    );
  });

  const aliasCases: [SampleRate, SampleRate, number[]][] = [
    [48000, 8000, [4200, 5000, 7000, 11000, 20000]],
    [48000, 16000, [8300, 12000, 20000]],
    [44100, 16000, [8300, 15000]],
    [24000, 16000, [8300, 11000]],
    [16000, 8000, [4300, 7000]],
    [22050, 8000, [4500, 10000]],
  ];
  for (const [from, to, tones] of aliasCases) {
    it(`${from} → ${to}: tones above ${to / 2} Hz are attenuated by >= 60 dB`, () => {
      for (const tone of tones) {
        const resampler = createResampler({ from, to });
        const input = pcmSine(from, tone, from / 2, 0.9);
        const out = oneShot(resampler, input);
        const attenuation = powerDbFs(input, 0) - powerDbFs(out, 2 * resampler.delaySamples);
        expect(attenuation, `${tone} Hz`).toBeGreaterThanOrEqual(60);
      }
    });
  }

  it('keeps in-band tones when downsampling (the alias check is not vacuous)', () => {
    const resampler = createResampler({ from: 48000, to: 8000 });
    const input = pcmSine(48000, 3000, 24000, 0.9);
    const out = oneShot(resampler, input);
    expect(Math.abs(powerDbFs(out, 2 * resampler.delaySamples) - powerDbFs(input, 0))).toBeLessThan(
      0.1,
    );
  });
});

describe('resampler streaming', () => {
  const streamPairs: [SampleRate, SampleRate][] = [
    [16000, 24000],
    [24000, 16000],
    [48000, 16000],
    [8000, 44100],
    [44100, 16000],
    [22050, 24000],
    [48000, 8000],
  ];
  for (const [from, to] of streamPairs) {
    it(`${from} → ${to}: random chunkings (and 1-sample chunks) give exactly the one-shot output`, () => {
      const input = noise(Math.round(from * 0.15), from + to);
      const expected = oneShot(createResampler({ from, to }), input);
      const random = seededRandom(to);
      const chunkers: (() => number)[] = [
        () => 1,
        () => 1 + Math.floor(random() * 7),
        () => 1 + Math.floor(random() * 2000),
        () => Math.round(from / 50),
      ];
      for (const sizes of chunkers) {
        const out = chunked(createResampler({ from, to }), input, sizes);
        expect(out.length).toBe(expected.length);
        expect(Buffer.from(out.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      }
    });
  }

  it('emits ceil(n × to / from) samples in total and holds back at most delaySamples', () => {
    for (const [from, to] of PAIRS) {
      for (const n of [0, 1, 37, 441, 4801]) {
        const resampler = createResampler({ from, to });
        const first = resampler.process(noise(n, n)).length;
        const total = first + resampler.flush().length;
        expect(total, `${from}→${to} n=${n}`).toBe(Math.ceil((n * to) / from));
        expect(Math.abs(total - (n * to) / from)).toBeLessThan(1);
        expect(total - first).toBeLessThanOrEqual(resampler.delaySamples);
      }
    }
  });

  it('gives whole 20 ms frames once primed (16 kHz → 24 kHz: 480 per 320)', () => {
    const resampler = createResampler({ from: 16000, to: 24000 });
    const frame = pcmSine(16000, 440, 320);
    const first = resampler.process(frame).length;
    expect(480 - first).toBe(resampler.delaySamples);
    for (let i = 0; i < 5; i++) expect(resampler.process(frame).length).toBe(480);
  });

  it('reuses its output buffer across calls (returns views, no new array per frame)', () => {
    const resampler = createResampler({ from: 16000, to: 48000 });
    const frame = pcmSine(16000, 440, 320);
    const a = resampler.process(frame);
    const b = resampler.process(frame);
    expect(b.buffer).toBe(a.buffer);
  });

  it('reset() and flush() start a new stream that matches a fresh resampler', () => {
    const input = noise(3000, 7);
    const fresh = oneShot(createResampler({ from: 44100, to: 24000 }), input);
    const reused = createResampler({ from: 44100, to: 24000 });
    reused.process(noise(999, 1));
    reused.reset();
    expect(Array.from(oneShot(reused, input))).toEqual(Array.from(fresh));
    expect(Array.from(oneShot(reused, input))).toEqual(Array.from(fresh));
  });

  it('passes equal rates through unchanged', () => {
    const resampler = createResampler({ from: 16000, to: 16000 });
    const input = noise(100, 3);
    expect(resampler.process(input)).toBe(input);
    expect(resampler.flush()).toHaveLength(0);
    expect(resampler.delaySamples).toBe(0);
  });

  it('saturates to int16 instead of wrapping on a full-scale square wave', () => {
    const from = 16000;
    const to = 24000;
    const period = 160; // 100 Hz
    const input = Int16Array.from({ length: 4800 }, (_, i) =>
      i % period < period / 2 ? 32767 : -32768,
    );
    const out = oneShot(createResampler({ from, to }), input);
    expect(Math.max(...out)).toBe(32767);
    expect(Math.min(...out)).toBe(-32768);
    for (let j = 0; j < out.length; j++) {
      const t = (j * from) / to; // input time of output j
      const inCycle = t % period;
      const distance = Math.min(inCycle, Math.abs(inCycle - period / 2), period - inCycle);
      if (distance > 8 && t > 8 && t < input.length - 8) {
        const high = inCycle < period / 2;
        expect(high ? out[j]! > 16000 : out[j]! < -16000, `output ${j}`).toBe(true);
      }
    }
  });
});

describe('resampler options', () => {
  it('rejects unsupported rates with UNSUPPORTED_AUDIO_FORMAT naming the rate', () => {
    for (const [from, to] of [
      [11025, 16000],
      [16000, 96000],
      [0, 8000],
    ] as const) {
      try {
        createResampler({ from, to });
        expect.unreachable();
      } catch (error) {
        expect(VoiceError.is(error) && error.code).toBe('UNSUPPORTED_AUDIO_FORMAT');
        expect((error as Error).message).toContain(String(from === 16000 ? to : from));
      }
    }
  });

  it('rejects an unknown quality with VALIDATION_FAILED', () => {
    expect(() => createResampler({ from: 8000, to: 16000, quality: 'ultra' as 'high' })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it('higher quality costs more taps and gives a better SNR', () => {
    const snr = (quality: 'low' | 'high'): number => {
      const resampler = createResampler({ from: 48000, to: 16000, quality });
      const out = oneShot(resampler, pcmSine(48000, 1000, 24000, 0.5));
      return sineSnrDb(out, 16000, 1000, 0.5, 2 * resampler.delaySamples);
    };
    expect(
      createResampler({ from: 48000, to: 16000, quality: 'high' }).delaySamples,
    ).toBeGreaterThan(createResampler({ from: 48000, to: 16000, quality: 'low' }).delaySamples);
    expect(snr('high')).toBeGreaterThan(snr('low'));
  });
});
