/**
 * Adapter benchmarks: Silero inference time per 32 ms window (in the worker
 * and in-process, with the main thread's share of it), energy VAD cost per
 * 20 ms frame and its garbage collections, and the mock TTS's and ASR's cost
 * per second of audio, the local engines' real-time factor and latency, and
 * the time a failover takes (see `failover.ts`). Run with `pnpm --filter @prx-voice/adapter bench`;
 * finishes in well under a minute.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { generateTone } from '@prx-voice/media';
import { createEnergyVad, createMockAsr, createMockTts, createSileroVad } from '@prx-voice/adapter';
import type { VadOptions } from '@prx-voice/adapter';
import { benchLocalEngines } from '../src/providers/local/bench.js';
import { benchFailover } from './failover.js';
import { espeak, HAS_ESPEAK, padWithSilence, resample, whiteNoise } from '../test/speech.js';

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
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

const ms = (value: number): string => value.toFixed(3);
const VAD: Omit<VadOptions, 'sampleRate'> = {
  threshold: 0.5,
  minSpeechMs: 250,
  minSilenceMs: 500,
  minVolume: 0,
};
const began = performance.now();

// Test audio at 16 kHz: speech from espeak-ng when installed, else a tone over noise.
const audio16k = ((): Int16Array => {
  if (HAS_ESPEAK) {
    const spoken = espeak('hello there, how are you today? I would like to book a table for two.');
    return padWithSilence(resample(spoken.samples, spoken.sampleRate, 16000), 16000, 500);
  }
  const tone = generateTone({
    sampleRate: 16000,
    frequencyHz: 220,
    durationMs: 4000,
    amplitude: 0.2,
  });
  const noise = whiteNoise(tone.samples.length, 0.02);
  return tone.samples.map((s, i) => s + noise[i]!);
})();

// (a) Silero: one 512-sample window per push, awaited, so each window is timed alone.
async function sileroBench(runner: 'worker' | 'inline', windows: number, warmup: number) {
  const vad = createSileroVad({ runner });
  await vad.ready();
  const stream = vad.open({ ...VAD, sampleRate: 16000 }, () => undefined);
  const inference: number[] = [];
  const roundTrip: number[] = [];
  let mainThreadMs = 0;
  for (let n = 0; n < warmup + windows; n++) {
    const at = (n * 512) % (audio16k.length - 512);
    const window = audio16k.subarray(at, at + 512);
    const elu = performance.eventLoopUtilization();
    const start = performance.now();
    stream.push(window);
    await stream.idle();
    const took = performance.now() - start;
    if (n >= warmup) {
      roundTrip.push(took);
      inference.push(stream.lastInferenceMs);
      mainThreadMs += performance.eventLoopUtilization(elu).active;
    }
  }
  stream.close();
  return { inference, roundTrip, mainThreadMs: mainThreadMs / windows };
}

{
  const rows: string[][] = [];
  for (const runner of ['worker', 'inline'] as const) {
    const r = await sileroBench(runner, 500, 50);
    rows.push([
      runner,
      ms(percentile(r.inference, 50)),
      ms(percentile(r.inference, 95)),
      ms(percentile(r.roundTrip, 50)),
      ms(percentile(r.roundTrip, 95)),
      ms(r.mainThreadMs),
    ]);
  }
  table(
    `Silero v4 per 32 ms window (500 windows after 50 warm-up; ${HAS_ESPEAK ? 'espeak-ng speech' : 'tone + noise'}), ms`,
    [
      'runner',
      'model p50',
      'model p95',
      'round trip p50',
      'round trip p95',
      'event loop busy/window',
    ],
    rows,
  );
}

// (b) Energy VAD per 20 ms frame, and collections while it runs: on speech, and on a caller who
// speaks 1 s in 5 with digital silence between (zeros: muted microphones, comfort silence), where
// an unguarded filter would decay into subnormal numbers.
{
  const frames = Math.floor(audio16k.length / 320);
  const frameAt = (i: number): Int16Array =>
    audio16k.subarray((i % frames) * 320, ((i % frames) + 1) * 320);
  const views = Array.from({ length: frames }, (_, i) => frameAt(i));
  const zeros = new Int16Array(320);
  const inputs: [string, (i: number) => Int16Array][] = [
    ['speech', (i) => views[i % frames] as Int16Array],
    [
      '1 s speech, 4 s digital silence',
      (i) => (i % 250 < 50 ? (views[i % frames] as Int16Array) : zeros),
    ],
  ];
  const rows: string[][] = [];
  for (const [name, frameOf] of inputs) {
    const stream = createEnergyVad().open({ ...VAD, sampleRate: 16000 }, () => undefined);
    for (let i = 0; i < 20_000; i++) stream.push(frameOf(i));
    let collections = 0;
    const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
    observer.observe({ entryTypes: ['gc'] });
    const batches: number[] = [];
    const perBatch = 10_000;
    for (let b = 0; b < 50; b++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < perBatch; i++) stream.push(frameOf(b * perBatch + i));
      batches.push(Number(process.hrtime.bigint() - start) / 1000 / perBatch);
    }
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    rows.push([
      name,
      percentile(batches, 50).toFixed(2),
      percentile(batches, 95).toFixed(2),
      String(collections),
    ]);
  }
  table(
    'Energy VAD per 20 ms frame at 16 kHz (50 batches of 10 000 frames)',
    ['input', 'median µs', 'p95 µs', 'GCs during 500 000 frames'],
    rows,
  );
}

// (c) Mock TTS and mock ASR per second of audio.
{
  const rows: string[][] = [];
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(20); // 900 chars = 45 s
  for (const rate of [16000, 24000, 48000] as const) {
    const runs: number[] = [];
    for (let r = 0; r < 8; r++) {
      const start = performance.now();
      let samples = 0;
      for await (const event of createMockTts().synthesize({
        text,
        sampleRate: rate,
        signal: new AbortController().signal,
      })) {
        if (event.type === 'audio') samples += event.samples.length;
      }
      runs.push((performance.now() - start) / (samples / rate));
    }
    rows.push([`mock TTS ${rate / 1000} kHz`, ms(percentile(runs.slice(2), 50))]);
  }
  const frame = audio16k.subarray(0, 320);
  const runs: number[] = [];
  for (let r = 0; r < 8; r++) {
    const stream = createMockAsr().open({
      sampleRate: 16000,
      language: 'en-US',
      options: { transcript: 'I would like to book a table for two' },
    });
    const consumed = (async () => {
      for await (const _ of stream);
    })();
    const seconds = 600;
    const start = performance.now();
    for (let i = 0; i < seconds * 50; i++) {
      stream.push(frame);
      if (i % 100 === 99) stream.finalize();
    }
    stream.end();
    await consumed;
    runs.push((performance.now() - start) / seconds);
  }
  rows.push(['mock ASR 16 kHz (utterances of 2 s)', ms(percentile(runs.slice(2), 50))]);
  table('Mock providers, ms of CPU per second of audio (median)', ['', 'ms / s'], rows);
}

console.log(
  '\nLocal engines (espeak-ng, pocketsphinx): real-time factor and first-audio / final latency',
);
await benchLocalEngines();

await benchFailover();

console.log(`\nbench finished in ${((performance.now() - began) / 1000).toFixed(1)} s`);
