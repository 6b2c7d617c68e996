/**
 * Real speech for the Silero tests: espeak-ng speaks a sentence to a WAV file
 * (22.05 kHz mono PCM16), which is read with `readWav`, resampled and padded
 * with silence. In CI a missing espeak-ng is an error; locally the tests skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createResampler, readWav } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';

/** Whether espeak-ng can be run here. */
export const HAS_ESPEAK = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;

/** Whether the tests that need espeak-ng run: always in CI (where they then fail without it). */
export const RUN_SPEECH_TESTS = HAS_ESPEAK || process.env['CI'] !== undefined;

if (!RUN_SPEECH_TESTS) {
  console.warn(
    'espeak-ng is not installed: skipping the Silero tests on real speech (apt-get install espeak-ng)',
  );
}

/** Speaks `text` with espeak-ng; returns the samples at the file's rate (22.05 kHz). */
export function espeak(text: string): { samples: Int16Array; sampleRate: SampleRate } {
  if (!HAS_ESPEAK) {
    throw new Error('espeak-ng is required for this test (apt-get install espeak-ng)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'prx-voice-speech-'));
  try {
    const file = join(dir, 'speech.wav');
    const result = spawnSync('espeak-ng', ['-w', file, text], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`espeak-ng failed: ${result.stderr}`);
    const wav = readWav(readFileSync(file));
    return { samples: wav.samples.slice(), sampleRate: wav.sampleRate };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resamples a whole signal (including the resampler's tail). */
export function resample(samples: Int16Array, from: SampleRate, to: SampleRate): Int16Array {
  const resampler = createResampler({ from, to });
  const head = resampler.process(samples).slice();
  const tail = resampler.flush();
  const out = new Int16Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** `samples` with `ms` of silence before and after. */
export function padWithSilence(samples: Int16Array, rate: SampleRate, ms: number): Int16Array {
  const pad = (rate * ms) / 1000;
  const out = new Int16Array(samples.length + 2 * pad);
  out.set(samples, pad);
  return out;
}

/**
 * Onset and offset of the sound, ms: the first and last 10 ms block whose RMS
 * exceeds −40 dBFS (espeak-ng's output is otherwise digital silence).
 */
export function soundSpan(
  samples: Int16Array,
  rate: SampleRate,
): { onsetMs: number; offsetMs: number } {
  const block = rate / 100;
  let onset = -1;
  let offset = -1;
  for (let start = 0; start + block <= samples.length; start += block) {
    let sum = 0;
    for (let i = start; i < start + block; i++) sum += (samples[i] as number) ** 2;
    if (Math.sqrt(sum / block) / 32768 > 0.01) {
      if (onset < 0) onset = start;
      offset = start + block;
    }
  }
  return { onsetMs: (onset * 1000) / rate, offsetMs: (offset * 1000) / rate };
}

/** Seeded white noise (a linear congruential generator), uniform in ±amplitude of full scale. */
export function whiteNoise(length: number, amplitude: number, seed = 1): Int16Array {
  const out = new Int16Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = Math.round((state / 0x1_0000_0000 - 0.5) * 2 * amplitude * 32767);
  }
  return out;
}
