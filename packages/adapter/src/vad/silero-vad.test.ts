import type { SampleRate } from '@prx-voice/media';
import type { VoiceError } from '@prx-voice/types';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  espeak,
  padWithSilence,
  resample,
  RUN_SPEECH_TESTS,
  soundSpan,
  whiteNoise,
} from '../../test/speech.js';
import { atRms, overlay, pcm16, pinkNoise } from '../../test/signals.js';
import { canFallback } from '../interfaces.js';
import type { VadEvent, VadOptions } from '../interfaces.js';
import { createSileroVad } from './silero-vad.js';
import type { SileroVadOptions } from './silero-vad.js';

const OPTIONS: Omit<VadOptions, 'sampleRate'> = {
  threshold: 0.5,
  minSpeechMs: 100,
  minSilenceMs: 500,
  minVolume: 0,
};

interface Outcome {
  readonly events: VadEvent[];
  readonly errors: VoiceError[];
}

/** Pushes `audio` in 20 ms chunks without waiting, then waits until every window is scored. */
async function detect(
  audio: Int16Array,
  sampleRate: SampleRate,
  settings: SileroVadOptions = {},
): Promise<Outcome> {
  const events: VadEvent[] = [];
  const errors: VoiceError[] = [];
  const stream = createSileroVad(settings).open(
    { ...OPTIONS, sampleRate },
    (event) => events.push(event),
    (error) => errors.push(error),
  );
  const chunk = sampleRate / 50;
  for (let at = 0; at < audio.length; at += chunk) stream.push(audio.subarray(at, at + chunk));
  await stream.idle();
  stream.close();
  return { events, errors };
}

describe.runIf(RUN_SPEECH_TESTS)('Silero VAD on real speech', () => {
  let speech22k: Int16Array;
  let speech16k: Int16Array;

  beforeAll(() => {
    const spoken = espeak('hello there, how are you');
    expect(spoken.sampleRate).toBe(22050);
    speech22k = padWithSilence(spoken.samples, 22050, 1000);
    speech16k = padWithSilence(resample(spoken.samples, 22050, 16000), 16000, 1000);
  });

  it('finds exactly one utterance, starting within 150 ms of the measured onset', async () => {
    const { onsetMs, offsetMs } = soundSpan(speech16k, 16000);
    expect(onsetMs).toBeGreaterThanOrEqual(1000);
    const { events, errors } = await detect(speech16k, 16000);
    expect(errors).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
    const [start, end] = events as [
      Extract<VadEvent, { type: 'speech_start' }>,
      Extract<VadEvent, { type: 'speech_end' }>,
    ];
    expect(Math.abs(start.atMs - onsetMs)).toBeLessThanOrEqual(150);
    expect(start.probability).toBeGreaterThanOrEqual(0.5);
    expect(end.atMs).toBeGreaterThan(offsetMs - 150);
    expect(end.atMs).toBeLessThan(offsetMs + 400);
    expect(end.speechMs).toBe(end.atMs - start.atMs);
    // Windows are 32 ms: every timestamp is on that grid.
    expect(start.atMs % 32).toBe(0);
  });

  it('ends quiet speech followed by digital silence where it ends, with a volume floor', async () => {
    // Silero's probability climbs again on exact zeros after quiet speech (a known quirk):
    // a −70 dBFS volume floor (the default `adapters.vad.min_volume`) makes those windows silence.
    const quiet = speech16k.map((s) => Math.round(s / 32)); // −30 dB
    const { offsetMs } = soundSpan(speech16k, 16000);
    const ends = async (minVolume: number) => {
      const events: VadEvent[] = [];
      const stream = createSileroVad().open(
        { ...OPTIONS, minVolume, minSilenceMs: 250, sampleRate: 16000 },
        (e) => events.push(e),
      );
      stream.push(padWithSilence(quiet, 16000, 1500));
      await stream.idle();
      stream.close();
      return events.filter((e) => e.type === 'speech_end').map((e) => e.atMs);
    };
    const floored = await ends(0.0003);
    expect(floored).toHaveLength(1);
    // speech16k has 1 s of silence on each side already; the stream adds 1.5 s more.
    expect(Math.abs((floored[0] ?? 0) - (offsetMs + 1500))).toBeLessThanOrEqual(100);
    const unfloored = await ends(0);
    expect((unfloored.at(-1) ?? Infinity) - (floored[0] ?? 0)).toBeGreaterThan(100);
  });

  it('ends speech over a steady noise bed where the speech ends', async () => {
    // Speech 10 dB over pink noise (the bench's SNR variant): Silero alone keeps a high
    // probability on the bed for a while after the last word.
    const speech = Float64Array.from(speech16k, (v) => v / 32768);
    const spokenRms = Math.sqrt(speech.reduce((sum, v) => sum + v * v, 0) / speech.length);
    const bed = atRms(pinkNoise(16000, 6000), 20 * Math.log10(spokenRms) - 6);
    const mixed = pcm16(overlay(bed, speech, 16000, 2000));
    const { offsetMs } = soundSpan(speech16k, 16000);
    const events: VadEvent[] = [];
    const stream = createSileroVad().open(
      { ...OPTIONS, minSilenceMs: 250, minVolume: 0.0003, sampleRate: 16000 },
      (e) => events.push(e),
    );
    for (let at = 0; at < mixed.length; at += 320) stream.push(mixed.subarray(at, at + 320));
    await stream.idle();
    stream.close();
    const ends = events.filter((e) => e.type === 'speech_end').map((e) => e.atMs);
    expect(ends).toHaveLength(1);
    expect((ends[0] ?? 0) - (offsetMs + 2000)).toBeLessThanOrEqual(150);
  });

  it('gives the same events on the pool, the single worker and in-process', async () => {
    const pool = await detect(speech16k, 16000);
    const worker = await detect(speech16k, 16000, { runner: 'worker' });
    const inline = await detect(speech16k, 16000, { runner: 'inline' });
    expect(pool.events.length).toBeGreaterThan(0);
    expect(worker).toEqual(pool);
    expect(inline).toEqual(pool);
  });

  it('resamples 22.05 kHz input to 16 kHz and runs 8 kHz natively (256-sample windows)', async () => {
    const { onsetMs } = soundSpan(speech16k, 16000);
    for (const [audio, rate] of [
      [speech22k, 22050],
      [resample(speech16k, 16000, 8000), 8000],
    ] as const) {
      const { events, errors } = await detect(audio, rate);
      expect(errors).toEqual([]);
      expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
      expect(Math.abs((events[0] as VadEvent).atMs - onsetMs)).toBeLessThanOrEqual(150);
    }
  });

  it('delivers events after inference, never during push, and drops pending work on close()', async () => {
    const events: VadEvent[] = [];
    const stream = createSileroVad().open({ ...OPTIONS, sampleRate: 16000 }, (e) => events.push(e));
    stream.push(speech16k);
    expect(events).toEqual([]);
    const idle = stream.idle();
    stream.close();
    await idle;
    stream.push(speech16k);
    await stream.idle();
    expect(events).toEqual([]);
  });
});

describe('Silero VAD', () => {
  it('stays quiet on silence and on white noise', async () => {
    const rate = 16000;
    const silence = await detect(new Int16Array(rate * 3), rate);
    expect(silence).toEqual({ events: [], errors: [] });
    const noise = await detect(whiteNoise(rate * 3, 0.05, 7), rate);
    expect(noise).toEqual({ events: [], errors: [] });
  });

  it('reports the last window’s probability and keeps the state quiet on silence', async () => {
    const stream = createSileroVad().open({ ...OPTIONS, sampleRate: 16000 }, () => undefined);
    expect(stream.probability).toBe(0);
    stream.push(new Int16Array(16000));
    await stream.idle();
    expect(stream.probability).toBeGreaterThan(0);
    expect(stream.probability).toBeLessThan(0.2);
    expect(stream.state).toBe('quiet');
    expect(stream.lastInferenceMs).toBeGreaterThan(0);
    stream.close();
  });

  it('reports a missing model once through onError, allowing a fallback; ready() rejects', async () => {
    for (const runner of ['pool', 'worker', 'inline'] as const) {
      const vad = createSileroVad({ modelPath: '/nonexistent/silero.onnx', runner });
      await expect(vad.ready()).rejects.toMatchObject({
        code: 'PROVIDER_UNAVAILABLE',
        details: { provider: 'silero', fallback: true },
      });
      const errors: VoiceError[] = [];
      const stream = vad.open(
        { ...OPTIONS, sampleRate: 16000 },
        () => undefined,
        (e) => errors.push(e),
      );
      stream.push(new Int16Array(16000));
      await stream.idle();
      expect(errors).toHaveLength(1);
      expect(canFallback(errors[0])).toBe(true);
    }
  });

  it('health check: healthy where the model loads and scores a window, else names why', async () => {
    const signal = new AbortController().signal;
    const good = await createSileroVad({ runner: 'inline' }).healthCheck({ signal });
    expect(good).toMatchObject({ healthy: true, detail: expect.stringMatching(/ms a window/) });
    const missing = await createSileroVad({ modelPath: '/nonexistent/silero.onnx' }).healthCheck({
      signal,
    });
    expect(missing).toEqual({
      healthy: false,
      detail: expect.stringContaining('/nonexistent/silero.onnx') as string,
    });
  });

  it('reports a broken model file as PROVIDER_UNAVAILABLE', async () => {
    const vad = createSileroVad({ modelPath: import.meta.filename });
    await expect(vad.ready()).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
  });

  it('fails with OVERLOADED when more windows wait than allowed', async () => {
    const errors: VoiceError[] = [];
    const stream = createSileroVad({ maxQueuedWindows: 5 }).open(
      { ...OPTIONS, sampleRate: 16000 },
      () => undefined,
      (e) => errors.push(e),
    );
    stream.push(new Int16Array(16000)); // 31 windows at once
    await stream.idle();
    expect(errors.map((e) => e.code)).toEqual(['OVERLOADED']);
    expect(canFallback(errors[0])).toBe(true);
  });

  it('refuses invalid options', () => {
    expect(() =>
      createSileroVad().open({ ...OPTIONS, sampleRate: 16000, minVolume: 2 }, () => undefined),
    ).toThrow(/minVolume/);
  });
});
