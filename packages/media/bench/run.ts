/**
 * Media benchmarks: G.711 throughput, resampler cost per 20 ms frame (median of
 * many timed batches after a warm-up) and resampler SNR for every pair.
 * Run with `pnpm --filter @prx-voice/media bench`; finishes in well under a minute.
 */
import {
  createResampler,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
  SAMPLE_RATES,
  samplesForMs,
} from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { concat, pcmSine, sineSnrDb } from '../test/signal.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median time in µs of one call of `fn`, over `batches` timed batches of `perBatch` calls. */
function timeMedianUs(fn: () => void, warmup: number, batches: number, perBatch: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / perBatch);
  }
  return median(samples);
}

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

const began = performance.now();

// (a) G.711 throughput in MB/s of PCM16 (2 bytes per sample) on 1 s blocks at 48 kHz.
{
  const n = 48000;
  const pcm = pcmSine(48000, 440, n, 0.8);
  const bytes = new Uint8Array(n);
  const out = new Int16Array(n);
  encodeMulaw(pcm, bytes);
  const rows = [
    ['µ-law encode', (): unknown => encodeMulaw(pcm, bytes)],
    ['µ-law decode', (): unknown => decodeMulaw(bytes, out)],
    ['A-law encode', (): unknown => encodeAlaw(pcm, bytes)],
    ['A-law decode', (): unknown => decodeAlaw(bytes, out)],
  ] as const;
  table(
    'G.711 throughput (PCM16 side, 48 000-sample blocks)',
    ['operation', 'µs/block', 'MB/s PCM16'],
    rows.map(([name, fn]) => {
      const us = timeMedianUs(fn, 200, 30, 20);
      return [name, us.toFixed(1), ((2 * n) / us).toFixed(0)];
    }),
  );
}

// (b) Resampler cost per 20 ms input frame.
{
  const pairs: [SampleRate, SampleRate][] = [
    [16000, 24000],
    [24000, 16000],
    [16000, 48000],
    [48000, 16000],
    [8000, 16000],
    [24000, 8000],
    [44100, 16000],
    [22050, 24000],
  ];
  table(
    'Resampler cost per 20 ms frame (quality medium; median of 40 batches × 250 frames)',
    ['pair', 'in', 'out', 'µs/frame', 'low µs', 'high µs'],
    pairs.map(([from, to]) => {
      const frame = pcmSine(from, 1000, samplesForMs(from, 20), 0.5);
      const cost = (quality: 'low' | 'medium' | 'high'): number => {
        const resampler = createResampler({ from, to, quality });
        return timeMedianUs(() => resampler.process(frame), 2000, 40, 250);
      };
      return [
        `${from} → ${to}`,
        String(frame.length),
        String(Math.round((frame.length * to) / from)),
        cost('medium').toFixed(1),
        cost('low').toFixed(1),
        cost('high').toFixed(1),
      ];
    }),
  );
}

// (c) SNR of a 1 kHz sine (0.5 full scale, 1 s) against the exact sine at the target rate.
{
  const rows: string[][] = [];
  let worst = Number.POSITIVE_INFINITY;
  for (const from of SAMPLE_RATES) {
    const cells = [`${from} →`];
    for (const to of SAMPLE_RATES) {
      if (from === to) {
        cells.push('—');
        continue;
      }
      const resampler = createResampler({ from, to });
      const head = Int16Array.from(resampler.process(pcmSine(from, 1000, from, 0.5)));
      const out = concat([head, resampler.flush()]);
      const snr = sineSnrDb(out, to, 1000, 0.5, 2 * resampler.delaySamples);
      worst = Math.min(worst, snr);
      cells.push(snr.toFixed(1));
    }
    rows.push(cells);
  }
  table(
    'Resampler SNR in dB, 1 kHz sine, quality medium (rows: from, columns: to)',
    ['from \\ to', ...SAMPLE_RATES.map(String)],
    rows,
  );
  console.log(`worst pair: ${worst.toFixed(1)} dB`);
}

console.log(`\nbench finished in ${((performance.now() - began) / 1000).toFixed(1)} s`);
