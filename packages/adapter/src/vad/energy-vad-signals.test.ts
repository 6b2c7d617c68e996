/**
 * The energy VAD on speech-like and noise signals: speech at ordinary
 * microphone levels is heard (short answers included), steady noise beds are
 * not, and speech over a bed at 10 dB SNR is. Synthetic signals are seeded
 * (deterministic); the espeak-ng and sox checks run only where those are installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { describe, expect, it } from 'vitest';
import {
  atPeak,
  atRms,
  chord,
  concat,
  hum,
  overlay,
  pcm16,
  pinkNoise,
  SENTENCE,
  speechLike,
  TWO,
  whiteNoise,
  WORD,
  YES,
} from '../../test/signals.js';
import type { Signal, SpeechPart } from '../../test/signals.js';
import { espeak, HAS_ESPEAK, resample } from '../../test/speech.js';
import type { VadEvent, VadOptions } from '../interfaces.js';
import { createEnergyVad } from './energy-vad.js';

/** The configuration's default thresholds (`adapters.vad`). */
const VAD: Omit<VadOptions, 'sampleRate'> = {
  threshold: 0.5,
  minSpeechMs: 120,
  minSilenceMs: 250,
  minVolume: 0,
};

/** Events of `signal` pushed in 20 ms chunks. */
function detect(signal: Signal, rate: SampleRate): VadEvent[] {
  const events: VadEvent[] = [];
  const stream = createEnergyVad().open({ ...VAD, sampleRate: rate }, (e) => events.push(e));
  const audio = pcm16(signal);
  const chunk = rate / 50;
  for (let at = 0; at < audio.length; at += chunk) stream.push(audio.subarray(at, at + chunk));
  return events;
}

/** A quiet line: a microphone's self-noise at −70 dBFS. */
const line = (rate: number, ms: number): Signal => atRms(whiteNoise(rate, ms, 9), -70);

const UTTERANCES: readonly (readonly [string, readonly SpeechPart[]])[] = [
  ['a two-syllable word', WORD],
  ['a sentence with dips and plosives', SENTENCE],
  ['a 300 ms "yes"', YES],
  ['"two"', TWO],
];

const NOISES: readonly (readonly [string, (rate: number, ms: number) => Signal])[] = [
  ['white noise', (rate, ms) => whiteNoise(rate, ms)],
  ['pink noise', (rate, ms) => pinkNoise(rate, ms)],
  ['50 Hz hum', (rate, ms) => hum(rate, ms)],
  ['a sustained chord', (rate, ms) => chord(rate, ms)],
];

const msOf = (signal: Signal, rate: number): number => Math.round((signal.length * 1000) / rate);

describe.each([16000, 8000] as const)('the energy VAD at %i Hz', (rate) => {
  describe.each(UTTERANCES)('on %s over a quiet line', (_, parts) => {
    it.each([-12, -20, -30])('hears it at a peak of %i dBFS, start to end', (peak) => {
      const speech = atPeak(speechLike(rate, parts), peak);
      const length = msOf(speech, rate);
      const events = detect(concat(line(rate, 1000), speech, line(rate, 1000)), rate);
      expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
      const [start, end] = events as [
        Extract<VadEvent, { type: 'speech_start' }>,
        Extract<VadEvent, { type: 'speech_end' }>,
      ];
      // The onset within a frame of the first, softest part of the rise.
      expect(start.atMs).toBeGreaterThanOrEqual(1000);
      expect(start.atMs).toBeLessThanOrEqual(1020);
      // The end within 60 ms of the sound's (a fricative tail is a dip, not speech).
      expect(end.atMs).toBeGreaterThanOrEqual(1000 + length - 120);
      expect(end.atMs).toBeLessThanOrEqual(1000 + length + 20);
    });
  });

  describe.each(NOISES)('on %s at −30 dBFS', (_, noise) => {
    it('stays quiet for 3 s from the first frame', () => {
      expect(detect(atRms(noise(rate, 3000), -30), rate)).toEqual([]);
    });

    it('starting mid-stream: at most one start, ended within 2 s as the floor adapts, then quiet', () => {
      const events = detect(concat(line(rate, 1000), atRms(noise(rate, 5000), -30)), rate);
      expect(events.length).toBeLessThanOrEqual(2);
      if (events.length > 0) {
        expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
        expect(events[1]?.atMs).toBeLessThanOrEqual(3000);
      }
    });

    it.each(UTTERANCES)('hears %s over it at 10 dB SNR', (_name, parts) => {
      const bed = atRms(noise(rate, 4000), -30);
      const speech = atRms(speechLike(rate, parts), -20);
      const events = detect(overlay(bed, speech, rate, 1500), rate);
      expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
      expect(events[0]?.atMs).toBeGreaterThanOrEqual(1500);
      expect(events[0]?.atMs).toBeLessThanOrEqual(1560);
    });
  });
});

/** Whether sox can be run here. */
const HAS_SOX = spawnSync('sox', ['--version'], { stdio: 'ignore' }).status === 0;

/** `seconds` of sox's `kind` noise at 16 kHz (sox -R: the same samples on every run). */
function soxNoise(kind: 'pinknoise' | 'brownnoise', seconds: number): Signal {
  const dir = mkdtempSync(join(tmpdir(), 'prx-voice-noise-'));
  try {
    const file = join(dir, 'noise.wav');
    const args = ['-R', '-n', '-r', '16000', '-b', '16', '-c', '1', file, 'synth', `${seconds}`];
    const result = spawnSync('sox', [...args, kind], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`sox failed: ${result.stderr}`);
    return Float64Array.from(readWav(readFileSync(file)).samples, (v) => v / 32768);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.runIf(HAS_ESPEAK)('the energy VAD on espeak-ng speech', () => {
  const spoken = (text: string): Signal =>
    Float64Array.from(resample(espeak(text).samples, 22050, 16000), (v) => v / 32768);

  it.each([-12, -20, -30])('hears "yes", "two" and a sentence at a peak of %i dBFS', (peak) => {
    for (const text of ['yes', 'two', 'I would like to book a table for two']) {
      const events = detect(concat(line(16000, 1000), atPeak(spoken(text), peak)), 16000);
      expect(events[0]).toMatchObject({ type: 'speech_start' });
      expect(events[0]?.atMs).toBeGreaterThanOrEqual(1000);
      expect(events[0]?.atMs).toBeLessThan(1250);
    }
  });

  it.runIf(HAS_SOX)('ignores sox pink and brown noise, and hears speech 10 dB over them', () => {
    for (const kind of ['pinknoise', 'brownnoise'] as const) {
      const bed = atRms(soxNoise(kind, 4), -30);
      expect(detect(bed, 16000)).toEqual([]);
      const events = detect(overlay(bed, atRms(spoken('yes, please'), -20), 16000, 1500), 16000);
      expect(events[0]).toMatchObject({ type: 'speech_start' });
      expect(events[0]?.atMs).toBeGreaterThanOrEqual(1500);
      expect(events[0]?.atMs).toBeLessThan(1750);
    }
  });
});
